import { spawn, type ChildProcess } from 'node:child_process';
import { createLogger } from '../../electron/core/log';

const log = createLogger('pty');

/**
 * socat children still running. A host that exits without waiting for the devices to close
 * (process.exit in a signal handler) must not leave them behind, so they die with this process.
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/**
 * A socat pseudo-terminal pair: bytes written to one end come out of the other, as if a device
 * were plugged in. `devicePath` is what the station opens; the simulator talks on `peerPath`.
 * Both are stable symlinks, like /dev/serial/by-id, so closing and reopening the pair (an
 * unplug and re-plug) gives the same names back.
 */
export type PtyPair = {
  devicePath: string;
  peerPath: string;
  /** The /dev/pts names socat reported (the symlinks' targets). */
  ptys: [string, string];
  /** Unplugs: socat exits and both ends vanish. */
  close(): Promise<void>;
};

export async function openPtyPair(devicePath: string, peerPath: string, timeoutMs = 5000): Promise<PtyPair> {
  const child: ChildProcess = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${peerPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  track(child);
  const ptys = await new Promise<[string, string]>((resolve, reject) => {
    const found: string[] = [];
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`socat did not start: ${stderr.slice(0, 300)}`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.on('error', (err) => fail(err));
    child.on('exit', (code) => fail(new Error(`socat exited (${code}): ${stderr.slice(0, 300)}`)));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr += text;
      for (const m of text.matchAll(/PTY is (\/dev\/pts\/\d+)/g)) found.push(m[1]!);
      // The transfer loop starting means both symlinks exist.
      if (found.length >= 2 && /starting data transfer loop/.test(stderr)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stderr!.removeAllListeners('data');
        child.stderr!.resume();
        resolve([found[0]!, found[1]!]);
      }
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  log.debug({ ptys }, 'pty pair open');
  return {
    devicePath,
    peerPath,
    ptys,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
