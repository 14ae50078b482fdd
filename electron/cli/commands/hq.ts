import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { applyRosterImport, discardRosterImport, rosterProblems } from '../../../hq/domains/roster';
import { roundsOfSite } from '../../../hq/domains/rounds';
import { changeOperator, createOperator, hashNewPin, operatorsOfSite, type OperatorOutcome } from '../../../hq/domains/operators';
import { roleSchema } from '../../api/operators';
import { readPin } from '../pin-input';
import { importLedgerAtHq } from '../../../hq/roster-import';
import { issueLabToken, labTokens, revokeLabToken } from '../../../hq/domains/lab-tokens';
import { importPendingRows } from '../../../hq/domains/result-imports';
import { importResultFile } from '../../../hq/result-import';
import { fileErrorWords, rowErrorWords, RESULT_COLUMN_WORDS } from '../../../hq/result-words';
import type { ImportOutcome } from '../../../hq/import';
import { createHqServer } from '../../../hq/server';
import type { StationOnOldKey } from '../../../hq/domains/stations';
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

function ttlHours(text: string | undefined): number | undefined {
  const ttl = text === undefined ? undefined : Number(text);
  if (ttl !== undefined && !(ttl > 0 && ttl <= 24 * 30)) throw new Error('--ttl-hours must be more than 0 and at most 720');
  return ttl;
}

