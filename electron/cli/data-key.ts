/**
 * The data key for the commands that open a station's data folder (`serve`, `roster import`,
 * `enroll`, `export`, `devices`, `label`), as `core/vault` plans it:
 * - `--key-file FILE` (or `STATION_KEY_FILE`): a key file of the service user's alone (mode 0600);
 *   otherwise the one beside the data folder (`<folder>.key`), made on the first run, so
 *   `npm start` and a fresh `station serve` ask nothing;
 * - a folder whose key is under a passphrase: the passphrase from `--passphrase-fd N` (read from
 *   that file descriptor), from the file `STATION_PASSPHRASE_FILE` names (a systemd credential),
 *   or typed at the terminal. Never as an argument or a variable's value: those are seen by every
 *   user of the machine (`ps`, /proc/PID/environ of a child). Given on a fresh folder, the
 *   passphrase protects its new key instead of a key file.
 */
import fs from 'node:fs';
import { StorageKeyError, type DataKey } from '../core/db/cipher';
import { readOwnerOnlyFile } from '../core/vault/key-file';
import { planDataKey } from '../core/vault/vault';

/** The options every such command takes; spread into its `parseOptions` list. */
export const KEY_OPTIONS = { 'key-file': { type: 'string' }, 'passphrase-fd': { type: 'string' } } as const;
export const KEY_USAGE = '[--key-file FILE | --passphrase-fd N]';

export type KeyValues = { 'key-file'?: string; 'passphrase-fd'?: string };

type PassphraseSource = { kind: 'given'; read(): string } | { kind: 'terminal' } | { kind: 'none' };

const TERMINAL_TRIES = 3;

export async function dataKeyForCli(dataDir: string, values: KeyValues, env: NodeJS.ProcessEnv = process.env): Promise<DataKey> {
  const source = passphraseSource(values, env);
  const keyFile = values['key-file'] ?? env.STATION_KEY_FILE;
  if (keyFile !== undefined && source.kind === 'given') throw new Error('give either a key file or a passphrase, not both');
  const plan = await planDataKey(dataDir, { ...(keyFile !== undefined && { keyFile }), create: source.kind === 'given' ? 'passphrase' : 'keyFile' });
  if (plan.kind === 'ready') return plan.key;
  if (plan.kind === 'newPassphrase') {
    // Only planned when a passphrase was given (create: 'passphrase').
    if (source.kind !== 'given') throw new StorageKeyError('storage.locked', 'no passphrase given');
    return plan.create(source.read());
  }
  if (source.kind === 'given') return plan.unlock(source.read());
  if (source.kind === 'none') {
    throw new StorageKeyError(
      'storage.locked',
      `the data folder ${dataDir} is locked by a passphrase: give it with --passphrase-fd N or STATION_PASSPHRASE_FILE=FILE, or run the command in a terminal`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    const passphrase = await askOnTerminal(attempt === 1 ? 'Station passphrase: ' : 'Wrong passphrase; again: ');
    try {
      return await plan.unlock(passphrase);
    } catch (err) {
      if (!(err instanceof StorageKeyError && err.code === 'storage.keyWrong') || attempt >= TERMINAL_TRIES) throw err;
    }
  }
}

function passphraseSource(values: KeyValues, env: NodeJS.ProcessEnv): PassphraseSource {
  const fdText = values['passphrase-fd'];
  if (fdText !== undefined) {
    const fd = Number(fdText);
    if (!Number.isInteger(fd) || fd < 3 || fd > 1023) throw new Error(`--passphrase-fd must be an open file descriptor number from 3 to 1023, got "${fdText}"`);
    return { kind: 'given', read: () => firstLine(readDescriptor(fd)) };
  }
  const file = env.STATION_PASSPHRASE_FILE;
  if (file !== undefined && file !== '') {
    // Held to the rule of a key file: the service user's alone.
    return { kind: 'given', read: () => firstLine(readOwnerOnlyFile(file, 'passphrase file', 4096).toString('utf8')) };
  }
  return process.stdin.isTTY && process.stderr.isTTY ? { kind: 'terminal' } : { kind: 'none' };
}

/** Up to the first newline (or the end): a pipe the caller keeps open after the line does not hang the start. */
function readDescriptor(fd: number): string {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const chunk = Buffer.alloc(1024);
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (chunk.subarray(0, read).includes(0x0a) || total >= 4096) break;
    }
  } catch (err) {
    throw new Error(`--passphrase-fd ${fd} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  return Buffer.concat(chunks).toString('utf8');
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line === '') throw new StorageKeyError('storage.keyWrong', 'the passphrase given is empty');
  return line;
}

/** Typed ahead of a prompt (or pasted with a second line): kept for the next prompt. */
let typedAhead = '';

/**
 * Reads a line from the terminal without echoing it. Written here: Node's readline has no muted
 * input, and a package for these few lines would be one more dependency to trust with the secret.
 */
function askOnTerminal(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (done: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      done();
    };
    /** True once the line is complete (or given up). */
    const take = (text: string): boolean => {
      const chars = [...text];
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === '\r' || ch === '\n') {
          typedAhead = chars.slice(i + 1).join('').replace(/^\n/, '');
          finish(() => resolve(typed));
          return true;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish(() => reject(new StorageKeyError('storage.locked', 'no passphrase given')));
          return true;
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
      return false;
    };
    const onData = (chunk: Buffer) => void take(chunk.toString('utf8'));
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
    const ahead = typedAhead;
    typedAhead = '';
    take(ahead);
  });
}
