import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const STATION_BIN = path.join(ROOT, 'bin', 'station.js');

/** `token`: this launch's key, which every request to `url` needs (from the file the host writes). */
export type StationProcess = { url: string; token: string; child: ChildProcess; stop(): Promise<void>; /** What it wrote to stderr: its log. */ stderr(): string };

/** Starts the built kiosk host (`station serve`) as a real process and waits for its address. */
export async function startStationProcess(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<StationProcess> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'electron', 'cli', 'station.js'))) {
    throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  }
  const child = spawn(process.execPath, [STATION_BIN, 'serve', '--data', dataDir, '--port', '0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STATION_LOG_LEVEL: 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`station did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`station exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    token: fs.readFileSync(path.join(dataDir, 'kiosk.token'), 'utf8').trim(),
    child,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
