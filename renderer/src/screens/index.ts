import type { ComponentType } from 'react';
import type { Method } from '../../../electron/api/contract';
import type { Workplace } from '../../../electron/api/gate';
import { DeskScreen } from './desk/DeskScreen';
import { DevicesScreen } from './devices/DevicesScreen';
import { GateScreen } from './gate/GateScreen';
import { ResultsScreen } from '../upload/ResultsScreen';
import { CoverageScreen } from './coverage/CoverageScreen';
import { RosterScreen } from './roster/RosterScreen';
import { SiteScreen } from './site/SiteScreen';
import { OperatorsScreen } from './operators/OperatorsScreen';
import { PassesScreen } from './passes/PassesScreen';
import { BoxesScreen } from './boxes/BoxesScreen';
import { DoorsScreen } from './doors/DoorsScreen';
import { IsolationScreen } from './isolation/IsolationScreen';
import { ReportsScreen } from './reports/ReportsScreen';

/**
 * A screen of the app: its navigation tab (`titleKey` is an i18n key), its component, and the
 * method it is for: the tab shows only for a role the core lets call it (`METHOD_ACCESS`).
 * `workplaces`: where it shows (the sampling desk's screen at a desk, the gate's at a gate);
 * everywhere without it.
 */
export type Screen = { id: string; titleKey: string; Component: ComponentType; needs: Method; workplaces?: readonly Workplace[] };

/** Every screen, in tab order; the first the station shows is where the app starts. One line each. */
export const SCREENS: Screen[] = [
  { id: 'desk', titleKey: 'desk:title', Component: DeskScreen, needs: 'desk.state', workplaces: ['desk'] },
  { id: 'gate', titleKey: 'gate:title', Component: GateScreen, needs: 'gate.scan', workplaces: ['gate'] },
  // A door-to-door station's own (not the desk's: both would sample into the station's one open tube).
  { id: 'doors', titleKey: 'doors:title', Component: DoorsScreen, needs: 'door.list', workplaces: ['doors'] },
  { id: 'devices', titleKey: 'devices:title', Component: DevicesScreen, needs: 'devices.save' },
  { id: 'results', titleKey: 'upload:title', Component: ResultsScreen, needs: 'results.positives' },
  { id: 'site', titleKey: 'site:title', Component: SiteScreen, needs: 'round.start' },
  { id: 'roster', titleKey: 'roster:title', Component: RosterScreen, needs: 'roster.upload' },
  { id: 'coverage', titleKey: 'coverage:title', Component: CoverageScreen, needs: 'coverage.view' },
  { id: 'operators', titleKey: 'operators:title', Component: OperatorsScreen, needs: 'operator.list' },
  { id: 'passes', titleKey: 'passes:title', Component: PassesScreen, needs: 'pass.issue' },
  { id: 'boxes', titleKey: 'boxes:title', Component: BoxesScreen, needs: 'box.list', workplaces: ['desk', 'doors'] },
  { id: 'isolation', titleKey: 'isolation:title', Component: IsolationScreen, needs: 'isolation.tasks', workplaces: ['desk'] },
  { id: 'reports', titleKey: 'reports:title', Component: ReportsScreen, needs: 'report.day', workplaces: ['desk', 'gate', 'doors'] },
];

/** The screens this station shows to the signed-in role: by what it works as, and what the role may call. */
export function screensFor(workplace: Workplace, may: (method: Method) => boolean): Screen[] {
  return SCREENS.filter((s) => (s.workplaces ? s.workplaces.includes(workplace) : true) && may(s.needs));
}