async function code(argv: string[], usage: string): Promise<number> {
  const { values } = parseOptions(
    argv,
    { data: { type: 'string' }, site: { type: 'string' }, 'site-name': { type: 'string' }, 'ttl-hours': { type: 'string' } },
    usage,
  );
  if (!values.data || !values.site) throw new Error(`--data and --site are required\nusage: ${usage}`);
  const ttl = ttlHours(values['ttl-hours']);
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

/** What an import refusal means, for the one at HQ's console. */
const IMPORT_WORDS: Record<Exclude<ImportOutcome, { ok: true }>['error'], string> = {
  'body.invalid': 'not a station export file',
  'body.tooLarge': 'the file unpacks to more than HQ takes at once',
  'station.unknown': 'the station that wrote it is not enrolled at this HQ',
  'station.revoked': 'the station that wrote it was revoked at this HQ: its records are not taken',
  'signature.invalid': 'not signed by the station it names, or changed since',
  'import.gap': 'records before these are missing: import the earlier file first',
  'chain.broken': 'the station’s record chain does not continue what HQ holds (a record was changed, removed or moved)',
  'export.notForThisHq': 'encrypted for another HQ’s key: it cannot be opened here',
};

async function importFile(argv: string[], usage: string): Promise<number> {
  const { values, positionals } = parseOptions(argv, { data: { type: 'string' } }, usage);
  const file = positionals[0];
  if (!values.data || !file) throw new Error(`a file and --data are required\nusage: ${usage}`);
  const hq = await createHqServer({ dataDir: path.resolve(values.data), databaseUrl: process.env.HQ_DATABASE_URL || undefined, oneShot: true });
  try {
    const outcome = await hq.importExport(fs.readFileSync(file));
    if (!outcome.ok) {
      process.stderr.write(
        `hq import: ${IMPORT_WORDS[outcome.error]} (${outcome.error})${outcome.expectedSeq ? ` (HQ expects seq ${outcome.expectedSeq})` : ''}${outcome.detail ? `: ${outcome.detail}` : ''}\n`,
      );
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

/**
 * `hq station revoke`: a lost, stolen or retired desk; HQ refuses what it sends from now on.
 * `hq station relink`: a one-time code that links that desk again (revoked, or it missed a change
 * of HQ's key), as the same station: what HQ holds stays, the rest of its journal follows.
 */
async function station(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'revoke' && action !== 'relink') throw new Error(`unknown station action ${action ?? '(none)'}\nusage: ${usage}`);
  const { values } = parseOptions(rest, { data: { type: 'string' }, station: { type: 'string' }, 'ttl-hours': { type: 'string' } }, usage);
  if (!values.data || !values.station) throw new Error(`--data and --station are required\nusage: ${usage}`);
  const stationId = values.station;
  if (action === 'relink') {
    const ttl = ttlHours(values['ttl-hours']);
    return withHq(values.data, async (server) => {
      const made = await server.createRelinkCode(stationId, ttl);
      if (!made.ok) {
        process.stderr.write(`hq station relink: no station ${stationId} (the id is on the dashboard and in the station's upload status)\n`);
        return 1;
      }
      process.stdout.write(
        `${made.code}\nre-link code for station ${stationId} only (site ${made.siteId}); one-time; expires ${made.expiresAt}. ` +
          `Its desk keeps its records and sends what HQ does not hold yet; a revocation ends when it is used\n`,
      );
      return 0;
    });
  }
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

const KEY_WORDS: Record<string, string> = {
  'hq.keyRotationUnderWay': 'a key change is under way already: retire the previous key first (station hq key retire)',
  'hq.keyBusy': 'another key change is running on this data folder right now; try again in a moment',
  'hq.noRotation': 'no key change is under way: there is no previous key to retire',
};

function stationLines(stations: StationOnOldKey[]): string {
  return stations
    .map((s) => `  ${s.siteName} · ${s.number} · ${s.name} (${s.id}): ${s.hqKey ? `trusts ${s.hqKey}` : 'has not said which key it trusts'}, last contact ${s.lastContactAt ?? 'never'}\n`)
    .join('');
}

/**
 * `hq key rotate`: a new signing key (and export key) now, the previous key vouching for it until
 * `hq key retire`, which is refused while stations have not moved to the new key (`--force`: those
 * stations must then be linked again, `hq station relink`). `hq key status` says where it stands.
 */
async function key(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseOptions(rest, { data: { type: 'string' }, force: { type: 'boolean' } }, usage);
  if (!values.data) throw new Error(`--data is required\nusage: ${usage}`);
  return withHq(values.data, async (server) => {
    if (action === 'rotate') {
      const rotated = await server.rotateKey();
      if (!rotated.ok) {
        process.stderr.write(`hq key rotate: ${KEY_WORDS[rotated.error]} (${rotated.error})\n`);
        return 1;
      }
      process.stdout.write(
        `HQ's key is now ${rotated.fingerprint} (was ${rotated.previousFingerprint}); a running HQ signs with it within a second. ` +
          `Stations move to it at their next exchange; new enrollment codes carry it. Export files written before still import. ` +
          `When every station has moved (station hq key status), run station hq key retire\n`,
      );
      return 0;
    }
    if (action === 'retire') {
      const retired = await server.retireKey({ force: values.force === true });
      if (!retired.ok && retired.error === 'hq.stationsBehind') {
        process.stderr.write(
          `hq key retire: ${retired.stations.length} station(s) have not moved to the new key; retired now, each must be linked again (station hq station relink). ` +
            `Wait for them, or run again with --force:\n${stationLines(retired.stations)}`,
        );
        return 1;
      }
      if (!retired.ok) {
        process.stderr.write(`hq key retire: ${KEY_WORDS[retired.error]} (${retired.error})\n`);
        return 1;
      }
      process.stdout.write(`previous key ${retired.previousFingerprint} retired: answers no longer carry its word for the new key\n${stationLines(retired.stationsBehind)}`);
      return 0;
    }
    if (action === 'status') {
      const status = await server.keyStatus();
      process.stdout.write(`HQ's key: ${status.fingerprint}\n`);
      if (!status.rotation) process.stdout.write('no key change under way\n');
      else {
        process.stdout.write(
          `key change under way since ${status.rotation.at} (previous key ${status.rotation.previousFingerprint}); ${status.stationsBehind.length} station(s) not yet on the new key\n${stationLines(status.stationsBehind)}`,
        );
      }
      return 0;
    }
    throw new Error(`unknown key action ${action ?? '(none)'}\nusage: ${usage}`);
  });
}

const OPERATOR_WORDS: Record<string, string> = {
  'site.unknown': 'no such site (make an enrollment code for it first, with --site-name)',
  'operator.unknown': 'no operator of this site has that staff code',
  'operator.codeTaken': 'another operator of this site has that staff code',
  'operator.codeInvalid': 'a staff code is letters, digits, - or _, up to 32 of them',
  'operator.badgeTaken': 'that badge is registered to another operator of this site',
  'operator.badgeInvalid': 'that badge number does not fit the site’s badge pattern',
  'operator.nameInvalid': 'a name is 1 to 50 characters',
  'pin.tooShort': 'a PIN has at least 6 digits',
  'pin.tooLong': 'a PIN has at most 12 digits',
  'pin.notDigits': 'a PIN is digits only',
  'pin.tooCommon': 'that PIN is too easy to guess (a repeat, a sequence or a common number); choose another',
};

/**
 * `station hq operator`: a site's operators, as on the dashboard. A PIN is typed at the terminal
 * (twice) or read from --pin-file, never given on the command line; HQ keeps and sends its hash.
 */
async function operatorCommand(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseOptions(
    rest,
    {
      data: { type: 'string' },
      site: { type: 'string' },
      code: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      badge: { type: 'string' },
      'pin-file': { type: 'string' },
    },
    usage,
  );
  if (!values.data || !values.site) throw new Error(`--data and --site are required\nusage: ${usage}`);
  const site = values.site;
  const role = values.role === undefined ? undefined : roleSchema.safeParse(values.role);
  if (role && !role.success) throw new Error(`--role must be one of ${roleSchema.options.join(', ')}`);
  const newPin = async (): Promise<string> => {
    const pin = await readPin({ pinFile: values['pin-file'], prompt: 'PIN (6 to 12 digits): ' });
    if (!values['pin-file'] && process.stdin.isTTY && (await readPin({ prompt: 'PIN again: ' })) !== pin) throw new Error('the two PINs differ; nothing was changed');
    const hashed = await hashNewPin(pin);
    if (!hashed.ok) throw new Error(OPERATOR_WORDS[hashed.error] ?? hashed.error);
    return hashed.pinHash;
  };
  const said = (outcome: OperatorOutcome, done: string): number => {
    if (!outcome.ok) {
      process.stderr.write(`hq operator ${action}: ${OPERATOR_WORDS[outcome.error] ?? outcome.error}\n`);
      return 1;
    }
    process.stdout.write(`${done} ${outcome.operator.code} (${outcome.operator.name}, ${outcome.operator.role}) at site ${site}; its stations receive it at their next sync\n`);
    return 0;
  };
  if (action === 'list') {
    return withHq(values.data, async (server) => {
      for (const o of await server.store.sql.read((tx) => operatorsOfSite(tx, site))) {
        const state = o.disabled ? 'disabled' : o.lockedOut ? 'locked out' : o.hasPin ? 'active' : 'no PIN';
        process.stdout.write(`${o.code}\t${o.role}\t${state}\t${o.badge ?? ''}\t${o.name}\n`);
      }
      return 0;
    });
  }
  if (!values.code) throw new Error(`--code is required\nusage: ${usage}`);
  const code = values.code;
  const at = () => new Date().toISOString();
  if (action === 'add') {
    if (!values.name || !role) throw new Error(`--name and --role are required\nusage: ${usage}`);
    const pinHash = await newPin();
    return withHq(values.data, async (server) =>
      said(
        await server.store.sql.transaction((tx) => createOperator(tx, { siteId: site, name: values.name!, code, role: role.data!, badge: values.badge ?? null, pinHash, at: at() })),
        'added',
      ),
    );
  }
  const changes: Record<string, () => Promise<Partial<Parameters<typeof changeOperator>[1]>>> = {
    role: async () => {
      if (!role) throw new Error(`--role is required\nusage: ${usage}`);
      return { role: role.data };
    },
    pin: async () => ({ pinHash: await newPin() }),
    disable: async () => ({ disabled: true }),
    enable: async () => ({ disabled: false }),
    unlock: async () => ({ unlock: true }),
  };
  const change = action ? changes[action] : undefined;
  if (!change) throw new Error(`unknown operator action ${action ?? '(none)'}\nusage: ${usage}`);
  const fields = await change();
  return withHq(values.data, async (server) => said(await server.store.sql.transaction((tx) => changeOperator(tx, { siteId: site, code, at: at(), ...fields })), 'changed'));
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

/**
 * `hq lab-token issue|list|revoke`: the tokens labs' systems post results with (`POST /lab/v1/results`).
 * A new token is printed once; HQ keeps only its digest.
 */
async function labToken(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseOptions(rest, { data: { type: 'string' }, lab: { type: 'string' }, id: { type: 'string' } }, usage);
  if (!values.data) throw new Error(`--data is required\nusage: ${usage}`);
  const at = new Date().toISOString();
  return withHq(values.data, async (server) => {
    if (action === 'issue') {
      if (!values.lab) throw new Error(`--lab is required\nusage: ${usage}`);
      const issued = await server.store.sql.transaction((tx) => issueLabToken(tx, { lab: values.lab!, at }));
      if (!issued.ok) {
        process.stderr.write('hq lab-token issue: a lab’s name is 1 to 100 characters\n');
        return 1;
      }
      process.stdout.write(
        `${issued.token}\ntoken ${issued.labToken.id} for lab "${issued.labToken.lab}": give it to the lab's system (Authorization: Bearer TOKEN on POST /lab/v1/results). ` +
          `It is shown only now; HQ keeps its digest. Revoke it with station hq lab-token revoke --id ${issued.labToken.id}\n`,
      );
      return 0;
    }
    if (action === 'revoke') {
      if (!values.id) throw new Error(`--id is required\nusage: ${usage}`);
      const revoked = await server.store.sql.transaction((tx) => revokeLabToken(tx, { id: values.id!, at }));
      if (!revoked.ok) {
        process.stderr.write(`hq lab-token revoke: no token ${values.id} (station hq lab-token list shows them)\n`);
        return 1;
      }
      process.stdout.write(`revoked token ${revoked.labToken.id} of lab "${revoked.labToken.lab}" (since ${revoked.labToken.revokedAt}): HQ refuses it from now on\n`);
      return 0;
    }
    if (action === 'list') {
      for (const t of await server.store.sql.read((tx) => labTokens(tx))) {
        process.stdout.write(`${t.id}\t${t.revokedAt ? `revoked ${t.revokedAt}` : 'live'}\tissued ${t.createdAt}\tlast used ${t.lastUsedAt ?? 'never'}\t${t.lab}\n`);
      }
      return 0;
    }
    throw new Error(`unknown lab-token action ${action ?? '(none)'}\nusage: ${usage}`);
  });
}

/**
 * `hq results import FILE`: a lab's result file, as on the dashboard. Every row is checked first;
 * with any row error nothing is imported and each error is printed, unless `--good-rows N` says
 * to import the N rows without errors (N as the check said: a different count imports nothing).
 */
async function results(argv: string[], usage: string): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'import') throw new Error(`unknown results action ${action ?? '(none)'}\nusage: ${usage}`);
  const { values, positionals } = parseOptions(rest, { data: { type: 'string' }, 'good-rows': { type: 'string' } }, usage);
  const file = positionals[0];
  if (!values.data || !file) throw new Error(`a file and --data are required\nusage: ${usage}`);
  const goodRows = values['good-rows'] === undefined ? null : Number(values['good-rows']);
  if (goodRows !== null && !(Number.isInteger(goodRows) && goodRows > 0)) throw new Error('--good-rows is the number of rows without errors the check reported');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  return withHq(values.data, async (server) => {
    const bytes = fs.readFileSync(file);
    const outcome = await importResultFile(server.store, { bytes, fileName: path.basename(file), mode: 'all', keepPending: goodRows !== null, now: Date.now() });
    if (outcome.kind === 'fileError') {
      process.stderr.write(`hq results import: ${fileErrorWords(outcome.error, outcome.detail).en} (${outcome.error})\n`);
      return 1;
    }
    if (outcome.kind === 'sameFile') {
      out(`this file was imported before, every row (import ${outcome.import.id} on ${outcome.import.at}): nothing changed`);
      return 0;
    }
    const s = outcome.kind === 'imported' ? outcome.import : outcome.summary;
    const counts = () =>
      out(`${s.totalRows} rows: ${s.imported} imported, ${s.already} already at HQ, ${s.duplicates} repeated in the file, ${s.errors} with errors; ${s.notReceived} for tubes no lab receipt holds, ${s.positives} positive`);
    if (outcome.kind === 'nothingNew') {
      counts();
      out('every result of the file is at HQ already: nothing changed');
      return 0;
    }
    if (outcome.kind === 'imported') {
      counts();
      out(`imported (${outcome.import.id}); the stations receive the results at their next sync`);
      return 0;
    }
    counts();
    for (const e of outcome.rows.errors.slice(0, SHOWN_PROBLEMS)) {
      out(`  row ${e.rowNo}${e.column ? ` (${RESULT_COLUMN_WORDS[e.column].en})` : ''}${e.value ? ` "${e.value}"` : ''}: ${rowErrorWords(e.code, e.detail).en}`);
    }
    if (outcome.rows.errors.length > SHOWN_PROBLEMS) out(`  … and ${outcome.rows.errors.length - SHOWN_PROBLEMS} more (every one is on the dashboard's import page)`);
    const id = outcome.import?.id;
    if (goodRows === null || !id) {
      out(
        s.goodRows > 0
          ? `nothing imported; to import only the ${s.goodRows} rows without errors, run again with --good-rows ${s.goodRows}`
          : 'nothing imported: no row can be imported',
      );
      return 1;
    }
    if (goodRows !== s.goodRows) {
      out(`nothing imported: --good-rows ${goodRows}, but ${s.goodRows} rows are without errors now; check the errors again`);
      return 1;
    }
    const done = await server.store.sql.transaction((tx) => importPendingRows(tx, { id, expected: goodRows, at: new Date().toISOString() }));
    if (!done.ok) {
      process.stderr.write(`hq results import: ${done.error}\n`);
      return 1;
    }
    out(`imported the ${done.import.imported} rows without errors (${id}); the ${s.errors} rows with errors are not; the stations receive the results at their next sync`);
    return 0;
  });
}

export const hq: CliCommand = {
  name: 'hq',
  summary:
    'run HQ (uploads, results, dashboard); `hq code` makes an enrollment code, `hq import FILE` reads an export, `hq round` starts and closes rounds, `hq roster import` reads a ledger, `hq operator` manages a site’s operators, `hq station revoke` cuts off a lost desk, `hq station relink` links one again, `hq key` changes HQ’s key, `hq results import` reads a lab’s result file, `hq lab-token` issues and revokes labs’ tokens',
  usage:
    'station hq --data DIR [--port N] | hq code --data DIR --site SITE [--site-name NAME] | hq import FILE --data DIR | hq round start|close|list --data DIR --site SITE | hq roster import FILE --data DIR --site SITE [--apply] | hq operator add|role|pin|disable|enable|unlock|list --data DIR --site SITE [--code CODE] | hq station revoke|relink --data DIR --station ID | hq key rotate|retire|status --data DIR [--force] | hq results import FILE --data DIR [--good-rows N] | hq lab-token issue|list|revoke --data DIR [--lab NAME] [--id ID]',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'code') return code(rest, 'station hq code --data DIR --site SITE [--site-name NAME] [--ttl-hours H]');
    if (sub === 'import') return importFile(rest, 'station hq import FILE --data DIR');
    if (sub === 'roster') {
      return roster(rest, 'station hq roster import FILE --data DIR --site SITE [--apply] [--map "HEADER=field,…"] [--encoding utf-8|gb18030]');
    }
    if (sub === 'station') return station(rest, 'station hq station revoke --data DIR --station ID | station relink --data DIR --station ID [--ttl-hours H]');
    if (sub === 'key') return key(rest, 'station hq key rotate|retire|status --data DIR [--force]');
    if (sub === 'results') return results(rest, 'station hq results import FILE --data DIR [--good-rows N]');
    if (sub === 'lab-token') return labToken(rest, 'station hq lab-token issue --data DIR --lab NAME | lab-token list --data DIR | lab-token revoke --data DIR --id ID');
    if (sub === 'operator') {
      return operatorCommand(
        rest,
        'station hq operator add --data DIR --site SITE --code CODE --name NAME --role ROLE [--badge BADGE] [--pin-file FILE] | operator role --data DIR --site SITE --code CODE --role ROLE | operator pin|disable|enable|unlock --data DIR --site SITE --code CODE [--pin-file FILE] | operator list --data DIR --site SITE',
      );
    }
    if (sub === 'round') {
      return round(rest, 'station hq round start --data DIR --site SITE --name NAME [--from YYYY-MM-DD] [--to YYYY-MM-DD] | round close --data DIR --site SITE [--round ID] | round list --data DIR --site SITE');
    }
    return serveHq(argv, 'station hq --data DIR [--port N] [--host 127.0.0.1]');
  },
};
