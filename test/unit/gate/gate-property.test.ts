import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { dataKeyOf, ok, refused, signInAdmin, tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';
import { fuzzOptions, fuzzTimeout } from '../fuzz/arbitraries';
import { gateScenario } from './scenario';

const KEEPER = { name: '王值守', code: 'G001', role: 'gatekeeper' as const, pin: '580317' };
const DAY_MS = 86_400_000;

let core: StationCore;
let clock = Date.parse('2026-11-20T00:00:00.000Z');
/** Each run's people get ID numbers of their own. */
let nextPerson = 0;

beforeAll(async () => {
  const dataDir = tempDir();
  core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(clock) });
  await signInAdmin(core);
  await ok(core, 'station.setWorkplace', { workplace: 'gate' });
  await ok(core, 'operator.create', KEEPER);
});
afterAll(() => core.close());

describe('the gate with real records (property)', () => {
  it(
    'never records a reading on the passage of anyone but the person it was measured on, whatever the order and delays',
    async () => {
      let attached = 0;
      await fc.assert(
        fc.asyncProperty(gateScenario({ people: 6, attempts: 3, readings: 2, ticks: 8 }), async (s) => {
          // A day apart: runs never meet in one window.
          const base = (clock = (Math.floor(clock / DAY_MS) + 2) * DAY_MS);
          await ok(core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
          core.identity.site.config = { ...core.identity.site.config, gate: { reading: { beforeScanSeconds: s.beforeMs / 1000, afterScanSeconds: s.afterMs / 1000 } } };
          const ids = new Map<number, string>();
          const passages = new Map<string, string>();
          /** Every reading of the run carries its own value, so the record tells whose it was. */
          const measuredOn = new Map<number, number>();
          const fromSeq = core.journal.lastSeq();
          for (const e of s.events) {
            clock = base + e.at;
            if (e.kind === 'present') {
              if (!ids.has(e.person)) ids.set(e.person, idNumber(nextPerson++));
              const id = ids.get(e.person)!;
              if (e.attempt === 'scan') {
                const outcome = await ok(core, 'gate.scan', { text: id, source: 'manual' });
                if (outcome.kind !== 'gate.passage') throw new Error('no passage');
                passages.set(e.passage!, outcome.passage.id);
              } else if (e.attempt === 'refused') {
                expect(await refused(core, 'gate.scan', { text: id.slice(0, 17) + (id.endsWith('0') ? '1' : '0'), source: 'manual' })).toBe('scan.idCheckFailed');
              } else await ok(core, 'gate.remeasure', { passageId: passages.get(e.passage!)! });
            } else if (e.kind === 'reading') {
              const celsius = 32 + measuredOn.size / 10;
              measuredOn.set(Math.round(celsius * 10), e.reading.person);
              core.gate.thermometerReading({ id: 'thermo-1', celsius, at: new Date(base + e.reading.at).toISOString() });
            } else await core.gate.checkDue();
          }
          clock = base + s.end;
          await core.gate.checkDue();
          await core.writer.run(() => undefined);
          expect(core.gate.waiting()).toBe(0);
          const rows = core.db
            .prepare(
              `SELECT r.celsius, p.id_number FROM gate_reading r LEFT JOIN gate_passage g ON g.id = r.passage_id LEFT JOIN person p ON p.id = g.person_id
               WHERE r.seq > ?`,
            )
            .all(fromSeq) as { celsius: number; id_number: string | null }[];
          expect(rows).toHaveLength(s.readings);
          for (const r of rows) {
            if (r.id_number === null) continue;
            expect(r.id_number).toBe(ids.get(measuredOn.get(Math.round(r.celsius * 10))!));
            attached++;
          }
        }),
        fuzzOptions(60, 20_000),
      );
      expect(attached).toBeGreaterThan(0);
    },
    fuzzTimeout(120_000),
  );
});
