import ExcelJS from 'exceljs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HQ_PATHS, feedResponseSchema } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';

/**
 * Lab results in bulk at HQ, on SQLite and on PostgreSQL: result files (CSV and XLSX) over the
 * admin API and the dashboard, and a lab system's requests with its token.
 */
const ADMIN = 'test-admin-token';
const HEADER = '试管编码,检测结果,检测时间,检测机构';
const LAB = '市疾控中心实验室';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

/** A time in Beijing time as a lab writes it, `minutes` before `ms`. */
function labTime(ms: number, minutes = 60): string {
  return new Date(ms - minutes * 60_000 + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

type ErrorJson = { row: number; code: string; column: string | null; value: string; detail: string; words: Record<string, string> };
/** What the admin API answers for a file. */
type FileAnswer = { ok: boolean; error?: string; detail?: string; state?: string; words?: Record<string, string>; import: { id: string } & Record<string, unknown>; errors: ErrorJson[] };
/** What the lab endpoint answers. */
type LabAnswer = { ok: boolean; error?: string; detail?: string; state: string; importId: string | null; summary: Record<string, number>; rows: { row: number; outcome: string }[] };

const tube = (n: number) => `SY001${String(n).padStart(7, '0')}`;

describe.each(['sqlite', 'postgres'] as const)('lab results in bulk on %s', (backend) => {
  let hq: HqServer;
  let base: string;
  let clock: number;
  let station: SimStation;

  beforeEach(async () => {
    clock = Date.now();
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await createHqServer({ dataDir: tempDir('hq-results-'), databaseUrl, adminToken: ADMIN, now: () => clock });
    base = await hq.listen(0);
    const { code } = await hq.createEnrollmentCode('site-a', '幸福社区');
    station = new SimStation(base, '采样台 1');
    expect((await station.enroll(code)).status).toBe(200);
    // Ten tubes of ten people: SY0010000001 … SY0010000010.
    expect((await station.upload(samplingJournal(10 * 22 + 1))).status).toBe(200);
    // The lab's receipt holds tubes 1-6 as arrived; 7-10 never reached it.
    await hq.store.sql.transaction(async (tx) => {
      await tx.run(`INSERT INTO lab_receipt (id, station_id, box_id, site_id, box_code, received_at, received_by) VALUES ('r1', @st, 'b1', 'site-a', 'BX00000001', @at, '检验科')`, {
        st: station.stationId,
        at: new Date(clock).toISOString(),
      });
      for (let n = 1; n <= 6; n++) {
        await tx.run(`INSERT INTO lab_receipt_tube (receipt_id, tube_code, status, at) VALUES ('r1', @code, 'received', @at)`, { code: tube(n), at: new Date(clock).toISOString() });
      }
    });
  });
  afterEach(async () => {
    await hq.close();
  });

  async function postFile(bytes: Buffer | string, query = ''): Promise<{ status: number; json: FileAnswer }> {
    const res = await fetch(`${base}${HQ_PATHS.adminResultFiles}?fileName=results.csv${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
    });
    return { status: res.status, json: (await res.json()) as FileAnswer };
  }

  async function adminJson(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function held(): Promise<{ results: number; feed: number; tasks: number; imports: number }> {
    return hq.store.sql.read(async (tx) => {
      const n = async (sql: string) => Number((await tx.one<{ n: number | string }>(sql))!.n);
      return {
        results: await n('SELECT count(*) AS n FROM result'),
        feed: await n(`SELECT count(*) AS n FROM feed_item WHERE kind = 'tube.result'`),
        tasks: await n('SELECT count(*) AS n FROM retest_task'),
        imports: await n('SELECT count(*) AS n FROM result_import'),
      };
    });
  }

  function csv(rows: string[][]): string {
    return `${HEADER}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
  }

  it('refuses a file with bad rows as a whole, naming every row, and writes no result', async () => {
    // Tube 1 opened at a second station too: which tube the code means is for staff to say.
    const { code } = await hq.createEnrollmentCode('site-a');
    const second = new SimStation(base, '采样台 2');
    expect((await second.enroll(code)).status).toBe(200);
    expect((await second.upload(samplingJournal(4))).status).toBe(200);
    const t = labTime(clock);
    const file = csv([
      [tube(2), '阴性', t, LAB],
      [tube(1), '阴性', t, LAB],
      ['SY0099999999', '阴性', t, LAB],
      [tube(3), '阳', t, LAB],
      [tube(4), '阴性', labTime(clock, -120), LAB],
      [tube(5), '阴性', t, ''],
      [tube(6), '阴性', t, LAB],
      [tube(6), '阳性', t, LAB],
    ]);
    // A quoted cell may hold a line break, a tab or a backslash: kept as it was.
    const refused = await postFile(`${file}${tube(7)},"阳\n性\t\\",${t},${LAB}\n`);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ ok: false, error: 'results.rowErrors', state: 'refused', import: { totalRows: 9, errors: 8, goodRows: 1, imported: 0, state: 'refused' } });
    expect(refused.json.errors.map((e) => [e.row, e.code])).toEqual([
      [3, 'row.tubeAmbiguous'],
      [4, 'row.tubeUnknown'],
      [5, 'row.resultInvalid'],
      [6, 'row.timeFuture'],
      [7, 'row.labMissing'],
      [8, 'row.duplicateDiffers'],
      [9, 'row.duplicateDiffers'],
      [10, 'row.resultInvalid'],
    ]);
    expect(refused.json.errors[1]!.words).toEqual({ 'zh-CN': expect.stringContaining('总部没有这支管'), en: expect.stringContaining('HQ has no such tube') });
    expect(await held()).toMatchObject({ results: 0, feed: 0, tasks: 0, imports: 1 });
    // The refusal is kept with its errors, page by page, for the dashboard.
    const kept = (await adminJson(`${HQ_PATHS.adminResultImports}/${refused.json.import.id}?limit=3&offset=2`)).json.errors as { total: number; offset: number; rows: ErrorJson[] };
    expect(kept).toMatchObject({ total: 8, offset: 2 });
    expect(kept.rows.map((e) => e.row)).toEqual([5, 6, 7]);
    const last = (await adminJson(`${HQ_PATHS.adminResultImports}/${refused.json.import.id}?offset=7`)).json.errors as { rows: ErrorJson[] };
    expect(last.rows).toEqual([expect.objectContaining({ row: 10, value: '阳\n性\t\\' })]);
    // A file that cannot be read as a whole is refused with its reason.
    expect((await postFile('试管编码,检测结果\nSY1,阴性\n')).json).toMatchObject({ ok: false, error: 'file.columns', detail: 'time,lab', words: { en: 'Missing columns: time, lab' } });
  });

  it('imports a good file, creating re-test tasks and feed items as one posted result does, and flags tubes never received', async () => {
    const t = labTime(clock);
    const first = await postFile(
      csv([
        [tube(2), '阳性(+)', t, LAB],
        [tube(3), '阴性', t, LAB],
        [tube(3), '阴性', t, LAB],
        [tube(7), '阴性', t, `"${LAB}\t2\\楼"`],
      ]),
    );
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      ok: true,
      state: 'imported',
      import: { totalRows: 4, imported: 3, already: 0, duplicates: 1, errors: 0, notReceived: 1, positives: 1, complete: true },
    });
    // The positive pool's ten members are asked back.
    expect(await hq.store.retestTasks(tube(2))).toHaveLength(10);
    const feed = feedResponseSchema.parse((await station.feed(0)).json);
    const results = feed.items.filter((i) => i.kind === 'tube.result').map((i) => i.payload);
    expect(results).toEqual([
      { tubeCode: tube(2), result: 'positive', at: new Date(clock).toISOString(), stationId: station.stationId, tubeId: `tube-SY001-2` },
      { tubeCode: tube(3), result: 'negative', at: new Date(clock).toISOString(), stationId: station.stationId, tubeId: `tube-SY001-3` },
      { tubeCode: tube(7), result: 'negative', at: new Date(clock).toISOString(), stationId: station.stationId, tubeId: `tube-SY001-7` },
    ]);
    const stored = await hq.store.sql.read((tx) => tx.all<Record<string, unknown>>('SELECT tube_code, result, tested_at, lab, row_no, not_received FROM result ORDER BY id'));
    expect(stored.map((r) => ({ ...r, row_no: Number(r.row_no), not_received: Number(r.not_received) }))).toEqual([
      { tube_code: tube(2), result: 'positive', tested_at: new Date(clock - 3600_000).toISOString().slice(0, 16) + ':00.000Z', lab: LAB, row_no: 2, not_received: 0 },
      { tube_code: tube(3), result: 'negative', tested_at: expect.any(String), lab: LAB, row_no: 3, not_received: 0 },
      { tube_code: tube(7), result: 'negative', tested_at: expect.any(String), lab: `${LAB}\t2\\楼`, row_no: 5, not_received: 1 },
    ]);
    const flagged = await adminJson(HQ_PATHS.adminFlaggedResults);
    expect(flagged.json.flagged).toEqual([expect.objectContaining({ tubeCode: tube(7), result: 'negative', lab: `${LAB}\t2\\楼`, rowNo: 5, siteName: '幸福社区', receivedSince: false, fileName: 'results.csv' })]);
    // The dashboard's positives show the pool as posted one at a time would.
    expect((await hq.store.dashboard('2000-01-01')).positives).toEqual([expect.objectContaining({ tubeCode: tube(2), members: 10, retested: 0 })]);
  });

  it('changes nothing for the same file again, posts no row twice across files (CSV then XLSX), and refuses another result for a resulted tube', async () => {
    const t = labTime(clock);
    const file = csv([
      [tube(2), '阴性', t, LAB],
      [tube(3), '阳性', t, LAB],
      [tube(4), '无效', t, LAB],
    ]);
    expect((await postFile(file)).json).toMatchObject({ state: 'imported', import: { imported: 3 } });
    const after = await held();
    const again = await postFile(file);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ ok: true, state: 'sameFile' });
    expect(await held()).toEqual(after);
    // The same rows in another file (here an XLSX, times as date cells): already there.
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('结果');
    sheet.addRow(['Tube code', 'Result', 'Time', 'Lab']);
    const cell = new Date(Date.parse(`${t.replace(' ', 'T')}:00Z`));
    sheet.addRow([tube(2), 'negative', cell, LAB]);
    sheet.addRow([tube(3), 'positive', cell, LAB]);
    const xlsx = Buffer.from(await book.xlsx.writeBuffer());
    const repeat = await postFile(xlsx);
    expect(repeat.json).toMatchObject({ ok: true, state: 'nothingNew', import: { already: 2, imported: 0 } });
    expect(await held()).toEqual(after);
    // One new row beside one already there; and a sample the lab ran again after "invalid".
    sheet.addRow([tube(4), 'negative', cell, LAB]);
    sheet.addRow([tube(5), 'negative', cell, LAB]);
    const more = await postFile(Buffer.from(await book.xlsx.writeBuffer()));
    expect(more.json).toMatchObject({ state: 'imported', import: { totalRows: 4, already: 2, imported: 2 } });
    // Another result for a tube HQ holds one for is refused: a correction is posted on its own.
    const differs = await postFile(csv([[tube(2), '阳性', t, LAB]]));
    expect(differs.status).toBe(422);
    expect(differs.json.errors).toEqual([expect.objectContaining({ row: 2, code: 'row.resultDiffers', detail: 'negative', words: expect.objectContaining({ 'zh-CN': expect.stringContaining('（阴性）') }) })]);
    expect(await held()).toMatchObject({ results: after.results + 2 });
    expect((await adminJson(HQ_PATHS.adminResults, { tubeCode: tube(2), result: 'positive' })).status).toBe(200);
    expect(await hq.store.retestTasks(tube(2))).toHaveLength(10);
  });

  it('on the dashboard: a refused file, its errors, then the good rows imported knowingly (and only the number shown)', async () => {
    const t = labTime(clock);
    const file = csv([
      [tube(2), '阳性', t, LAB],
      ['NOPE-1', '阴性', t, LAB],
      [tube(8), '阴性', t, LAB],
    ]);
    const auth = { authorization: `Bearer ${ADMIN}` };
    const form = new FormData();
    form.append('file', new Blob([file]), '结果.csv');
    const upload = await fetch(`${base}/dashboard/results/import`, { method: 'POST', headers: auth, body: form, redirect: 'manual' });
    expect(upload.status).toBe(303);
    const page = upload.headers.get('location')!;
    expect(page).toMatch(/^\/dashboard\/results\/import\/[0-9a-f-]+\?lang=zh-CN$/);
    const html = await (await fetch(`${base}${page}`, { headers: auth })).text();
    expect(html).toContain('data-error-row="3" data-code="row.tubeUnknown"');
    expect(html).toContain('只导入没有错误的 2 行');
    expect(html).toContain('data-state="refused"');
    expect(await held()).toMatchObject({ results: 0 });
    const id = page.split('/').at(-1)!.split('?')[0]!;
    const good = (body: string) =>
      fetch(`${base}/dashboard/results/import/${id}/good`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
    // Without the box ticked, or with another count than shown, nothing is written.
    expect((await good('expected=2')).headers.get('location')).toContain('posted=import.notPending');
    expect((await good('expected=3&confirm=yes')).headers.get('location')).toContain('posted=import.changed');
    expect(await held()).toMatchObject({ results: 0 });
    expect((await good('expected=2&confirm=yes')).headers.get('location')).toContain('posted=good.ok');
    expect(await held()).toMatchObject({ results: 2, tasks: 10 });
    const done = await (await fetch(`${base}/dashboard/results/import/${id}?lang=en`, { headers: auth })).text();
    expect(done).toContain('imported (the rows without errors only)');
    expect(done).toContain('data-flagged="SY0010000008"');
    expect((await good('expected=2&confirm=yes')).headers.get('location')).toContain('posted=import.notPending');
    expect(await held()).toMatchObject({ results: 2 });
    const list = await (await fetch(`${base}/dashboard/results/import`, { headers: auth })).text();
    expect(list).toContain('结果.csv');
    const flagged = await (await fetch(`${base}/dashboard/results/flagged?lang=en`, { headers: auth })).text();
    expect(flagged).toContain('SY0010000008');
    expect((await fetch(`${base}/dashboard/results/import`, { redirect: 'manual' })).status).toBe(303);
  });

  it('takes a lab system’s results with its token only, idempotently, answering row by row', async () => {
    const at = new Date(clock - 30 * 60_000).toISOString();
    const body = { lab: LAB, results: [{ tubeCode: tube(2), result: 'positive', at }, { tubeCode: tube(9), result: '阴性', at }] };
    const post = async (b: unknown, token?: string) => {
      const res = await fetch(`${base}${HQ_PATHS.labResults}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(b),
      });
      return { status: res.status, json: (await res.json()) as LabAnswer };
    };
    expect(await post(body)).toMatchObject({ status: 401, json: { error: 'lab.unauthorized' } });
    expect(await post(body, ADMIN)).toMatchObject({ status: 401, json: { error: 'lab.unauthorized' } });
    expect(await post(body, `lab_${'x'.repeat(43)}`)).toMatchObject({ status: 401 });
    const issued = await adminJson(HQ_PATHS.adminLabTokens, { lab: LAB });
    expect(issued.json).toMatchObject({ ok: true, lab: LAB, token: expect.stringMatching(/^lab_/) });
    const token = issued.json.token as string;
    // Only the digest is kept.
    const stored = await hq.store.sql.read((tx) => tx.all<{ token_hash: string }>('SELECT token_hash FROM lab_token'));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).not.toContain(token.slice(4));
    expect(await post({ ...body, lab: '另一个实验室' }, token)).toMatchObject({ status: 403, json: { error: 'lab.mismatch' } });
    expect(await post({ ...body, results: [] }, token)).toMatchObject({ status: 400, json: { error: 'body.invalid' } });

    const first = await post(body, token);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ ok: true, state: 'imported', summary: { rows: 2, imported: 2, notReceived: 1, positives: 1 } });
    expect(first.json.rows).toEqual([
      { row: 1, tubeCode: tube(2), outcome: 'imported' },
      { row: 2, tubeCode: tube(9), outcome: 'imported', notReceived: true },
    ]);
    expect(await hq.store.retestTasks(tube(2))).toHaveLength(10);
    const before = await held();
    const repeat = await post(body, token);
    expect(repeat.json).toMatchObject({ ok: true, state: 'nothingNew', importId: null });
    expect(repeat.json.rows.map((r) => r.outcome)).toEqual(['already', 'already']);
    expect(await held()).toEqual(before);

    // A bad row refuses the request whole; with goodRowsOnly the good rows go in, the bad listed.
    const mixed = { lab: LAB, results: [{ tubeCode: tube(3), result: 'negative', at }, { tubeCode: 'NOPE', result: 'negative', at }, { tubeCode: tube(4), result: '?', at }] };
    const refused = await post(mixed, token);
    expect(refused.status).toBe(422);
    expect(refused.json.rows).toEqual([
      { row: 1, tubeCode: tube(3), outcome: 'notImported' },
      { row: 2, tubeCode: 'NOPE', outcome: 'error', errors: [expect.objectContaining({ code: 'row.tubeUnknown', column: 'tubeCode' })] },
      { row: 3, tubeCode: tube(4), outcome: 'error', errors: [expect.objectContaining({ code: 'row.resultInvalid', value: '?' })] },
    ]);
    expect(await held()).toEqual(before);
    const partial = await post({ ...mixed, goodRowsOnly: true }, token);
    expect(partial.json).toMatchObject({ ok: true, state: 'imported', summary: { imported: 1, errors: 2 } });
    expect(partial.json.rows.map((r) => r.outcome)).toEqual(['imported', 'error', 'error']);

    const tokens = await adminJson(HQ_PATHS.adminLabTokens);
    expect(tokens.json.tokens).toEqual([expect.objectContaining({ id: issued.json.id, lab: LAB, revokedAt: null, lastUsedAt: expect.any(String) })]);
    expect(JSON.stringify(tokens.json)).not.toContain(token);
    expect((await adminJson(`${HQ_PATHS.adminLabTokens}/revoke`, { id: issued.json.id })).status).toBe(200);
    expect(await post(body, token)).toMatchObject({ status: 401, json: { error: 'lab.unauthorized', detail: 'token revoked' } });
  });
});
