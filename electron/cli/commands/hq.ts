import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { importExportFile } from '../../../hq/import';
import { applyRosterImport, discardRosterImport, rosterProblems } from '../../../hq/domains/roster';
import { roundsOfSite } from '../../../hq/domains/rounds';
import { importLedgerAtHq } from '../../../hq/roster-import';
import { createHqServer } from '../../../hq/server';
import { parseOptions, parsePort } from '../args';
import { parseEncoding, parseHeaderMapping, rosterFailureText, rosterProblemLine, SHOWN_PROBLEMS } from '../roster-words';
import type { CliCommand } from './types';

export const DEFAULT_HQ_PORT = 8443;

/**
 * The admin token: `HQ_ADMIN_TOKEN`, else one generated once and kept in the data directory
 * (mode 0600), so a fresh HQ is never open to anyone and the token is never printed.
 */
function adminToken(dataDir: string): { token: string; source: string } {
  const fromEnv = process.env.HQ_ADMIN_TOKEN;
  if (fromEnv) return { token: fromEnv, source: 'HQ_ADMIN_TOKEN' };
  const file = path.join(dataDir, 'admin-token');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { token: fs.readFileSync(file, 'utf8').trim(), source: file };
}

async function serveHq(argv: string[], usage: string): Promise<number> {
  const { values } = parseOptions(argv, { data: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } }, usage);
  if (!values.data) throw new Error(`--data is required\nusage: ${usage}`);
  const dataDir = path.resolve(values.data);
  const { token, source } = adminToken(dataDir);
  const databaseUrl = process.env.HQ_DATABASE_URL || undefined;
  const hq = await createHqServer({ dataDir, databaseUrl, adminToken: token });
  const url = await hq.listen(parsePort(values.port, DEFAULT_HQ_PORT), values.host ?? '127.0.0.1');
  // One line on stdout that scripts and tests wait for.
  process.stdout.write(`hq: listening on ${url} (storage: ${hq.store.backend}, data: ${dataDir}, admin token: ${source})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void hq.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

async function code(argv: string[], usage: string): Promise<number> {
  const { values } = parseOptions(
    argv,
    { data: { type: 'string' }, site: { type: 'string' }, 'site-name': { type: 'string' }, 'ttl-hours': { type: 'string' } },
    usage,
  );
  if (!values.data || !values.site) throw new Error(`--data and --site are required\nusage: ${usage}`);
  const ttl = values['ttl-hours'] === undefined ? undefined : Number(values['ttl-hours']);
  if (ttl !== undefined && !(ttl > 0 && ttl <= 24 * 30)) throw new Error('--ttl-hours must be more than 0 and at most 720');
  const hq = await createHqServer({ dataDir: path.resolve(values.data), databaseUrl: process.env.HQ_DATABASE_URL || undefined, oneShot: true });
  try {
    const created = await hq.createEnrollmentCode(values.site, values['site-name'], ttl);
    process.stdout.write(`${created.code}\nsite ${values.site}; one-time; expires ${created.expiresAt}\n`);
    if (created.tubeCodes) {
      const { prefix, digits } = created.tubeCodes;
      const example = `${prefix}001${'1'.padStart(digits - 3, '0')}`;
      process.stdout.write(
        `new site: its desks generate tube codes starting ${prefix} (desk 1's first is ${example}), since another site's desks generate the default SY codes; ` +
          `set another with POST /api/v1/admin/site-config\n`,
      );
    }
    return 0;
  } finally {
    await hq.close();
  }
}

async function importFile(argv: string[], usage: string): Promise<number> {
  const { values, positionals } = parseOptions(argv, { data: { type: 'string' } }, usage);
  const file = positionals[0];
  if (!values.data || !file) throw new Error(`a file and --data are required\nusage: ${usage}`);
  const hq = await createHqServer({ dataDir: path.resolve(values.data), databaseUrl: process.env.HQ_DATABASE_URL || undefined, oneShot: true });
  try {
    const outcome = await importExportFile(hq.store, fs.readFileSync(file));
    if (!outcome.ok) {
      process.stderr.write(`hq import: ${outcome.error}${outcome.expectedSeq ? ` (HQ expects seq ${outcome.expectedSeq})` : ''}${outcome.detail ? `: ${outcome.detail}` : ''}\n`);
      return 1;
    }
    process.stdout.write(
      `imported station ${outcome.stationId} seq ${outcome.fromSeq}..${outcome.toSeq}; acknowledged through ${outcome.ackedThrough}; ${outcome.rejections.length} rejected\n`,
    );
    for (const r of outcome.rejections.slice(0, 50)) process.stdout.write(`  seq ${r.seq}: ${r.code} ${r.detail}\n`);
    return 0;
  } finally {
    await hq.close();
  }
}

/**
 * Opens HQ's store (no listening), runs `fn`, closes it. One-shot: a serving HQ may be reading a
 * ledger on the same data right now, and this instance leaves its imports and uploads alone.
 */
async function withHq<T>(dataDir: string, fn: (server: Awaited<ReturnType<typeof createHqServer>>) => Promise<T>): Promise<T> {
  const server = await createHqServer({ dataDir: path.resolve(dataDir), databaseUrl: process.env.HQ_DATABASE_URL || undefined, oneShot: true });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

const ROUND_WORDS: Record<string, string> = {
  'site.unknown': 'no such site (make an enrollment code for it first, with --site-name)',
  'round.unknown': 'no such round',
  'round.closed': 'that round is already closed',
  'round.datesInvalid': '--to is before --from',
};

async function round(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseOptions(
    rest,
    { data: { type: 'string' }, site: { type: 'string' }, name: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, round: { type: 'string' } },
    usage,
  );
  if (!values.data || !values.site) throw new Error(`--data and --site are required\nusage: ${usage}`);
  const site = values.site;
  const date = (v: string | undefined, flag: string) => {
    if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new Error(`${flag} must be a date, YYYY-MM-DD`);
    return v;
  };
  return withHq(values.data, async (server) => {
    if (action === 'start') {
      if (!values.name) throw new Error(`--name is required\nusage: ${usage}`);
      const startsOn = date(values.from, '--from');
      const endsOn = date(values.to, '--to');
      const outcome = await server.startRound({ siteId: site, name: values.name, ...(startsOn ? { startsOn } : {}), ...(endsOn ? { endsOn } : {}) });
      if (!outcome.ok) {
        process.stderr.write(`hq round start: ${ROUND_WORDS[outcome.error] ?? outcome.error}\n`);
        return 1;
      }
      process.stdout.write(`started round ${outcome.round.roundId} "${outcome.round.name}" at site ${site}; its stations receive it at their next sync\n`);
      return 0;
    }
    if (action === 'close') {
      const rounds = await server.store.sql.read((tx) => roundsOfSite(tx, site));
      const target = values.round ? rounds.find((r) => r.roundId === values.round) : rounds.find((r) => r.closedAt === null);
      if (!target) {
        process.stderr.write(`hq round close: ${values.round ? 'no such round at this site' : 'this site has no open round'}\n`);
        return 1;
      }
      const outcome = await server.closeRound(target.roundId);
      if (!outcome.ok) {
        process.stderr.write(`hq round close: ${ROUND_WORDS[outcome.error] ?? outcome.error}\n`);
        return 1;
      }
      process.stdout.write(`closed round ${target.roundId} "${target.name}" at site ${site}\n`);
      return 0;
    }
    if (action === 'list') {
      for (const r of await server.store.sql.read((tx) => roundsOfSite(tx, site))) {
        process.stdout.write(`${r.roundId}\t${r.closedAt ? `closed ${r.closedAt}` : 'open'}\t${r.startsOn ?? ''}..${r.endsOn ?? ''}\t${r.name}\t(started by ${r.startedBy})\n`);
      }
      return 0;
    }
    throw new Error(`unknown round action ${action ?? '(none)'}\nusage: ${usage}`);
  });
}

/** `hq station revoke`: a lost, stolen or retired desk; HQ refuses what it sends from now on. */
async function station(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'revoke') throw new Error(`unknown station action ${action ?? '(none)'}\nusage: ${usage}`);
  const { values } = parseOptions(rest, { data: { type: 'string' }, station: { type: 'string' } }, usage);
  if (!values.data || !values.station) throw new Error(`--data and --station are required\nusage: ${usage}`);
  const stationId = values.station;
  return withHq(values.data, async (server) => {
    const outcome = await server.revokeStation(stationId);
    if (!outcome.ok) {
      process.stderr.write(`hq station revoke: no station ${stationId} (the id is on the dashboard and in the station's upload status)\n`);
      return 1;
    }
    process.stdout.write(`revoked station ${stationId} (since ${outcome.revokedAt}): HQ refuses its uploads and requests from now on, and its screen tells staff to contact HQ\n`);
    return 0;
  });
}

