import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin', 'station.js');

export type Kiosk = {
  /** The address that opens the screen: it carries this launch's key, as `npm start` gives it to the browser. */
  url: string;
  /** The host's own address; any other request to it needs `token`. */
  baseUrl: string;
  /** This launch's key, read from the file the host wrote for other programs of this user. */
  token: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the host wrote, for failure messages. */
  output(): string;
  /** SIGTERM (a clean shutdown), or another signal; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
};

export type KioskOptions = {
  /** The station's data folder; a fresh temporary one by default. */
  dataDir?: string;
  /** 0 (default) lets the host pick a free port and report it. */
  port?: number;
  startTimeoutMs?: number;
  /** Configured serial devices may be the test's socat pty pairs (STATION_TEST_PSEUDO_TERMINALS). */
  pseudoTerminals?: boolean;
  /** More environment for the host (a PATH with a fake print command first). */
  env?: NodeJS.ProcessEnv;
  /** The host's clock runs this file's milliseconds ahead of the real one (STATION_TEST_CLOCK_FILE; `setClock`). */
  clockFile?: string;
};

/** Moves a kiosk host's clock (started with `clockFile`) to `at`: every later `now` in its core reads it. */
export function setClock(clockFile: string, at: Date): void {
  fs.writeFileSync(clockFile, String(at.getTime() - Date.now()));
}

/**
 * Starts the built kiosk host (`station serve`) as a child process, as a user would, and waits
 * for the line it prints once it listens. Needs `npm run build` first.
 */
export async function startKiosk(options: KioskOptions = {}): Promise<Kiosk> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'renderer', 'index.html'))) throw new Error('dist/renderer is missing: run "npm run build" first');
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'station-e2e-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', String(options.port ?? 0)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...(options.pseudoTerminals ? { STATION_TEST_PSEUDO_TERMINALS: '1' } : {}),
      ...(options.clockFile ? { STATION_TEST_CLOCK_FILE: options.clockFile } : {}),
      ...options.env,
    },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kiosk host did not start:\n${output}`)), options.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /station: listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kiosk host exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  const token = fs.readFileSync(path.join(dataDir, 'kiosk.token'), 'utf8').trim();
  return {
    url: `${url}launch?token=${token}`,
    baseUrl: url,
    token,
    dataDir,
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
