/**
 * Personal data at rest, end to end with the built `station` command: a ledger imported with
 * `station roster import`, people scanned into tubes on `station serve` (ID numbers, a JSON code
 * with name and phone, residents found by name, a refused scan, an undo), a newer ledger uploaded
 * from the screen waiting for its headers to be mapped; then copies of its database, WAL, roster
 * file and the upload, taken while it runs, show none of their names, ID numbers or phones without
 * the key (the upload's own key was only ever in the process's memory), and neither do the logs
 * of both processes (at debug level). With the key, everything is there. Then the ways the command
 * line gets the key.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openEncrypted, StorageKeyError } from '../../electron/core/db/cipher';
import { defaultKeyFile } from '../../electron/core/vault/key-file';
import { dataKeyOf, folderWithAdmin, staffArgs, tempDir, TEST_ADMIN } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { ROOT, STATION_BIN, startStationProcess, type StationProcess } from '../helpers/station-process';

const DEBUG = { STATION_LOG_LEVEL: 'debug' };
const SURNAMES = '赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂';

type Person = { name: string; idNumber: string; phone: string };
/** Residents 1–200 of the ledger; people 201–205 are not on it. Names are two or three characters, all different. */
const person = (n: number): Person => ({
  name: `${SURNAMES[n % SURNAMES.length]}${GIVEN[Math.floor(n / SURNAMES.length) % GIVEN.length]}${n > 150 ? GIVEN[n % GIVEN.length] : ''}`,
  idNumber: idNumber(n),
  phone: `139${String(10_000_000 + n * 7919).slice(-8)}`,
});
const RESIDENTS = Array.from({ length: 200 }, (_, i) => person(i + 1));
const WALK_INS = [201, 202, 203, 204, 205].map(person);
const EVERYONE = [...RESIDENTS, ...WALK_INS];

/** Which of the people's names, ID numbers and phones appear in `bytes` (UTF-8). */
function personalDataIn(bytes: Buffer): string[] {
  const found: string[] = [];
  for (const p of EVERYONE) for (const value of [p.name, p.idNumber, p.phone]) if (bytes.includes(Buffer.from(value, 'utf8'))) found.push(value);
  return found;
}

function station(args: string[], options: { env?: NodeJS.ProcessEnv; fds?: Record<number, string> } = {}) {
  const extra = Object.entries(options.fds ?? {}).map(([fd, text]) => ({ fd: Number(fd), text }));
  const stdio: ('pipe' | 'ignore')[] = ['ignore', 'pipe', 'pipe'];
  for (const { fd } of extra) stdio[fd] = 'pipe';
  for (let i = 0; i < stdio.length; i++) stdio[i] ??= 'ignore';
  const child = spawn(process.execPath, [STATION_BIN, ...args], { cwd: ROOT, stdio, env: { ...process.env, ...options.env } });
  for (const { fd, text } of extra) (child.stdio[fd] as NodeJS.WritableStream).end(text);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function connect(host: StationProcess) {
  const ws = new WebSocket(`${host.url.replace('http', 'ws')}api`, { origin: host.url.slice(0, -1), headers: { authorization: `Bearer ${host.token}` } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 1;
  const waiting = new Map<number, (result: { ok: boolean; value?: unknown; error?: { code: string } }) => void>();
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; id: number; result: { ok: boolean } };
    if (message.type === 'result') waiting.get(message.id)?.(message.result);
  });
  const call = <T = unknown>(method: string, args: unknown) =>
    new Promise<{ ok: boolean; value?: T; error?: { code: string } }>((resolve) => {
      const id = next++;
      waiting.set(id, resolve as (r: unknown) => void);
      ws.send(JSON.stringify({ type: 'call', id, method, args }));
    });
  return { call, close: () => ws.terminate() };
}

let running: StationProcess | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

