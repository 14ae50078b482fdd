/**
 * A gate station for tests through the real core: its clock moved by the test, made a gate by its
 * site admin, a gate keeper signed in, optionally a roster applied (residents `1-1-101`, `1-1-102`…).
 */
import type { WireEvent } from '../../../electron/api/wire';
import { StationCore } from '../../../electron/core/core';
import { checkRecord } from '../../../hq/protocol';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';

export const KEEPER = { name: '王值守', code: 'G001', role: 'gatekeeper' as const, pin: '580317' };
export const COLLECTOR = { name: '李采集', code: 'C001', role: 'collector' as const, pin: '692047' };
/** 10:00 at the site (UTC+8). */
export const START = Date.parse('2026-11-20T02:00:00.000Z');
export const DAY = '2026-11-20';

const cores: StationCore[] = [];

/** For `afterEach`: every core a test made is closed. */
export async function closeGates(): Promise<void> {
  for (const c of cores.splice(0)) {
    await c.devices.stop();
    c.close();
  }
}

export type TestGate = Awaited<ReturnType<typeof gate>>;

export async function gate(options: { roster?: string[] } = {}) {
  let now = START;
  const dataDir = tempDir();
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
  cores.push(core);
  await signInAdmin(core);
  if (options.roster) await applyRoster(core, options.roster);
  await ok(core, 'station.setWorkplace', { workplace: 'gate' });
  await ok(core, 'operator.create', KEEPER);
  await ok(core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
  const events: WireEvent[] = [];
  core.subscribe((e) => events.push(e));
  return {
    core,
    dataDir,
    events,
    now: () => now,
    advance: (ms: number) => (now += ms),
    /** A thermometer's stable reading measured at `at` (default now), delivered now. */
    reading: (celsius: number, at = now) => core.gate.thermometerReading({ id: 'thermo-1', celsius, at: new Date(at).toISOString() }),
    /** Later: the screen has locked itself meanwhile, and the gate keeper signs in again. */
    later: async (ms: number) => {
      now += ms;
      await ok(core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
    },
    /** Every change queued so far is committed. */
    settle: () => core.writer.run(() => undefined),
  };
}

/** A core the test made itself, closed with the gates after the test. */
export function closeWithGates(core: StationCore): StationCore {
  cores.push(core);
  return core;
}

/** Residents `1-1-101`, `1-1-102`… (test person n), with the tags given (`n:tag`). */
export async function applyRoster(core: StationCore, residents: string[]): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签'];
  residents.forEach((r, i) => {
    const [n, tag = ''] = r.split(':');
    lines.push(`居民${n},${idNumber(Number(n))},,1,1,${101 + i},${tag}`);
  });
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
}

export function journal(core: StationCore, kind: string): { entity_id: string; operator_id: string; payload: Record<string, unknown> }[] {
  return (core.db.prepare('SELECT entity_id, operator_id, payload FROM journal WHERE kind = ? ORDER BY seq').all(kind) as { entity_id: string; operator_id: string; payload: string }[]).map(
    (r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }),
  );
}

/** Every journal entry as HQ's ingest checks it (envelope, known kind, payload shape): the ones that fail, with why. */
export function refusedByHq(core: StationCore): string[] {
  return core.journal
    .readAfter(0, 100_000)
    .map((e) => checkRecord({ seq: e.seq, kind: e.kind, entityId: e.entityId, operatorId: e.operatorId, at: e.at, payload: e.payload }))
    .flatMap((c) => (c.ok ? [] : [c.detail]));
}

/** What the journal and the gate's tables hold now: a refusal must leave it as it was. */
export function snapshot(core: StationCore): unknown {
  return {
    seq: core.journal.lastSeq(),
    tables: ['person', 'gate_passage', 'gate_reading', 'gate_visit', 'gate_vehicle_passage'].map((t) => core.db.prepare(`SELECT count(*) AS n FROM ${t}`).get()),
  };
}
