import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { projectBoxes, siteBoxes, type SiteBoxes } from '../../../hq/domains/boxes';
import { receivedTubeCodes, type LabReceipt } from '../../../hq/domains/lab';
import { project } from '../../../hq/ingest';
import { checkRecord, HQ_PATHS, type BoxReceiptFeedPayload, type ValidRecord } from '../../../hq/protocol';
import { createHqServer, type HqServer } from '../../../hq/server';
import { tempDir } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { startPostgres, type PgCluster } from '../../helpers/postgres';
import { SimStation } from '../hq/fixtures';
import { BoxJournal } from './box-fixtures';

const ADMIN = 'lab-admin-token';
const SITE = { id: 'site-lab', name: '东湖社区' };
const BX1 = 'BX00000001';
const BX2 = 'BX00000002';
const T = (n: number) => tubeCode(n);
const NOW = Date.parse('2026-12-01T06:00:00.000Z');

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

/**
 * Desk A boxes tubes 1–4 in BX1 (tube 3 taken out with a reason and put back: two entries), seals
 * and hands it over; opens BX2 with tube 6 and leaves it open; tube 5 is sealed and in no box.
 * Desk B, another station of the site, hands over a box with the same code BX1 (codes are unique
 * per station only) holding its tube 21.
 */
function journals() {
  const a = new BoxJournal('A');
  for (const n of [1, 2, 3, 4, 5, 6]) a.sealedTube(T(n), n);
  a.open(BX1);
  a.add(BX1, T(1));
  a.add(BX1, T(2));
  const e3 = a.add(BX1, T(3));
  a.remove(BX1, T(3), e3, '放错位置，重新放入');
  const split = a.records.length;
  a.add(BX1, T(3));
  a.add(BX1, T(4));
  a.seal(BX1, [T(1), T(2), T(3), T(4)], 10);
  a.handOver(BX1, 4, 10);
  a.open(BX2);
  a.add(BX2, T(6));
  const b = new BoxJournal('B');
  b.sealedTube(T(21), 3);
  b.open(BX1);
  b.add(BX1, T(21));
  b.seal(BX1, [T(21)], 3);
  b.handOver(BX1, 1, 3);
  return { a, b, split };
}

