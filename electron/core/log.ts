import pino from 'pino';

/**
 * One logger per module (`createLogger('serial')`); `console` is not used. Personal data never
 * reaches a log: scan texts, names, ID numbers and phones are redacted by key wherever they
 * appear, and modules log classifications and ids, not payloads.
 */
// Logs go to stderr: stdout belongs to the CLI's own output.
const root = pino(
  {
  level: process.env.STATION_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
  base: undefined,
  redact: {
    paths: ['text', 'raw', 'name', 'idNumber', 'phone', 'payload', 'pin', 'pinHash', '*.text', '*.raw', '*.name', '*.idNumber', '*.phone', '*.payload', '*.pin', '*.pinHash'],
    censor: '[redacted]',
  },
  },
  pino.destination(2),
);

export type Logger = pino.Logger;

export function createLogger(module: string): Logger {
  return root.child({ module });
}
