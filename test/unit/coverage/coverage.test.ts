import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedItem } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { checkCharacter } from '../../../electron/core/person/gb11643';
import { personMark } from '../../../electron/core/person/mark';
import { openCore, ok, refused } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';

let core: StationCore | undefined;
afterEach(() => core?.close());

function id(n: number): string {
  const first17 = `32010219750101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

/** A roster of `buildings` x `units` x `rooms` households, one resident each; resident n lives in household n. */
function rosterCsv(buildings: number, units: number, rooms: number): { csv: Buffer; people: { n: number; building: string; unit: string }[] } {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号'];
  const people: { n: number; building: string; unit: string }[] = [];
  let n = 0;
  for (let b = 1; b <= buildings; b++)
    for (let u = 1; u <= units; u++)
      for (let r = 1; r <= rooms; r++) {
        n++;
        lines.push(`居民${n},${id(n)},138${String(n).padStart(8, '0')},${b},${u},${100 + r}`);
        people.push({ n, building: String(b), unit: String(u) });
      }
  return { csv: Buffer.from(lines.join('\n')), people };
}

async function applyRoster(c: StationCore, csv: Buffer): Promise<void> {
  const { uploadId } = await ok(c, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(c, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(c, 'roster.read', { uploadId });
  await c.roster.idle();
  await ok(c, 'roster.apply', { importId: started.id });
}

const scan = (text: string) => ({ text, source: 'manual' as const });

/** The cells and the round's total as kept up to date, against the same counted from scratch. */
async function cellsAgree(c: StationCore, roundId: string): Promise<void> {
  const total = c.db.prepare('SELECT tested FROM coverage_total WHERE round_id = ?').get(roundId) as { tested: number } | undefined;
  expect(total?.tested ?? 0).toBe((c.db.prepare('SELECT count(*) AS n FROM coverage_tested WHERE round_id = ?').get(roundId) as { n: number }).n);
  const kept = c.db.prepare('SELECT building, unit, tested, exempt FROM coverage_cell WHERE round_id = ? AND (tested != 0 OR exempt != 0) ORDER BY building, unit').all(roundId);
  await c.writer.run(() => c.coverage.recount(roundId, new Date().toISOString()));
  const counted = c.db.prepare('SELECT building, unit, tested, exempt FROM coverage_cell WHERE round_id = ? AND (tested != 0 OR exempt != 0) ORDER BY building, unit').all(roundId);
  expect(kept).toEqual(counted);
}

describe('coverage of a round against the roster', () => {
  it('counts a generated roster whose answer is known, by building and unit, and exports the untested list', async () => {
    core = await openCore();
    const { csv } = rosterCsv(3, 2, 10); // 60 residents, 10 per unit
    await applyRoster(core, csv);
    const round = (await ok(core, 'desk.state', {})).round!;
    await ok(core, 'desk.setCapacity', { capacity: 10 });
    // Building 1 unit 1: all ten sampled; building 2 unit 2: residents 31..33 sampled; one visitor not on the roster.
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    for (let n = 1; n <= 10; n++) await ok(core, 'scan.submit', scan(id(n)));
    await ok(core, 'scan.submit', scan(tubeCode(2)));
    for (const n of [31, 32, 33]) await ok(core, 'scan.submit', scan(id(n)));
    await ok(core, 'scan.submit', scan(id(900)));
    // Resident 34 is in hospital; resident 35 was exempted by mistake and the exemption lifted.
    const [h] = await ok(core, 'roster.search', { query: id(34).slice(-6) });
    const [m] = await ok(core, 'roster.search', { query: id(35).slice(-6) });
    await ok(core, 'coverage.exempt', { roundId: round.id, ref: h!.ref, reason: 'hospital', note: '市一院' });
    await ok(core, 'coverage.exempt', { roundId: round.id, ref: m!.ref, reason: 'away' });
    await ok(core, 'coverage.unexempt', { roundId: round.id, ref: m!.ref });
    const view = await ok(core, 'coverage.view', {});
    expect(view.totals).toEqual({ residents: 60, tested: 13, exempt: 1, untested: 46 });
    expect(view.sampledNotOnRoster).toBe(1);
    expect(view.buildings.map((b) => [b.building, b.tested, b.exempt, b.untested])).toEqual([
      ['1', 10, 0, 10],
      ['2', 3, 1, 16],
      ['3', 0, 0, 20],
    ]);
    expect(view.buildings[1]!.units).toEqual([
      { unit: '1', residents: 10, tested: 0, exempt: 0, untested: 10 },
      { unit: '2', residents: 10, tested: 3, exempt: 1, untested: 6 },
    ]);
    // Undoing a binding takes that person out again; an exempt person sampled after all counts as sampled.
    await ok(core, 'binding.undo', { reason: '扫错人' }); // the visitor
    // Resident 33 again, into the tube they are in already: refused, and counted once.
    expect(await refused(core, 'scan.submit', scan(id(33)))).toBe('person.alreadyInTube');
    await ok(core, 'scan.submit', scan(id(34)));
    const after = await ok(core, 'coverage.view', {});
    expect(after.totals).toEqual({ residents: 60, tested: 14, exempt: 0, untested: 46 });
    expect(after.sampledNotOnRoster).toBe(0);
    await cellsAgree(core, round.id);

    const listed = await ok(core, 'coverage.residents', { building: '2', unit: '2', state: 'untested', offset: 0, limit: 100 });
    expect(listed.rows.map((r) => r.name)).toEqual(['居民35', '居民36', '居民37', '居民38', '居民39', '居民40']);
    const csvOut = await ok(core, 'coverage.export', { building: '2', unit: '2', format: 'csv' });
    expect(csvOut.fileName).toMatch(/未采样名单-.*2栋2单元\.csv$/);
    const bytes = Buffer.from(csvOut.base64, 'base64');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const records = parse(bytes.subarray(3).toString('utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    expect(records.map((r) => r['姓名'])).toEqual(['居民35', '居民36', '居民37', '居民38', '居民39', '居民40']);
    expect(records[0]!['房号']).toBe('105');
    const xlsxOut = await ok(core, 'coverage.export', { building: '3', format: 'xlsx' });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(xlsxOut.base64, 'base64') as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).getCell(4).text).toBe('姓名');
    expect(sheet.rowCount).toBe(21);
    expect(xlsxOut.rows).toBe(20);
  });

  it('counts another desk’s marks, and agrees with a count from scratch after any mix of changes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('bind' as const), n: fc.integer({ min: 1, max: 24 }) }),
            fc.record({ op: fc.constant('undo' as const) }),
            fc.record({ op: fc.constant('void' as const) }),
            fc.record({ op: fc.constant('newTube' as const) }),
            fc.record({ op: fc.constant('remote' as const), n: fc.integer({ min: 1, max: 26 }), b: fc.integer({ min: 1, max: 6 }) }),
            fc.record({ op: fc.constant('withdraw' as const), b: fc.integer({ min: 1, max: 6 }) }),
            fc.record({ op: fc.constant('exempt' as const), n: fc.integer({ min: 1, max: 24 }) }),
            fc.record({ op: fc.constant('unexempt' as const), n: fc.integer({ min: 1, max: 24 }) }),
          ),
          { maxLength: 40 },
        ),
        async (ops) => {
          core?.close();
          core = await openCore();
          await applyRoster(core, rosterCsv(2, 2, 6).csv);
          const round = (await ok(core, 'desk.state', {})).round!;
          // Counted once (as the first look at coverage does); from then on every change keeps the count.
          await ok(core, 'coverage.view', {});
          await ok(core, 'desk.setCapacity', { capacity: 5 });
          await ok(core, 'tube.new', {});
          const key = core.siteIdentity.markKey();
          let cursor = 0;
          let tubes = 1;
          const refOf = async (n: number) => (await ok(core!, 'roster.search', { query: id(n).slice(-6) }))[0]!.ref;
          for (const o of ops) {
            if (o.op === 'bind') {
              const r = await core.invoke('scan.submit', scan(id(o.n)));
              if (r.ok && r.value.kind === 'person.needsConfirmation') await ok(core, 'binding.confirm', { token: r.value.pending.token });
              if (!r.ok && r.error.code === 'tube.noneOpen') await ok(core, 'tube.new', {});
            } else if (o.op === 'undo') await core.invoke('binding.undo', { reason: 'x' });
            else if (o.op === 'void') {
              const state = await ok(core, 'desk.state', {});
              const code = state.openTube?.code ?? state.recentTubes.find((t) => t.state !== 'voided')?.code;
              if (code) await core.invoke('tube.void', { tubeCode: code, reason: 'x' });
            } else if (o.op === 'newTube') {
              await ok(core, 'scan.submit', scan(tubeCode(++tubes)));
            } else if (o.op === 'remote' || o.op === 'withdraw') {
              const item: FeedItem = {
                cursor: ++cursor,
                kind: 'round.marks',
                payload: {
                  roundId: round.id,
                  stationNumber: 2,
                  stationName: '2号采样台',
                  add: o.op === 'remote' ? [{ b: `remote-${o.b}`, m: personMark(key, `id:${id(o.n)}`), at: new Date().toISOString() }] : [],
                  remove: o.op === 'withdraw' ? [`remote-${o.b}`] : [],
                },
              };
              await core.writer.run(() => core!.feed.apply([item], new Date().toISOString()));
            } else if (o.op === 'exempt') {
              await ok(core, 'coverage.exempt', { roundId: round.id, ref: await refOf(o.n), reason: 'away' });
            } else {
              await ok(core, 'coverage.unexempt', { roundId: round.id, ref: await refOf(o.n) });
            }
          }
          // The cells kept up to date equal the cells counted from what the database says now.
          await cellsAgree(core, round.id);
          const view = await ok(core, 'coverage.view', {});
          const live = core.db
            .prepare(
              `SELECT DISTINCT p.id_number FROM binding b JOIN person p ON p.id = b.person_id JOIN tube t ON t.id = b.tube_id
               WHERE b.undo_correction_id IS NULL AND t.state != 'voided' AND b.round_id = ?`,
            )
            .all(round.id) as { id_number: string }[];
          const remoteIds = new Set((core.db.prepare('SELECT mark FROM round_mark').all() as { mark: string }[]).map((r) => r.mark));
          const sampled = new Set(live.map((l) => l.id_number));
          for (let n = 1; n <= 24; n++) if (remoteIds.has(personMark(key, `id:${id(n)}`))) sampled.add(id(n));
          const onRoster = [...sampled].filter((x) => Number(x.slice(14, 17)) <= 24);
          expect(view.totals.tested).toBe(onRoster.length);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('says there is no round rather than showing numbers for none', async () => {
    core = await openCore();
    const round = (await ok(core, 'desk.state', {})).round!;
    await ok(core, 'round.close', { roundId: round.id });
    // A closed round is still there to look back at.
    expect((await ok(core, 'coverage.view', {})).round?.id).toBe(round.id);
    expect(await refused(core, 'coverage.view', { roundId: 'nope' })).toBe('round.notFound');
  });

  it('makes every mark again when the station takes its site’s key: the roster’s, this desk’s, and so other desks’ marks meet them', async () => {
    core = await openCore();
    await applyRoster(core, rosterCsv(1, 1, 4).csv);
    const round = (await ok(core, 'desk.state', {})).round!;
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(id(1)));
    expect((await ok(core, 'coverage.view', {})).totals.tested).toBe(1);
    const siteKey = Buffer.alloc(32, 7).toString('base64url');
    const apply = (items: FeedItem[]) => core!.writer.run(() => core!.feed.apply(items, new Date().toISOString()));
    const effects = await apply([{ cursor: 1, kind: 'site.keys', payload: { siteId: 'demo-site', markKey: siteKey } }]);
    expect(effects.keys).toBe(true);
    // What the core does with that (as after any feed page): marks made again under the new key.
    expect(await core.writer.run(() => core!.coverage.remarkIfPending())).toBe(true);
    await core.roster.remark();
    expect(core.siteIdentity.markKey()).toBe(siteKey);
    // Another desk's binding of resident 2, marked under the site key, is counted; this desk's resident 1 still is.
    await apply([{ cursor: 2, kind: 'round.marks', payload: { roundId: round.id, stationNumber: 2, stationName: '2号采样台', add: [{ b: 'other-1', m: personMark(siteKey, `id:${id(2)}`), at: new Date().toISOString() }], remove: [] } }]);
    const view = await ok(core, 'coverage.view', {});
    expect(view.totals).toEqual({ residents: 4, tested: 2, exempt: 0, untested: 2 });
    await cellsAgree(core, round.id);
    // And the desk asks about resident 2 before sampling them.
    const asked = await ok(core, 'scan.submit', scan(id(2)));
    expect(asked).toMatchObject({ kind: 'person.needsConfirmation', pending: { previousStation: '2号采样台' } });
  });
});
