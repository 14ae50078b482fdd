import type { ComponentType } from 'react';
import { DevicesIndicator } from '../screens/devices/DevicesIndicator';
import { UploadIndicator } from '../upload/UploadIndicator';
import { BoxesIndicator } from './BoxesIndicator';
import { ConnectionIndicator } from './ConnectionIndicator';

/** An indicator in the status bar (connection, devices, upload…): a small self-contained component. */
export type StatusIndicator = { id: string; Indicator: ComponentType };

/** Every status-bar indicator, left to right. One line each. */
export const STATUS_INDICATORS: StatusIndicator[] = [
  { id: 'connection', Indicator: ConnectionIndicator },
  { id: 'devices', Indicator: DevicesIndicator },
  { id: 'upload', Indicator: UploadIndicator },
  { id: 'boxes', Indicator: BoxesIndicator },
];
