import { devices } from './devices';
import { enroll } from './enroll';
import { exportCommand } from './export';
import { hq } from './hq';
import { label } from './label';
import { operator } from './operator';
import { roster } from './roster';
import { serve } from './serve';
import type { CliCommand } from './types';

/** Every `station` subcommand; a new one is one module and one line here. */
export const COMMANDS: readonly CliCommand[] = [serve, hq, devices, enroll, exportCommand, label, roster, operator];
