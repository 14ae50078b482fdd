/**
 * Messages between the Electron main process and the core's utility process on the process's
 * parent port (not the wire: API calls and events travel on the MessagePort the host hands over).
 * Zod only, so the main process can check the core's messages without loading the core.
 */
import { z } from 'zod';
import { deviceModeSchema } from '../api/devices';

/**
 * Why the core could not start; the host shows it to staff, who must act (free disk, restore).
 * `storage.keyWrong`: the key the host unlocked does not open the database (a folder copied from
 * another station, its key file replaced); `storage.plain`: a plain database put back by hand.
 */
const STARTUP_FAILURE_CODES = [
  'storage.full',
  'storage.readonly',
  'storage.corrupt',
  'storage.busy',
  'storage.newerVersion',
  'storage.keyWrong',
  'storage.plain',
  'internal',
] as const;
export type StartupFailureCode = (typeof STARTUP_FAILURE_CODES)[number];

/** An HQ address given on the command line, overriding the enrolled one (a relay, a test's proxy). */
export const hqUrlSchema = z.url({ protocol: /^https?$/ }).max(512);

export const hostToCoreSchema = z.discriminatedUnion('type', [
  /**
   * Opens the database in `dataDir` with the data key (hex, unlocked by the host) and starts the
   * upload agent; the message carries the first client port. `devices` and `hqUrl` override the
   * stored device mode and HQ address for this run.
   */
  z
    .object({
      type: z.literal('open'),
      dataDir: z.string().min(1).max(4096),
      dataKey: z.string().regex(/^[0-9a-f]{64}$/),
      devices: deviceModeSchema.optional(),
      hqUrl: hqUrlSchema.optional(),
    })
    .strict(),
  /** Finish what was accepted, close the database, exit. */
  z.object({ type: z.literal('shutdown') }).strict(),
]);
export type HostToCore = z.infer<typeof hostToCoreSchema>;

export const coreToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z
    .object({
      type: z.literal('fatal'),
      error: z
        .object({
          code: z.enum(STARTUP_FAILURE_CODES),
          params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
        })
        .strict(),
    })
    .strict(),
]);
export type CoreToHost = z.infer<typeof coreToHostSchema>;
export type StartupFailure = Extract<CoreToHost, { type: 'fatal' }>['error'];