async function roster(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'import') throw new Error(`unknown roster action ${action ?? '(none)'}\nusage: ${usage}`);
  const { values, positionals } = parseOptions(
    rest,
    { data: { type: 'string' }, site: { type: 'string' }, apply: { type: 'boolean' }, map: { type: 'string' }, encoding: { type: 'string' } },
    usage,
  );
  const file = positionals[0];
  if (!values.data || !values.site || !file) throw new Error(`a file, --data and --site are required\nusage: ${usage}`);
  const encoding = parseEncoding(values.encoding);
  const mapping = parseHeaderMapping(values.map) ?? {};
  const site = values.site;
  return withHq(values.data, async (server) => {
    if (!(await server.store.siteExists(site))) {
      process.stderr.write(`hq roster import: no site ${site} (make an enrollment code for it first, with --site-name)\n`);
      return 1;
    }
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const result = await importLedgerAtHq(server.store, {
      siteId: site,
      file: path.resolve(file),
      fileName: path.basename(file),
      mapping,
      ...(encoding ? { encoding } : {}),
      at: new Date().toISOString(),
    });
    if (result.state === 'failed') {
      process.stderr.write(`hq roster import: ${rosterFailureText(result.failure)}\n`);
      return 1;
    }
    if (result.state === 'needsMapping') {
      process.stderr.write(
        `hq roster import: headers to map: ${result.unmapped.join(', ')}${result.missingRequired.length ? `; missing: ${result.missingRequired.join(', ')}` : ''}\n` +
          `  say what each is with --map "HEADER=field,…" (field: name, idNumber, phone, building, unit, room, tags, ignore)\n`,
      );
      await server.store.sql.transaction((tx) => discardRosterImport(tx, result.id));
      return 1;
    }
    out(`${result.totalRows} rows: ${result.residents} good, ${result.refused} refused, ${result.warned} with a note`);
    const c = result.changes ?? { new: 0, moved: 0, changed: 0, gone: 0 };
    out(`against the roster in use: ${c.new} new, ${c.moved} moved, ${c.changed} changed, ${c.gone} gone`);
    const problems = await server.store.sql.read((tx) => rosterProblems(tx, result.id, 0, SHOWN_PROBLEMS));
    for (const p of problems.rows) out(rosterProblemLine(p));
    if (problems.total > problems.rows.length) out(`  … and ${problems.total - problems.rows.length} more rows with problems (every one is listed on the dashboard's import page)`);
    if (!values.apply) {
      await server.store.sql.transaction((tx) => discardRosterImport(tx, result.id));
      out('nothing imported: run again with --apply to import the good rows');
      return 0;
    }
    const applied = await server.store.sql.transaction((tx) => applyRosterImport(tx, result.id, new Date().toISOString()));
    if (!applied.ok) {
      process.stderr.write(`hq roster import: ${applied.error}\n`);
      return 1;
    }
    out(`imported ${applied.roster.residents} residents as the roster of site ${site} (${result.id}); its stations receive it at their next sync`);
    return 0;
  });
}