describe.each(['sqlite', 'postgres'] as const)('boxes and the lab at HQ on %s', (backend) => {
  let hq: HqServer | undefined;
  afterEach(async () => {
    await hq?.close();
    hq = undefined;
  });

  const admin = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    hq!.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

  async function start(): Promise<{ one: SimStation; two: SimStation }> {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await createHqServer({ dataDir: tempDir('hq-lab-'), databaseUrl, adminToken: ADMIN });
    const base = await hq.listen(0);
    const one = new SimStation(base, '1号采样台');
    const two = new SimStation(base, '2号采样台');
    expect((await one.enroll((await hq.createEnrollmentCode(SITE.id, SITE.name)).code)).status).toBe(200);
    expect((await two.enroll((await hq.createEnrollmentCode(SITE.id)).code)).status).toBe(200);
    return { one, two };
  }

  async function upload(station: SimStation, records: Parameters<SimStation['upload']>[0]): Promise<void> {
    const res = await station.upload(records);
    expect(res.status).toBe(200);
    expect(res.json.rejections).toEqual([]);
  }

  const rows = (sql: string) => hq!.store.sql.read((tx) => tx.all<Record<string, unknown>>(sql));
  const boxesNow = () => hq!.store.sql.read((tx) => siteBoxes(tx, SITE.id, { now: NOW, today: '2026-12-01', days: 3 })) as Promise<SiteBoxes>;

  it('projects every box step once, reconciles a receipt (missing, extra, broken), keeps corrections as new steps and tells the box’s station alone', async () => {
    const { one, two } = await start();
    const { a, b, split } = journals();
    await upload(one, a.slice(1, split));
    await upload(one, a.slice(split + 1));
    await upload(two, b.records);

    const boxes = () =>
      rows(
        `SELECT station_id, box_id, code, state, count, person_count, capacity, opened_at, sealed_at, handed_over_at, handed_over_count FROM box ORDER BY station_id, box_id`,
      );
    const mine = (stationId: string) => (stationId === one.stationId ? 'A' : 'B');
    const projected = (await boxes()).map((r) => ({ ...r, station_id: mine(r.station_id as string) }));
    const sealedAt = (j: BoxJournal, kind: string) => j.at(j.records.find((r) => r.kind === kind)!.seq);
    expect(projected).toEqual(
      expect.arrayContaining([
        {
          station_id: 'A',
          box_id: a.boxId(BX1),
          code: BX1,
          state: 'handedOver',
          count: 4,
          person_count: 10,
          capacity: 50,
          opened_at: a.at(a.records.find((r) => r.kind === 'box.opened')!.seq),
          sealed_at: sealedAt(a, 'box.sealed'),
          handed_over_at: sealedAt(a, 'box.handedOver'),
          handed_over_count: 4,
        },
        expect.objectContaining({ station_id: 'A', box_id: a.boxId(BX2), code: BX2, state: 'open', count: 0, sealed_at: null, handed_over_at: null }),
        expect.objectContaining({ station_id: 'B', box_id: b.boxId(BX1), code: BX1, state: 'handedOver', count: 1, handed_over_count: 1 }),
      ]),
    );
    expect(projected).toHaveLength(3);
    const entries = await rows(`SELECT box_id, tube_code, removed_reason FROM box_tube WHERE station_id = '${one.stationId}' ORDER BY added_at, entry_id`);
    expect(entries).toEqual([
      { box_id: a.boxId(BX1), tube_code: T(1), removed_reason: null },
      { box_id: a.boxId(BX1), tube_code: T(2), removed_reason: null },
      { box_id: a.boxId(BX1), tube_code: T(3), removed_reason: '放错位置，重新放入' },
      { box_id: a.boxId(BX1), tube_code: T(3), removed_reason: null },
      { box_id: a.boxId(BX1), tube_code: T(4), removed_reason: null },
      { box_id: a.boxId(BX2), tube_code: T(6), removed_reason: null },
    ]);
    // Who carried the box stays in the journal: no projection row holds a name or a phone.
    const projection = JSON.stringify([await rows('SELECT * FROM box'), await rows('SELECT * FROM box_tube')]);
    for (const personal of ['钱转运', '13700137000']) expect(projection).not.toContain(personal);

    // A batch sent again, and the same steps projected again, change nothing.
    const before = JSON.stringify([await boxes(), await rows('SELECT * FROM box_tube ORDER BY station_id, entry_id')]);
    await upload(one, a.slice(split + 1));
    const steps = project(a.records.map((r) => (checkRecord(r) as { ok: true; record: ValidRecord }).record)).boxes;
    await hq!.store.sql.transaction((tx) => projectBoxes(tx, { id: one.stationId, siteId: SITE.id }, steps));
    expect(JSON.stringify([await boxes(), await rows('SELECT * FROM box_tube ORDER BY station_id, entry_id')])).toBe(before);

    // The site's boxes: both BX1 on the way, BX2 open, tube 5 in no box (tube 6 is in the open box).
    let view = await boxesNow();
    // The longest on the way first (B's journal is shorter: its box was handed over earlier).
    expect(view.inTransit.map((x) => [x.stationNumber, x.code, x.tubeCount, x.ageMinutes])).toEqual([
      [2, BX1, 1, Math.floor((NOW - Date.parse(sealedAt(b, 'box.handedOver'))) / 60_000)],
      [1, BX1, 4, Math.floor((NOW - Date.parse(sealedAt(a, 'box.handedOver'))) / 60_000)],
    ]);
    expect(view.notHandedOver.map((x) => [x.code, x.state, x.tubeCount, x.receivedAt])).toEqual([[BX2, 'open', 1, null]]);
    expect(view.looseTubes).toMatchObject({ total: 1, tubes: [{ code: T(5), stationNumber: 1, count: 5 }] });
    expect(view.discrepancies).toEqual([]);

    // The lab scans BX1: two stations' boxes have that code, so staff choose.
    const ambiguous = await admin('POST', `${HQ_PATHS.adminLab}/receipts`, { boxCode: BX1, receivedBy: '检验科王五' });
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json()).toMatchObject({ error: 'lab.boxAmbiguous' });
    expect((ambiguous.json().candidates as { stationNumber: number }[]).map((c) => c.stationNumber).sort()).toEqual([1, 2]);
    expect((await admin('POST', `${HQ_PATHS.adminLab}/receipts`, { boxCode: 'BX09999999', receivedBy: '检验科王五' })).json()).toMatchObject({ error: 'lab.boxUnknown' });
    expect((await admin('POST', `${HQ_PATHS.adminLab}/receipts`, { boxCode: BX1, receivedBy: '  ' })).statusCode).toBe(400);
    const opened = await admin('POST', `${HQ_PATHS.adminLab}/receipts`, { boxCode: BX1, receivedBy: '检验科王五', stationId: one.stationId });
    expect(opened.statusCode).toBe(200);
    const receipt = opened.json().receipt as LabReceipt;
    expect(opened.json().resumed).toBe(false);
    expect(receipt).toMatchObject({ boxCode: BX1, stationNumber: 1, boxState: 'handedOver', finishedAt: null, revision: 0, counts: { expected: 4, pending: 4 } });
    // Scanned again, the box resumes its receipt.
    expect((await admin('POST', `${HQ_PATHS.adminLab}/receipts`, { boxCode: BX1, receivedBy: '检验科赵六', stationId: one.stationId })).json()).toMatchObject({
      resumed: true,
      receipt: { receiptId: receipt.receiptId, receivedBy: '检验科王五' },
    });

    const r = `${HQ_PATHS.adminLab}/receipts/${receipt.receiptId}`;
    const scan = async (tube: string) => (await admin('POST', `${r}/tubes`, { tubeCode: tube })).json().scan;
    expect(await scan(T(1))).toEqual({ tubeCode: T(1), status: 'received', already: false, elsewhere: null });
    expect(await scan(T(1))).toMatchObject({ status: 'received', already: true });
    // Station B's tube in A's box: extra, and HQ says where it belongs; a code HQ never saw: extra, nowhere.
    expect(await scan(T(21))).toEqual({ tubeCode: T(21), status: 'extra', already: false, elsewhere: { stationNumber: 2, stationName: '2号采样台', siteName: SITE.name, boxCode: BX1 } });
    expect(await scan('SY9999999999')).toMatchObject({ status: 'extra', elsewhere: null });
    const broken = await admin('POST', `${r}/broken`, { tubeCode: T(2), reason: '管盖破裂，样本外漏' });
    expect(broken.json().scan).toMatchObject({ tubeCode: T(2), status: 'broken', already: false });
    expect((await admin('POST', `${r}/broken`, { tubeCode: T(2), reason: '' })).statusCode).toBe(400);
    expect((await admin('POST', `${r}/corrections`, { tubeCode: T(4), status: 'received', reason: '找到了', by: '检验科王五' })).json()).toMatchObject({ error: 'lab.receiptOpen' });
    const inProgress = (await admin('GET', r)).json() as LabReceipt;
    expect(inProgress.counts).toEqual({ expected: 4, received: 1, missing: 0, extra: 2, broken: 1, pending: 2 });
    expect((await admin('GET', `${HQ_PATHS.adminLab}/receipts?open=1&siteId=${SITE.id}`)).json().receipts).toEqual([expect.objectContaining({ receiptId: receipt.receiptId, counts: inProgress.counts })]);

    // Finished: the tubes of the box not scanned (3 and 4) are missing.
    const finished = await admin('POST', `${r}/finish`, {});
    expect(finished.statusCode).toBe(200);
    const done = finished.json() as LabReceipt;
    expect(done.counts).toEqual({ expected: 4, received: 1, missing: 2, extra: 2, broken: 1, pending: 0 });
    expect(done.revision).toBe(1);
    expect(done.tubes.map((x) => [x.tubeCode, x.expected, x.status, x.reason])).toEqual([
      [T(1), true, 'received', ''],
      [T(2), true, 'broken', '管盖破裂，样本外漏'],
      [T(3), true, 'missing', ''],
      [T(4), true, 'missing', ''],
      [T(21), false, 'extra', ''],
      ['SY9999999999', false, 'extra', ''],
    ]);
    // Nothing more goes into a finished receipt: it is corrected, for a tube at a time, with a reason.
    for (const [path, body] of [
      ['tubes', { tubeCode: T(4) }],
      ['broken', { tubeCode: T(4), reason: '破损' }],
      ['finish', {}],
    ] as const) {
      const refused = await admin('POST', `${r}/${path}`, body);
      expect([refused.statusCode, refused.json().error]).toEqual([409, 'lab.receiptFinished']);
    }
    const correct = (body: Record<string, string>) => admin('POST', `${r}/corrections`, { by: '检验科王五', reason: '复核', ...body });
    expect((await correct({ tubeCode: T(4), status: 'extra' })).json()).toMatchObject({ error: 'lab.statusInvalid' });
    expect((await correct({ tubeCode: T(21), status: 'missing' })).json()).toMatchObject({ error: 'lab.statusInvalid' });
    expect((await correct({ tubeCode: T(4), status: 'missing' })).json()).toMatchObject({ error: 'lab.statusUnchanged' });
    expect((await admin('POST', `${HQ_PATHS.adminLab}/receipts/nope/corrections`, { tubeCode: T(4), status: 'received', reason: 'x', by: 'y' })).statusCode).toBe(404);
    const corrected = await correct({ tubeCode: T(4), status: 'received', reason: '在冷藏箱夹层中找到' });
    expect(corrected.statusCode).toBe(200);
    expect(corrected.json()).toMatchObject({ revision: 2, counts: { received: 2, missing: 1, extra: 2, broken: 1 } });
    const read = (await admin('GET', r)).json() as LabReceipt;
    expect(read.steps.map((s) => [s.kind, s.tubeCode, s.status, s.by])).toEqual([
      ['opened', null, null, '检验科王五'],
      ['scanned', T(1), 'received', '检验科王五'],
      ['scanned', T(21), 'extra', '检验科王五'],
      ['scanned', 'SY9999999999', 'extra', '检验科王五'],
      ['broken', T(2), 'broken', '检验科王五'],
      ['finished', T(3), 'missing', '检验科王五'],
      ['finished', T(4), 'missing', '检验科王五'],
      ['finished', null, null, '检验科王五'],
      ['corrected', T(4), 'received', '检验科王五'],
    ]);
    expect(read.steps.at(-1)!.reason).toBe('在冷藏箱夹层中找到');

    // A tube is at the lab when a receipt holds it received or extra; missing and broken are not.
    const atLab = await hq!.store.sql.read((tx) => receivedTubeCodes(tx, [T(1), T(2), T(3), T(4), T(21)]));
    expect([...atLab].sort()).toEqual([T(1), T(4), T(21)].sort());

    // Station A hears of its box's receipt and its correction; station B of neither.
    const feedOf = async (s: SimStation) => ((await s.feed(0, 1000)).json.items as { kind: string; payload: unknown }[]).filter((i) => i.kind === 'box.receipt').map((i) => i.payload as BoxReceiptFeedPayload);
    const told = await feedOf(one);
    expect(told.map((p) => [p.revision, p.boxId, p.boxCode, p.received, p.missing, p.extra, p.broken, p.expected, p.boxState])).toEqual([
      [1, a.boxId(BX1), BX1, 1, 2, 2, 1, 4, 'handedOver'],
      [2, a.boxId(BX1), BX1, 2, 1, 2, 1, 4, 'handedOver'],
    ]);
    expect(told[1]!.discrepancies).toEqual([
      { tubeCode: T(2), status: 'broken', reason: '管盖破裂，样本外漏' },
      { tubeCode: T(3), status: 'missing', reason: '' },
      { tubeCode: T(21), status: 'extra', reason: '' },
      { tubeCode: 'SY9999999999', status: 'extra', reason: '' },
    ]);
    expect(await feedOf(two)).toEqual([]);

    // On the site's page: A's BX1 received with its discrepancies, B's still on the way.
    view = await boxesNow();
    expect(view.inTransit.map((x) => [x.stationNumber, x.code])).toEqual([[2, BX1]]);
    expect(view.discrepancies).toMatchObject([{ boxCode: BX1, stationNumber: 1, expected: 4, received: 2, missing: 1, extra: 2, broken: 1, receivedBy: '检验科王五' }]);
    expect((await admin('GET', `${HQ_PATHS.adminBoxes}?siteId=${SITE.id}`)).json()).toMatchObject({ siteId: SITE.id, inTransit: [{ stationNumber: 2 }] });
    expect((await admin('GET', `${HQ_PATHS.adminBoxes}?siteId=nope`)).statusCode).toBe(404);
    // Lists count in one statement what a receipt counts tube by tube.
    expect((await admin('GET', `${HQ_PATHS.adminLab}/receipts`)).json().receipts).toEqual([expect.objectContaining({ receiptId: receipt.receiptId, revision: 2, counts: read.counts })]);
    expect((await admin('GET', `${HQ_PATHS.adminLab}/receipts?open=1`)).json().receipts).toEqual([]);
  }, 60_000);

  it('receives a box HQ holds as not handed over, and says so; the dashboard page works by form posts alone', async () => {
    const { one, two } = await start();
    const { a, b } = journals();
    await upload(one, a.records);
    await upload(two, b.records);
    const form = (url: string, body: Record<string, string>) =>
      hq!.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() });
    const page = async (url: string) => {
      const res = await hq!.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.statusCode).toBe(200);
      return res.body;
    };

    // A code of two stations' boxes: the page itself offers the choice.
    const choose = await form('/dashboard/lab/receive?lang=zh-CN', { boxCode: BX1, receivedBy: '检验科王五' });
    expect(choose.statusCode).toBe(200);
    expect(choose.body).toContain('data-section="lab-choose"');
    expect(choose.body).toContain(`data-candidate="${one.stationId}"`);
    expect(choose.body).toContain(`data-candidate="${two.stationId}"`);

    // BX2 is still open at HQ: received all the same, and marked.
    const receive = await form('/dashboard/lab/receive?lang=zh-CN', { boxCode: BX2, receivedBy: '检验科王五' });
    expect(receive.statusCode).toBe(303);
    const location = receive.headers.location as string;
    expect(location).toContain('posted=lab.opened');
    const receiptId = new URL(location, 'http://hq').searchParams.get('receipt')!;
    let html = await page(location);
    expect(html).toContain('data-not-handed-over="open"');
    expect(html).toContain('接收时总部还没有这只箱子的交接记录');
    expect(html).toContain('已开始接收转运箱 BX00000002');
    const scanned = await form('/dashboard/lab/scan?lang=zh-CN', { receiptId, tubeCode: T(6) });
    expect(scanned.headers.location).toContain('posted=lab.received');
    expect(await page(scanned.headers.location as string)).toContain(`${T(6)} 已接收。`);
    const extra = await form('/dashboard/lab/scan?lang=zh-CN', { receiptId, tubeCode: T(5) });
    expect(extra.headers.location).toContain('posted=lab.extra');
    html = await page(extra.headers.location as string);
    expect(html).toContain(`data-tube="${T(5)}" data-status="extra"`);
    expect(html).toContain('未装箱');
    expect((await form('/dashboard/lab/broken?lang=zh-CN', { receiptId, tubeCode: T(6), reason: '' })).headers.location).toContain('posted=lab.invalid');
    const finish = await form('/dashboard/lab/finish?lang=zh-CN', { receiptId });
    expect(finish.headers.location).toContain('posted=lab.finished');
    expect((await form('/dashboard/lab/scan?lang=zh-CN', { receiptId, tubeCode: T(6) })).headers.location).toContain('posted=lab.receiptFinished');
    const corrected = await form('/dashboard/lab/correct?lang=en', { receiptId, tubeCode: T(6), status: 'broken', reason: 'cracked on the bench', by: 'Lab Wang' });
    expect(corrected.headers.location).toContain('posted=lab.corrected');
    html = await page(corrected.headers.location as string);
    expect(html).toContain('Correction recorded and sent to the site.');
    expect(html).toContain('data-receipt-state="finished"');

    // The site's page: BX2 not handed over, received at the lab all the same; its receipt's discrepancies.
    const boxes = await page(`/dashboard/boxes?site=${SITE.id}&lang=zh-CN`);
    expect(boxes).toContain(`data-pending="${BX2}"`);
    expect(boxes).toContain('实验室已于');
    expect(boxes).toContain(`data-discrepancy="${BX2}"`);
    expect(boxes).toContain('接收时无交接记录');
    expect(boxes).toContain('cracked on the bench');
    const en = await page(`/dashboard/boxes?site=${SITE.id}&lang=en`);
    expect(en).toContain('In transit (handed over, not received at the lab)');
    expect((await hq!.app.inject({ method: 'GET', url: '/dashboard/lab' })).statusCode).toBe(303);
    expect((await hq!.app.inject({ method: 'GET', url: `${HQ_PATHS.adminBoxes}?siteId=${SITE.id}` })).statusCode).toBe(401);
    const dashboard = await page('/dashboard');
    expect(dashboard).toContain('data-link="boxes"');
    expect(dashboard).toContain('data-link="lab"');
  }, 60_000);
});
