import ExcelJS from 'exceljs';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { readResultFile } from '../../hq/domains/result-files';
import { HQ_PATHS } from '../../hq/protocol';
import { importResultFile, type FileImportOutcome } from '../../hq/result-import';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { report } from '../helpers/stats';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';

/**
 * A lab's result file of 100,000 rows imported at HQ, on SQLite and on PostgreSQL: CSV and XLSX,
 * each row checked (its tube found, the result HQ holds, the lab's receipt), then written with its
 * feed item (and re-test tasks for the 1 % positive). Also the same file again (recognised by its
 * digest), another file with the same rows (every row checked and found at HQ), and a lab system's
 * requests of 10,000 rows over loopback HTTP. Figures only, no asserts: rows/s and the memory the
 * import took (RSS sampled every 10 ms, its peak and its rise over what the process held before).
 */
const ROWS = Number(process.env.RESULT_BENCH_ROWS ?? 100_000);
const XLSX_ROWS = Number(process.env.RESULT_BENCH_XLSX_ROWS ?? ROWS);
const REQUEST_ROWS = 10_000;
const REQUESTS = Number(process.env.RESULT_BENCH_REQUESTS ?? 3);
const LAB = '市疾控中心实验室';
const BATCH = 5_000;

let cluster: PgCluster | null = null;
beforeAll(async () => {
  try {
    cluster = await startPostgres();
  } catch (err) {
    process.stdout.write(`\nresult import bench: PostgreSQL not available (${err instanceof Error ? err.message : String(err)})\n`);
  }
}, 300_000);
afterAll(async () => {
  await cluster?.stop();
});

const tube = (n: number) => `SY001${String(n).padStart(7, '0')}`;
const resultOf = (n: number) => (n % 100 === 7 ? '阳性' : '阴性');

