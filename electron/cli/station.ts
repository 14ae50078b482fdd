#!/usr/bin/env node
import { COMMANDS } from './commands';

function help(): string {
  const lines = ['Station: sampling desks, gate checkpoints and kiosks', '', 'usage: station <command> [options]', ''];
  for (const c of COMMANDS) lines.push(`  ${c.usage}`, `      ${c.summary}`, '');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`station: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
    // For benchmarks: the process's peak memory, measured by the OS.
    if (process.env.STATION_PEAK_RSS) process.stderr.write(`station: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MB\n`);
  },
  (err: unknown) => {
    process.stderr.write(`station: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
