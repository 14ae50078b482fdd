import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Parses a subcommand's options; unknown options are an error with the usage line. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nusage: ${usage}`, { cause: err });
  }
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a number from 0 to 65535, got "${value}"`);
  return port;
}