export const hq: CliCommand = {
  name: 'hq',
  summary:
    'run HQ (uploads, results, dashboard); `hq code` makes an enrollment code, `hq import FILE` reads an export, `hq round` starts and closes rounds, `hq roster import` reads a ledger, `hq station revoke` cuts off a lost desk',
  usage:
    'station hq --data DIR [--port N] | hq code --data DIR --site SITE [--site-name NAME] | hq import FILE --data DIR | hq round start|close|list --data DIR --site SITE | hq roster import FILE --data DIR --site SITE [--apply] | hq station revoke --data DIR --station ID',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'code') return code(rest, 'station hq code --data DIR --site SITE [--site-name NAME] [--ttl-hours H]');
    if (sub === 'import') return importFile(rest, 'station hq import FILE --data DIR');
    if (sub === 'roster') {
      return roster(rest, 'station hq roster import FILE --data DIR --site SITE [--apply] [--map "HEADER=field,…"] [--encoding utf-8|gb18030]');
    }
    if (sub === 'station') return station(rest, 'station hq station revoke --data DIR --station ID');
    if (sub === 'round') {
      return round(rest, 'station hq round start --data DIR --site SITE --name NAME [--from YYYY-MM-DD] [--to YYYY-MM-DD] | round close --data DIR --site SITE [--round ID] | round list --data DIR --site SITE');
    }
    return serveHq(argv, 'station hq --data DIR [--port N] [--host 127.0.0.1]');
  },
};
