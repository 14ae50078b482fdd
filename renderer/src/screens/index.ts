import type { ComponentType } from 'react';
import type { Method } from '../../../electron/api/contract';
import { DeskScreen } from './desk/DeskScreen';
import { DevicesScreen } from './devices/DevicesScreen';
import { ResultsScreen } from '../upload/ResultsScreen';
import { CoverageScreen } from './coverage/CoverageScreen';
import { RosterScreen } from './roster/RosterScreen';
import { SiteScreen } from './site/SiteScreen';
import { OperatorsScreen } from './operators/OperatorsScreen';
import { PassesScreen } from './passes/PassesScreen';

/**
 * A screen of the app: its navigation tab (`titleKey` is an i18n key), its component, and the
 * method it is for: the tab shows only for a role the core lets call it (`METHOD_ACCESS`).
 */
export type Screen = { id: string; titleKey: string; Component: ComponentType; needs: Method };

/** Every screen, in tab order; the first is where the app starts. One line each. */
export const SCREENS: Screen[] = [
  { id: 'desk', titleKey: 'desk:title', Component: DeskScreen, needs: 'desk.state' },
  { id: 'devices', titleKey: 'devices:title', Component: DevicesScreen, needs: 'devices.save' },
  { id: 'results', titleKey: 'upload:title', Component: ResultsScreen, needs: 'results.positives' },
  { id: 'site', titleKey: 'site:title', Component: SiteScreen, needs: 'round.start' },
  { id: 'roster', titleKey: 'roster:title', Component: RosterScreen, needs: 'roster.upload' },
  { id: 'coverage', titleKey: 'coverage:title', Component: CoverageScreen, needs: 'coverage.view' },
  { id: 'operators', titleKey: 'operators:title', Component: OperatorsScreen, needs: 'operator.list' },
  { id: 'passes', titleKey: 'passes:title', Component: PassesScreen, needs: 'pass.issue' },
];
