import type { ComponentType } from 'react';
import { DeskScreen } from './desk/DeskScreen';
import { DevicesScreen } from './devices/DevicesScreen';
import { ResultsScreen } from '../upload/ResultsScreen';
import { CoverageScreen } from './coverage/CoverageScreen';
import { RosterScreen } from './roster/RosterScreen';
import { SiteScreen } from './site/SiteScreen';

/** A screen of the app: its navigation tab (`titleKey` is an i18n key) and its component. */
export type Screen = { id: string; titleKey: string; Component: ComponentType };

/** Every screen, in tab order; the first is where the app starts. One line each. */
export const SCREENS: Screen[] = [
  { id: 'desk', titleKey: 'desk:title', Component: DeskScreen },
  { id: 'devices', titleKey: 'devices:title', Component: DevicesScreen },
  { id: 'results', titleKey: 'upload:title', Component: ResultsScreen },
  { id: 'site', titleKey: 'site:title', Component: SiteScreen },
  { id: 'roster', titleKey: 'roster:title', Component: RosterScreen },
  { id: 'coverage', titleKey: 'coverage:title', Component: CoverageScreen },
];
