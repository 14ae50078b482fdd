/**
 * What encryption at rest costs, in the same run: binding commit latency, sustained bindings per
 * second and a 1,000,000-resident roster import (read, check, index, apply, journal for HQ), each
 * with the station's files encrypted (the code as it ships) and plain. "Plain" is the same core
 * loaded again with `db/cipher.ts` replaced by one that opens and attaches without a key, so only
 * the cipher differs (temp_store = MEMORY in both). Runs alternate, off then on, twice, the disk
 * settled (`sync`) before each. Figures only.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it, vi } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import type * as Cipher from '../../electron/core/db/cipher';
import { measureBindings, type DeskFigures } from '../helpers/bench-desk';
import { writeLedgerCsv } from '../helpers/bench-ledger';
import { tempDir, withKey } from '../helpers/core';
import { ms, report } from '../helpers/stats';

const ROWS = Number(process.env.ROSTER_BENCH_ROWS ?? 1_000_000);
const CIPHER = '../../electron/core/db/cipher.js';

type CoreClass = typeof StationCore;
type Mode = 'off' | 'on';

/** The core module as it ships (`on`), or with a cipher module that leaves every file plain (`off`). */
async function loadCore(mode: Mode): Promise<CoreClass> {
  vi.resetModules();
  if (mode === 'off') {
    vi.doMock(CIPHER, async (importOriginal) => {
      const real = await importOriginal<typeof Cipher>();
      const openPlain: typeof real.openEncrypted = (file, _key, options = {}) => {
        const db = new Database(file, options);
        db.pragma('temp_store = MEMORY');
        return db;
      };
      const attachPlain: typeof real.attachEncrypted = (db, file, alias) => void db.prepare(`ATTACH DATABASE ? AS ${alias}`).run(file);
      return { ...real, openEncrypted: openPlain, attachEncrypted: attachPlain };
    });
  } else {
    vi.doUnmock(CIPHER);
  }
  const { StationCore: Core } = await import('../../electron/core/core.js');
  const { fileState } = (await import(CIPHER)) as typeof Cipher;
  const probe = withKey(tempDir('at-rest-probe-'));
  const core = new Core({ ...probe, devices: 'off' });
  core.close();
  // The mode is what it says: the database written is plain, or not.
  const state = fileState(path.join(probe.dataDir, 'station.db'));
  if ((state === 'plain') !== (mode === 'off')) throw new Error(`${mode}: station.db is ${state}`);
  return Core;
}

async function bindings(Core: CoreClass): Promise<DeskFigures> {
  const core = new Core({ ...withKey(tempDir('at-rest-desk-')), devices: 'off' });
  try {
    return await measureBindings(core);
  } finally {
    core.close();
  }
}

/** A ledger read into a roster file, applied, and journalled for HQ, as `station roster import --apply` does. */
async function rosterImport(Core: CoreClass, csv: string): Promise<number> {
  const core = new Core({ ...withKey(tempDir('at-rest-roster-')), devices: 'off', exclusive: true });
  try {
    const start = performance.now();
    const started = await core.roster.readFile(csv, undefined, undefined);
    await core.roster.idle();
    const view = core.roster.importView(started.id);
    if (view.state !== 'ready' || view.residents !== ROWS) throw new Error(`import ${view.state}: ${view.residents} residents`);
    await core.roster.apply(view.id);
    await core.roster.idle();
    return (performance.now() - start) / 1000;
  } finally {
    await core.devices.stop();
    core.close();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ratio = (on: number, off: number) => `${(on / off).toFixed(2)}×`;

it('encryption at rest: bindings and a roster import, encrypted against plain', async () => {
  const csv = path.join(tempDir('at-rest-ledger-'), 'ledger.csv');
  writeLedgerCsv(csv, ROWS);
  const desk: Record<Mode, DeskFigures[]> = { off: [], on: [] };
  const roster: Record<Mode, number[]> = { off: [], on: [] };
  // Bindings first, then imports, each after the disk has written back what came before: a desk
  // measured right after a million-row import would time the kernel's writeback, not the cipher.
  const settle = () => spawnSync('sync');
  for (const mode of ['off', 'on', 'off', 'on'] as const) {
    const Core = await loadCore(mode);
    settle();
    desk[mode].push(await bindings(Core));
  }
  for (const mode of ['off', 'on', 'off', 'on'] as const) {
    const Core = await loadCore(mode);
    settle();
    roster[mode].push(await rosterImport(Core, csv));
  }
  vi.doUnmock(CIPHER);

  const p50 = (m: Mode) => mean(desk[m].map((d) => d.commit.p50));
  const p99 = (m: Mode) => mean(desk[m].map((d) => d.commit.p99));
  const seq = (m: Mode) => mean(desk[m].map((d) => d.sequentialPerSecond));
  const piped = (m: Mode) => mean(desk[m].map((d) => d.pipelinedPerSecond));
  const imp = (m: Mode) => mean(roster[m]);
  report('Encryption at rest (ChaCha20-Poly1305, raw 256-bit key) against plain, same run, mean of 2 runs each', [
    ['binding commit p50, plain / encrypted', `${ms(p50('off'))} / ${ms(p50('on'))}  (${ratio(p50('on'), p50('off'))}, aim ≤ 1.3×; runs ${desk.off.map((d) => d.commit.p50.toFixed(2)).join(', ')} / ${desk.on.map((d) => d.commit.p50.toFixed(2)).join(', ')} ms)`],
    ['binding commit p99, plain / encrypted', `${ms(p99('off'))} / ${ms(p99('on'))}  (${ratio(p99('on'), p99('off'))})`],
    ['bindings/s one at a time, plain / encrypted', `${Math.round(seq('off'))} / ${Math.round(seq('on'))}  (${ratio(seq('off'), seq('on'))} slower)`],
    ['bindings/s 20 in flight, plain / encrypted', `${Math.round(piped('off'))} / ${Math.round(piped('on'))}  (${ratio(piped('off'), piped('on'))} slower)`],
    [
      `roster import ${ROWS.toLocaleString('en')} rows, plain / encrypted`,
      `${imp('off').toFixed(2)} s / ${imp('on').toFixed(2)} s  (${ratio(imp('on'), imp('off'))}; runs ${roster.off.map((s) => s.toFixed(1)).join(', ')} / ${roster.on.map((s) => s.toFixed(1)).join(', ')} s)`,
    ],
  ]);
}, 3_600_000);