describe('personal data at rest', () => {
  it('copies of the database, its WAL, the roster file and a sealed upload waiting for its headers, and the logs, show no name, ID number or phone; with the key all is there', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const ledger = path.join(tempDir(), 'ledger.csv');
    fs.writeFileSync(ledger, `姓名,身份证号,手机号,楼栋,单元,房号\n${RESIDENTS.map((p, i) => `${p.name},${p.idNumber},${p.phone},${1 + (i % 5)},${1 + (i % 2)},${101 + i}`).join('\n')}\n`);

    await folderWithAdmin(dataDir);
    const imported = station(['roster', 'import', ledger, '--data', dataDir, '--apply', ...staffArgs()], { env: DEBUG });
    expect(await imported.exited, imported.stderr()).toBe(0);
    expect(imported.stdout()).toContain('imported 200 residents');

    running = await startStationProcess(dataDir, ['--devices', 'off'], DEBUG);
    const desk = await connect(running);
    const accepted = async (method: string, args: unknown) => {
      const result = await desk.call(method, args);
      expect(result.ok, JSON.stringify(result)).toBe(true);
      return result.value;
    };
    await accepted('operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await accepted('desk.setCapacity', { capacity: 20 });
    await accepted('scan.submit', { text: tubeCode(1), source: 'serial' });
    for (const p of RESIDENTS.slice(0, 15)) await accepted('scan.submit', { text: p.idNumber, source: 'serial' });
    // Walk-ins: a bare ID number, and JSON registration codes with name and phone.
    await accepted('scan.submit', { text: WALK_INS[0]!.idNumber, source: 'wedge' });
    for (const p of WALK_INS.slice(1, 4)) await accepted('scan.submit', { text: JSON.stringify({ name: p.name, idCard: p.idNumber, phone: p.phone }), source: 'serial' });
    // Found by name on the roster screen and bound.
    await accepted('tube.seal', {});
    await accepted('scan.submit', { text: tubeCode(2), source: 'serial' });
    for (const p of RESIDENTS.slice(150, 155)) {
      const found = (await accepted('roster.search', { query: p.name })) as { ref: string; name: string }[];
      const match = found.find((r) => r.name === p.name);
      expect(match, p.name).toBeDefined();
      await accepted('desk.bindResident', { ref: match!.ref });
    }
    await accepted('binding.undo', { reason: `${RESIDENTS[154]!.name} 扫错了` });
    // Refused: a wrong check character; the log says why, never the number.
    const wrong = `${WALK_INS[4]!.idNumber.slice(0, 17)}${WALK_INS[4]!.idNumber.endsWith('0') ? '1' : '0'}`;
    expect((await desk.call('scan.submit', { text: wrong, source: 'serial' })).ok).toBe(false);

    // A newer ledger uploaded from the roster screen, with headers the station does not know: it
    // waits, sealed, for the admin to map them.
    const newer = Buffer.from(`居民名,证件,联系方式,楼栋,单元,房号\n${RESIDENTS.map((p, i) => `${p.name},${p.idNumber},${p.phone},${1 + (i % 5)},${1 + (i % 2)},${101 + i}`).join('\n')}\n`);
    expect(personalDataIn(newer)).toHaveLength(RESIDENTS.length * 3);
    const { uploadId } = (await accepted('roster.upload', { fileName: '新台账.csv', size: newer.length })) as { uploadId: string };
    await accepted('roster.uploadChunk', { uploadId, offset: 0, data: newer.toString('base64') });
    const asked = (await accepted('roster.read', { uploadId })) as { id: string };
    const waitFor = async (importId: string, state: string) => {
      for (let i = 0; i < 200; i++) {
        const view = (await accepted('roster.import', { importId })) as { state: string; residents: number };
        if (view.state === state) return view;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`import ${importId} never became ${state}`);
    };
    await waitFor(asked.id, 'needsMapping');

    // Copies taken while it runs, as a thief or a stray backup would.
    const copies = tempDir();
    const rosterFile = fs.readdirSync(path.join(dataDir, 'roster')).find((f) => f.endsWith('.sqlite') && f !== 'empty.sqlite')!;
    for (const [from, to] of [
      ['station.db-wal', 'station.db-wal'],
      ['station.db', 'station.db'],
      [`roster/${rosterFile}`, 'roster.sqlite'],
      [`roster/uploads/${uploadId}.part`, 'upload.part'],
    ] as const) {
      fs.copyFileSync(path.join(dataDir, from), path.join(copies, to));
    }
    expect(fs.statSync(path.join(copies, 'station.db-wal')).size).toBeGreaterThan(0);
    expect(fs.statSync(path.join(copies, 'upload.part')).size).toBe(newer.length);
    // Mapped, the upload reads as the ledger it is; read, it is gone.
    const mapped = (await accepted('roster.read', { uploadId, mapping: { 居民名: 'name', 证件: 'idNumber', 联系方式: 'phone' } })) as { id: string };
    expect((await waitFor(mapped.id, 'ready')).residents).toBe(RESIDENTS.length);
    expect(fs.readdirSync(path.join(dataDir, 'roster', 'uploads'))).toEqual([]);
    await accepted('roster.discard', { importId: mapped.id });
    desk.close();
    const logs = imported.stderr() + running.stderr();
    await running.stop();
    running = null;

    // The search finds what is there: every name, ID number and phone of the ledger itself.
    expect(personalDataIn(fs.readFileSync(ledger))).toHaveLength(RESIDENTS.length * 3);
    for (const file of fs.readdirSync(copies)) expect(personalDataIn(fs.readFileSync(path.join(copies, file))), file).toEqual([]);
    // The logs are there, and say what happened without saying who.
    expect(logs).toMatch(/"msg":"scan"/);
    expect(personalDataIn(Buffer.from(logs, 'utf8'))).toEqual([]);

    // Without the key: no database at all, however it is opened.
    const bare = new Database(path.join(copies, 'station.db'), { readonly: true });
    expect(() => bare.prepare('SELECT count(*) FROM person').get()).toThrow(/not a database/);
    bare.close();
    expect(() => openEncrypted(path.join(copies, 'roster.sqlite'), Buffer.alloc(32, 7), { readonly: true })).toThrow(StorageKeyError);

    // With the key: everyone, from the copied database and WAL, and the roster copy.
    const key = dataKeyOf(dataDir);
    const db = openEncrypted(path.join(copies, 'station.db'), key, { readonly: true });
    const people = db.prepare('SELECT id_number, name, phone FROM person').all() as { id_number: string; name: string | null; phone: string | null }[];
    db.close();
    const scanned = [...RESIDENTS.slice(0, 15), ...RESIDENTS.slice(150, 155), ...WALK_INS.slice(0, 4)];
    expect(people.map((p) => p.id_number).sort()).toEqual(scanned.map((p) => p.idNumber).sort());
    for (const p of WALK_INS.slice(1, 4)) expect(people).toContainEqual({ id_number: p.idNumber, name: p.name, phone: p.phone });
    const roster = openEncrypted(path.join(copies, 'roster.sqlite'), key, { readonly: true });
    expect(roster.prepare('SELECT name, id_number AS idNumber, phone FROM resident ORDER BY row_no').all()).toEqual(RESIDENTS);
    roster.close();
  });
});