function labTime(ms: number, n: number): string {
  return new Date(ms - 3600_000 - (n % 3600) * 1000 + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function csvOf(from: number, count: number, now: number, extraColumn = false): Buffer {
  const lines = [`试管编码,检测结果,检测时间,检测机构${extraColumn ? ',备注' : ''}`];
  for (let n = from; n < from + count; n++) lines.push(`${tube(n)},${resultOf(n)},${labTime(now, n)},${LAB}${extraColumn ? ',' : ''}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function xlsxOf(from: number, count: number, now: number): Promise<Buffer> {
  const file = path.join(tempDir('result-bench-xlsx-'), 'results.xlsx');
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false, useStyles: true });
  const sheet = book.addWorksheet('检测结果');
  sheet.addRow(['试管编码', '检测结果', '检测时间', '检测机构']).commit();
  for (let n = from; n < from + count; n++) {
    // A date cell, as a lab's spreadsheet has it: its wall clock is Beijing time.
    const row = sheet.addRow([tube(n), resultOf(n), new Date(Date.parse(`${labTime(now, n).replace(' ', 'T')}Z`)), LAB]);
    row.getCell(3).numFmt = 'yyyy-mm-dd hh:mm:ss';
    row.commit();
  }
  sheet.commit();
  await book.commit();
  return fs.readFileSync(file);
}

/** Runs `fn`, sampling the process's RSS. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number; riseMb: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const start = performance.now();
  try {
    const value = await fn();
    const seconds = (performance.now() - start) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, seconds, peakMb: peak / 1024 / 1024, riseMb: (peak - before) / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

function rate(rows: number, m: { seconds: number; peakMb: number; riseMb: number }): string {
  return `${Math.round(rows / m.seconds).toLocaleString('en')} rows/s (${m.seconds.toFixed(2)} s), RSS peak ${m.peakMb.toFixed(0)} MB (+${m.riseMb.toFixed(0)} MB)`;
}

function summary(o: FileImportOutcome): string {
  if (o.kind === 'fileError') return `file refused: ${o.error}`;
  if (o.kind === 'sameFile') return 'same file: nothing done';
  const s = o.kind === 'imported' ? o.import : o.summary;
  return `${o.kind}: ${s.imported} imported, ${s.already} already, ${s.errors} errors, ${s.notReceived} not received, ${s.positives} positive`;
}

/** An HQ holding `tubes` single tubes of one station, 90 % of them received at the lab. */
async function hqWithTubes(databaseUrl: string | undefined, tubes: number): Promise<{ hq: HqServer; base: string; setupSeconds: number }> {
  const start = performance.now();
  const hq = await createHqServer({ dataDir: tempDir('result-bench-'), databaseUrl, adminToken: 'bench-admin' });
  const base = await hq.listen(0);
  const { code } = await hq.createEnrollmentCode('bench-site', '基准采样点');
  const station = new SimStation(base, 'bench');
  if ((await station.enroll(code)).status !== 200) throw new Error('enroll failed');
  // Single tubes: opened, one person, bound, sealed.
  const journal = samplingJournal(tubes * 4 + 1, { capacity: 1 });
  for (let i = 0; i < journal.length; i += BATCH) {
    const records = journal.slice(i, i + BATCH);
    const out = await hq.store.ingest({
      stationId: station.stationId,
      batchId: crypto.randomUUID(),
      fromSeq: records[0]!.seq,
      toSeq: records[records.length - 1]!.seq,
      headSeq: journal.length,
      records,
      receivedAt: new Date().toISOString(),
      siteId: 'bench-site',
    });
    if (out.kind !== 'ack') throw new Error(`ingest: ${out.kind}`);
  }
  const at = new Date().toISOString();
  await hq.store.sql.transaction(async (tx) => {
    await tx.run(`INSERT INTO lab_receipt (id, station_id, box_id, site_id, box_code, received_at, received_by) VALUES ('r1', @st, 'b1', 'bench-site', 'BX00000001', @at, '检验科')`, {
      st: station.stationId,
      at,
    });
    const received = Array.from({ length: tubes }, (_, i) => i + 1).filter((n) => n % 10 !== 3).map(tube);
    for (let i = 0; i < received.length; i += BATCH) {
      const codes = received.slice(i, i + BATCH);
      await tx.run(
        tx.dialect === 'postgres'
          ? `INSERT INTO lab_receipt_tube (receipt_id, tube_code, status, at) SELECT 'r1', c, 'received', @at FROM unnest(@codes::text[]) AS c`
          : `INSERT INTO lab_receipt_tube (receipt_id, tube_code, status, at) SELECT 'r1', value, 'received', @at FROM json_each(@codes)`,
        { codes, at },
      );
    }
  });
  return { hq, base, setupSeconds: (performance.now() - start) / 1000 };
}

async function benchBackend(label: string, databaseUrl: string | undefined): Promise<void> {
  const tubes = ROWS + XLSX_ROWS + REQUEST_ROWS * REQUESTS;
  const { hq, base, setupSeconds } = await hqWithTubes(databaseUrl, tubes);
  try {
    const now = Date.now();
    const csv = csvOf(1, ROWS, now);
    const xlsx = await xlsxOf(ROWS + 1, XLSX_ROWS, now);
    const sameRows = csvOf(1, ROWS, now, true);
    const file = (bytes: Buffer, fileName: string) => importResultFile(hq.store, { bytes, fileName, mode: 'all', keepPending: true, now: Date.now() });

    const readCsv = await measured(() => readResultFile(csv, { now: Date.now() }));
    const firstCsv = await measured(() => file(csv, 'results.csv'));
    const again = await measured(() => file(csv, 'results.csv'));
    const repeat = await measured(() => file(sameRows, 'results-again.csv'));
    const readXlsx = await measured(() => readResultFile(xlsx, { now: Date.now() }));
    const firstXlsx = await measured(() => file(xlsx, 'results.xlsx'));

    const token = String(((await (await fetch(`${base}${HQ_PATHS.adminLabTokens}`, { method: 'POST', headers: { authorization: 'Bearer bench-admin', 'content-type': 'application/json' }, body: JSON.stringify({ lab: LAB }) })).json()) as { token: string }).token);
    const bodies = Array.from({ length: REQUESTS }, (_, k) => {
      const from = ROWS + XLSX_ROWS + 1 + k * REQUEST_ROWS;
      const results = Array.from({ length: REQUEST_ROWS }, (_, i) => ({ tubeCode: tube(from + i), result: (from + i) % 100 === 7 ? 'positive' : 'negative', at: new Date(now - 3600_000).toISOString() }));
      return JSON.stringify({ lab: LAB, results });
    });
    const requests = await measured(async () => {
      for (const body of bodies) {
        const res = await fetch(`${base}${HQ_PATHS.labResults}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`lab request: ${res.status} ${await res.text()}`);
      }
    });

    report(`Result file import at HQ, ${label} (${tubes.toLocaleString('en')} single tubes at HQ, 90 % received at the lab; setup ${setupSeconds.toFixed(1)} s)`, [
      [`read and check ${ROWS.toLocaleString('en')} CSV rows (no database)`, rate(ROWS, readCsv)],
      [`import the CSV, ${(csv.length / 1024 / 1024).toFixed(1)} MB`, `${rate(ROWS, firstCsv)}; ${summary(firstCsv.value)}`],
      ['the same CSV again', `${again.seconds.toFixed(3)} s; ${summary(again.value)}`],
      ['another CSV with the same rows', `${rate(ROWS, repeat)}; ${summary(repeat.value)}`],
      [`read and check ${XLSX_ROWS.toLocaleString('en')} XLSX rows (no database)`, rate(XLSX_ROWS, readXlsx)],
      [`import the XLSX, ${(xlsx.length / 1024 / 1024).toFixed(1)} MB`, `${rate(XLSX_ROWS, firstXlsx)}; ${summary(firstXlsx.value)}`],
      [`lab endpoint, ${REQUESTS} requests of ${REQUEST_ROWS.toLocaleString('en')} rows over HTTP`, rate(REQUESTS * REQUEST_ROWS, requests)],
    ]);
  } finally {
    await hq.close();
  }
}

describe('result file import', () => {
  it(`SQLite: ${ROWS.toLocaleString('en')} rows`, async () => {
    await benchBackend('SQLite', undefined);
  }, 900_000);

  it(`PostgreSQL: ${ROWS.toLocaleString('en')} rows`, async () => {
    if (!cluster) return;
    await benchBackend('PostgreSQL', await cluster.createDatabase());
  }, 900_000);
});
