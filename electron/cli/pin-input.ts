import fs from 'node:fs';
import readline from 'node:readline';
import type { StationCore } from '../core/core';

/**
 * A PIN for a command: from `--pin-file FILE` (its first line), else typed at the terminal
 * without echo, else the first line of standard input (a script). Never from the command line,
 * where every user of the machine can read it (`ps`) and the shell keeps it in its history.
 */
export async function readPin(options: { pinFile?: string | undefined; prompt: string }): Promise<string> {
  if (options.pinFile) return (fs.readFileSync(options.pinFile, 'utf8').split(/\r?\n/)[0] ?? '').trim();
  if (process.stdin.isTTY) return promptHidden(options.prompt);
  return firstLine();
}

function firstLine(): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line.trim());
    });
    rl.once('close', () => {
      if (!answered) resolve('');
    });
  });
}

/** Asks on the terminal with echo off: the PIN is never shown. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let pin = '';
    const done = (value: string) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(pin);
        // Ctrl-C or Ctrl-D: no PIN.
        if (ch === '\u0003' || ch === '\u0004') return done('');
        if (ch === '\u007f' || ch === '\b') pin = pin.slice(0, -1);
        else pin += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The options every command that changes a station's records takes to say which site admin runs it. */
export const STAFF_OPTIONS = { staff: { type: 'string' }, 'pin-file': { type: 'string' } } as const;

/**
 * Signs `core` in as the site admin whose staff code is `--staff`, with their PIN (see `readPin`):
 * the same check, wrong-PIN count and journal as the screen's, and the records the command makes
 * carry that admin. Refused unless the operator is a site admin.
 */
export async function signInSiteAdmin(core: StationCore, values: { staff?: string | undefined; 'pin-file'?: string | undefined }, usage: string): Promise<void> {
  if (!values.staff) throw new Error(`--staff CODE is required: the staff code of a site admin of this station (the PIN is asked for, or read from --pin-file)\nusage: ${usage}`);
  const session = await core.invoke('operator.session', {});
  if (session.ok && session.value.state === 'setup') throw new Error('nobody can sign in at this station yet: create its first site admin (the first-run screen, or `station operator setup`)');
  const pin = await readPin({ pinFile: values['pin-file'], prompt: `PIN of ${values.staff}: ` });
  const signedIn = await core.invoke('operator.signIn', { code: values.staff, pin });
  if (!signedIn.ok) throw new Error(`sign-in refused: ${signedIn.error.code}${signedIn.error.params ? ` ${JSON.stringify(signedIn.error.params)}` : ''}`);
  if (signedIn.value.operator?.role !== 'admin') throw new Error(`operator ${values.staff} is not a site admin of this station`);
  if (signedIn.value.state === 'pinChange') throw new Error(`${values.staff} signed in with a temporary PIN a site admin set: sign in on the station's screen and choose a new PIN first`);
}