describe('the data key on the command line', () => {
  it('makes a key file beside a fresh folder (0600) and refuses one other users can read', async () => {
    const dataDir = path.join(tempDir(), 'data');
    running = await startStationProcess(dataDir, ['--devices', 'off']);
    await running.stop();
    running = null;
    const keyFile = defaultKeyFile(dataDir);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

    fs.chmodSync(keyFile, 0o644);
    const refused = station(['serve', '--data', dataDir, '--port', '0', '--devices', 'off']);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain('can be read by other users');
    fs.chmodSync(keyFile, 0o600);

    // Moved elsewhere and named with --key-file: the same key opens the folder.
    const moved = path.join(tempDir(), 'station.key');
    fs.renameSync(keyFile, moved);
    const missing = station(['serve', '--data', dataDir, '--port', '0', '--devices', 'off']);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toContain('its key is missing');
    running = await startStationProcess(dataDir, ['--devices', 'off', '--key-file', moved]);
  });

  it('takes a passphrase from a file descriptor or STATION_PASSPHRASE_FILE, never makes a new key for a locked folder, and refuses a wrong one', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const passphrase = '口令 correct horse';
    // A fresh folder with a passphrase given: the key is wrapped in the folder, no key file.
    const first = station(['enroll', '--data', dataDir, '--hq', 'http://127.0.0.1:9/', '--code', 'X', '--passphrase-fd', '3'], { fds: { 3: `${passphrase}\n` } });
    await first.exited;
    expect(fs.existsSync(path.join(dataDir, 'data-key.json'))).toBe(true);
    expect(fs.existsSync(defaultKeyFile(dataDir))).toBe(false);

    const wrong = station(['serve', '--data', dataDir, '--port', '0', '--devices', 'off', '--passphrase-fd', '3'], { fds: { 3: 'not it at all\n' } });
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr()).toContain('the passphrase is wrong');
    const none = station(['serve', '--data', dataDir, '--port', '0', '--devices', 'off']);
    expect(await none.exited).toBe(1);
    expect(none.stderr()).toContain('locked by a passphrase');
    expect(fs.existsSync(defaultKeyFile(dataDir))).toBe(false);

    const file = path.join(tempDir(), 'passphrase');
    fs.writeFileSync(file, `${passphrase}\n`, { mode: 0o644 });
    const open = station(['serve', '--data', dataDir, '--port', '0', '--devices', 'off'], { env: { STATION_PASSPHRASE_FILE: file } });
    expect(await open.exited).toBe(1);
    expect(open.stderr()).toContain('the passphrase file');
    fs.chmodSync(file, 0o600);
    running = await startStationProcess(dataDir, ['--devices', 'off'], { STATION_PASSPHRASE_FILE: file });
    // Never on the command line.
    expect(spawnSync(process.execPath, [STATION_BIN, 'serve', '--passphrase', passphrase], { encoding: 'utf8' }).stderr).toContain("Unknown option '--passphrase'");
  });
});
