import { execFileSync, spawnSync } from 'node:child_process';
import ExcelJS from 'exceljs';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { personMark } from '../../electron/core/person/mark';
import { createHqServer } from '../../hq/server';
import { coverageView, recountCoverage } from '../../hq/domains/coverage';
import { currentRosterImport } from '../../hq/domains/roster';
import { benchId, LEDGER_HEADER, ledgerRow, writeLedgerCsv } from '../helpers/bench-ledger';
import { dataKeyOf, folderWithAdmin, staffArgs, tempDir, withKey } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { report, summarize } from '../helpers/stats';
import { ROOT, STATION_BIN } from '../helpers/station-process';

/**
 * The resident roster at district size: a 1,000,000-row ledger (CSV and XLSX) imported at a
 * station and at HQ on PostgreSQL, beside `sqlite3`'s `.import` and `psql \copy` of the same CSV
 * in the same run, with each importer's peak memory (its own process, as the OS counts it); and
 * reading a round's coverage over those residents, by building and unit. Figures only.
 */
const ROWS = Number(process.env.ROSTER_BENCH_ROWS ?? 1_000_000);
const XLSX_ROWS = Number(process.env.ROSTER_BENCH_XLSX_ROWS ?? ROWS);

let cluster: PgCluster | null = null;
let csvFile = '';
let xlsxFile = '';

async function writeXlsx(file: string, rows: number): Promise<void> {
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false, useStyles: false });
  const sheet = book.addWorksheet('居民');
  sheet.addRow(LEDGER_HEADER).commit();
  for (let n = 0; n < rows; n++) sheet.addRow(ledgerRow(n)).commit();
  sheet.commit();
  await book.commit();
}

/** Runs a command, timing it and taking its peak RSS (from `station`'s own report when it is one). */
function timed(command: string, args: string[], env: Record<string, string> = {}): { seconds: number; peakMb: number | null; out: string } {
  const start = performance.now();
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, STATION_LOG_LEVEL: 'warn', STATION_PEAK_RSS: '1', ...env }, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  const peak = /peak RSS ([\d.]+) MB/.exec(r.stderr);
  return { seconds, peakMb: peak ? Number(peak[1]) : null, out: r.stdout };
}

beforeAll(async () => {
  const dir = tempDir('roster-bench-');
  csvFile = path.join(dir, 'ledger.csv');
  xlsxFile = path.join(dir, 'ledger.xlsx');
  writeLedgerCsv(csvFile, ROWS);
  await writeXlsx(xlsxFile, XLSX_ROWS);
  try {
    cluster = await startPostgres({ fsync: true });
  } catch (err) {
    process.stdout.write(`\nroster bench: PostgreSQL not available (${err instanceof Error ? err.message : String(err)})\n`);
  }
}, 600_000);
afterAll(async () => {
  await cluster?.stop();
});

const mb = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(0)} MB`);

describe('roster import', () => {
  it('at a station: CSV and XLSX against sqlite3 .import', async () => {
    const baseDb = path.join(tempDir('roster-sqlite3-'), 'import.db');
    const sqlite = timed('sqlite3', [baseDb, '-cmd', '.mode csv', `.import ${csvFile} resident`]);
    const csv = timed(process.execPath, [STATION_BIN, 'roster', 'import', csvFile, '--data', await folderWithAdmin(tempDir('roster-station-csv-')), '--apply', ...staffArgs()]);
    const xlsx = timed(process.execPath, [STATION_BIN, 'roster', 'import', xlsxFile, '--data', await folderWithAdmin(tempDir('roster-station-xlsx-')), '--apply', ...staffArgs()]);
    report(`Roster import at a station (${ROWS.toLocaleString('en')} rows CSV, ${XLSX_ROWS.toLocaleString('en')} rows XLSX; read, check, index, apply, journal for HQ)`, [
      ['sqlite3 .import of the CSV (no checks, no index)', `${sqlite.seconds.toFixed(2)} s`],
      ['station roster import, CSV', `${csv.seconds.toFixed(2)} s (${(csv.seconds / sqlite.seconds).toFixed(1)}x sqlite3), peak ${mb(csv.peakMb)}`],
      ['station roster import, XLSX', `${xlsx.seconds.toFixed(2)} s, peak ${mb(xlsx.peakMb)}`],
      ['CSV file', `${(fs.statSync(csvFile).size / 1024 / 1024).toFixed(1)} MB`],
      ['XLSX file', `${(fs.statSync(xlsxFile).size / 1024 / 1024).toFixed(1)} MB`],
    ]);
  }, 900_000);

  it('at a station: a ledger uploaded from the screen (sealed as it arrives) against the same file read in place', async () => {
    // Alternating, twice each, so neither gets the warm-up alone: means reported.
    const reads: Record<'csv' | 'xlsx', { inPlace: number[]; upload: number[]; read: number[] }> = { csv: { inPlace: [], upload: [], read: [] }, xlsx: { inPlace: [], upload: [], read: [] } };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const [kind, file, rows] of [['csv', csvFile, ROWS], ['xlsx', xlsxFile, XLSX_ROWS]] as const) {
      const core = new StationCore({ ...withKey(tempDir('roster-sealed-')), devices: 'off', exclusive: true });
      try {
        const readToReady = async (start: () => Promise<{ id: string }>) => {
          const begun = performance.now();
          const started = await start();
          await core.roster.idle();
          const view = core.roster.importView(started.id);
          if (view.state !== 'ready' || view.residents !== rows) throw new Error(`${kind}: ${view.state}, ${view.residents} residents`);
          await core.roster.discard(view.id);
          return (performance.now() - begun) / 1000;
        };
        const bytes = fs.readFileSync(file);
        for (let run = 0; run < 2; run++) {
          reads[kind].inPlace.push(await readToReady(() => core.roster.readFile(file, undefined, undefined)));
          // As the screen sends it: base64 chunks, each sealed and written as it arrives.
          const uploadStart = performance.now();
          const { uploadId, chunkBytes } = core.roster.beginUpload(path.basename(file), bytes.length);
          for (let offset = 0; offset < bytes.length; offset += chunkBytes) core.roster.appendUpload(uploadId, offset, bytes.subarray(offset, offset + chunkBytes).toString('base64'));
          reads[kind].upload.push((performance.now() - uploadStart) / 1000);
          reads[kind].read.push(await readToReady(() => core.roster.read(uploadId, undefined, undefined)));
        }
      } finally {
        await core.devices.stop();
        core.close();
      }
    }
    const line = (kind: 'csv' | 'xlsx') => {
      const [inPlace, read] = [mean(reads[kind].inPlace), mean(reads[kind].read)];
      return `${inPlace.toFixed(2)} s / ${read.toFixed(2)} s (${(read / inPlace).toFixed(2)}x; runs ${reads[kind].inPlace.map((x) => x.toFixed(2)).join(', ')} / ${reads[kind].read.map((x) => x.toFixed(2)).join(', ')} s)`;
    };
    report(`Roster read at a station: uploaded and sealed (AES-256-CTR) against read in place, mean of 2 runs each (${ROWS.toLocaleString('en')} rows CSV, ${XLSX_ROWS.toLocaleString('en')} rows XLSX; read and check to ready)`, [
      ['CSV read in place / sealed upload read', line('csv')],
      ['CSV upload, chunks decoded and sealed', `${mean(reads.csv.upload).toFixed(2)} s`],
      ['XLSX read in place / sealed upload read', line('xlsx')],
      ['XLSX upload, chunks decoded and sealed', `${mean(reads.xlsx.upload).toFixed(2)} s`],
    ]);
  }, 900_000);

  it('at HQ on PostgreSQL: CSV and XLSX against psql \\copy', async () => {
    if (!cluster) return;
    const psql = path.join(cluster.binDir, 'psql');
    const copyDb = await cluster.createDatabase();
    execFileSync(psql, [copyDb, '-q', '-c', 'CREATE TABLE resident (name text, id_number text, phone text, building text, unit text, room text, tags text)']);
    const copy = timed(psql, [copyDb, '-q', '-c', `\\copy resident FROM '${csvFile}' CSV HEADER`]);
    const run = async (file: string) => {
      const databaseUrl = await cluster!.createDatabase();
      const dataDir = tempDir('roster-hq-');
      timed(process.execPath, [STATION_BIN, 'hq', 'code', '--data', dataDir, '--site', 'bench', '--site-name', '基准街道'], { HQ_DATABASE_URL: databaseUrl });
      return { ...timed(process.execPath, [STATION_BIN, 'hq', 'roster', 'import', file, '--data', dataDir, '--site', 'bench', '--apply'], { HQ_DATABASE_URL: databaseUrl }), databaseUrl, dataDir };
    };
    const csv = await run(csvFile);
    const xlsx = await run(xlsxFile);
    report(`Roster import at HQ, PostgreSQL (${ROWS.toLocaleString('en')} rows CSV, ${XLSX_ROWS.toLocaleString('en')} rows XLSX; read, check, COPY, index, compare, apply)`, [
      ['psql \\copy of the CSV (no checks, no index)', `${copy.seconds.toFixed(2)} s`],
      ['station hq roster import, CSV', `${csv.seconds.toFixed(2)} s (${(csv.seconds / copy.seconds).toFixed(1)}x psql), peak ${mb(csv.peakMb)}`],
      ['station hq roster import, XLSX', `${xlsx.seconds.toFixed(2)} s, peak ${mb(xlsx.peakMb)}`],
    ]);
    await hqCoverage(csv.databaseUrl, csv.dataDir);
  }, 900_000);

  it('coverage of a round over the roster at a station, by building and unit', async () => {
    const dataDir = await folderWithAdmin(tempDir('roster-coverage-'));
    timed(process.execPath, [STATION_BIN, 'roster', 'import', csvFile, '--data', dataDir, '--apply', ...staffArgs()]);
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    try {
      const round = core.rounds.current()!;
      const key = core.siteIdentity.markKey();
      // Four residents in five sampled (at this desk and others), as a busy afternoon leaves it.
      await core.writer.run(() => {
        const add = core.db.prepare('INSERT INTO coverage_tested (round_id, mark, sources) VALUES (?, ?, 1)');
        for (let n = 0; n < ROWS; n++) if (n % 5 !== 0) add.run(round.id, personMark(key, `id:${benchId(n)}`));
      });
      const recountStart = performance.now();
      await core.writer.run(() => core.coverage.recount(round.id, new Date().toISOString()));
      const recount = performance.now() - recountStart;
      const samples: number[] = [];
      let totals = '';
      for (let i = 0; i < 30; i++) {
        const start = performance.now();
        const view = await core.invoke('coverage.view', { roundId: round.id });
        samples.push(performance.now() - start);
        if (view.ok) totals = JSON.stringify(view.value.totals);
      }
      const s = summarize(samples);
      report(`Coverage at a station: ${ROWS.toLocaleString('en')} residents, ${(core.db.prepare('SELECT count(*) AS n FROM roster.cell').get() as { n: number }).n} units`, [
        ['coverage.view by building and unit (through the API), p50 / max', `${s.p50.toFixed(1)} ms / ${s.max.toFixed(1)} ms`],
        ['counting again from scratch (roster changed)', `${(recount / 1000).toFixed(2)} s`],
        ['totals', totals],
      ]);
    } finally {
      await core.devices.stop();
      core.close();
    }
  }, 900_000);
});

/** The same reading at HQ on PostgreSQL, over the roster HQ imported. */
async function hqCoverage(databaseUrl: string, dataDir: string): Promise<void> {
  const hq = await createHqServer({ dataDir, databaseUrl });
  try {
    const started = await hq.startRound({ siteId: 'bench', name: '基准轮次' });
    if (!started.ok) throw new Error('round');
    const roundId = started.round.roundId;
    await hq.store.sql.transaction(async (tx) => {
      const roster = (await currentRosterImport(tx, 'bench'))!;
      await tx.run(
        `INSERT INTO coverage_tested (round_id, person_key, sources) SELECT @roundId, 'id:' || id_number, 1 FROM roster_resident WHERE import_id = @importId AND row_no % 5 <> 0`,
        { roundId, importId: roster.id },
      );
    });
    const recountStart = performance.now();
    await hq.store.sql.transaction((tx) => recountCoverage(tx, roundId, new Date().toISOString()));
    const recount = performance.now() - recountStart;
    const samples: number[] = [];
    let totals = '';
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      const view = await hq.store.sql.read((tx) => coverageView(tx, roundId));
      samples.push(performance.now() - start);
      totals = JSON.stringify(view?.totals);
    }
    const s = summarize(samples);
    report(`Coverage at HQ, PostgreSQL: ${ROWS.toLocaleString('en')} residents`, [
      ['coverage by building and unit, p50 / max', `${s.p50.toFixed(1)} ms / ${s.max.toFixed(1)} ms`],
      ['counting again from scratch (roster changed)', `${(recount / 1000).toFixed(2)} s`],
      ['totals', totals],
    ]);
  } finally {
    await hq.close();
  }
}
