import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import pg from 'pg';
import { createHqServer, type HqServer, type HqServerOptions } from '../../hq/server';
import { recordDigest } from '../../hq/protocol';
import { StationCore, type CoreOptions } from '../../electron/core/core';
import { checkCharacter } from '../../electron/core/person/gb11643';
import type { AgentTuning } from '../../electron/core/upload/agent';
import { freshFolder, signInAdmin, tempDir } from '../helpers/core';
import { tubeCode } from '../helpers/ids';

/** Retries in milliseconds instead of seconds, so a test sees many of them. */
export const FAST_TUNING: Partial<AgentTuning> = {
  backoff: { baseMs: 10, capMs: 200, maxRetryAfterMs: 1500 },
  timeoutMs: 1500,
  idleMs: 30,
  feedIdleMs: 100,
  feedEveryMs: 2000,
};

export type RunningHq = { server: HqServer; url: string; dataDir: string; databaseUrl: string | undefined };

/** HQ in this process: embedded SQLite, or PostgreSQL when `databaseUrl` is given. */
export async function startHq(options: Partial<HqServerOptions> = {}, port = 0): Promise<RunningHq> {
  const dataDir = options.dataDir ?? tempDir('hq-test-');
  const server = await createHqServer({ ...options, dataDir });
  const url = await server.listen(port);
  return { server, url, dataDir, databaseUrl: options.databaseUrl };
}

/** A valid ID number for person `n`, unique for n < 20000 (a birth date per n). */
export function personId(n: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + n * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `110105${ymd}${String(100 + (n % 900)).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

/** A station enrolled at `hq` (through `viaUrl`, e.g. a proxy), its agent running when asked. */
export async function enrolledStation(
  hq: RunningHq,
  viaUrl: string,
  options: Partial<CoreOptions> = {},
): Promise<StationCore> {
  const { code } = await hq.server.createEnrollmentCode('site-e2e', '测试社区');
  const core = await signInAdmin(new StationCore({ ...freshFolder('station-upload-'), ...options }));
  const status = await core.invoke('upload.enroll', { hqUrl: viaUrl, code });
  if (!status.ok) throw new Error(`enroll failed: ${JSON.stringify(status.error)}`);
  // Enrolled, its demo round is over: a site admin at this desk starts the site's round.
  const round = await core.invoke('round.start', { name: '第1轮全员核酸' });
  if (!round.ok) throw new Error(`round start failed: ${JSON.stringify(round.error)}`);
  return core;
}

/**
 * A desk of site `siteId` enrolled at `hq`, its agent running at test speed, and nothing else
 * (rounds come from HQ); added to `desks` for the test to close.
 */
export async function siteDesk(hq: RunningHq, site: { id: string; name: string }, desks: StationCore[]): Promise<StationCore> {
  const { code } = await hq.server.createEnrollmentCode(site.id, site.name);
  const core = await signInAdmin(new StationCore({ ...freshFolder('station-site-'), upload: { start: true, tuning: FAST_TUNING } }));
  desks.push(core);
  const enrolled = await core.invoke('upload.enroll', { hqUrl: hq.url, code });
  if (!enrolled.ok) throw new Error(`enroll failed: ${JSON.stringify(enrolled.error)}`);
  return core;
}

/**
 * `people` bindings in tubes of `capacity`, starting at person/tube `first`. Each tube's scans
 * are queued together, as a fast desk does; the writer commits them as one group.
 */
export async function bindPeople(core: StationCore, people: number, capacity: 5 | 10 | 20 = 10, first = 0): Promise<void> {
  const scan = (text: string) => core.invoke('scan.submit', { text, source: 'simulator' });
  await core.invoke('desk.setCapacity', { capacity });
  for (let start = 0; start < people; start += capacity) {
    const calls = [scan(tubeCode(first + start / capacity + 1))];
    for (let i = start; i < Math.min(people, start + capacity); i++) calls.push(scan(personId(first + i)));
    const results = await Promise.all(calls);
    const refused = results.find((r) => !r.ok);
    if (refused && !refused.ok) throw new Error(`scan refused: ${JSON.stringify(refused.error)}`);
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function uploadedAll(core: StationCore): Promise<boolean> {
  const status = await core.invoke('upload.status', {});
  return status.ok && status.value.waiting === 0 && status.value.ackedThrough === core.journal.lastSeq();
}

/** seq -> content digest of every record HQ holds for the station, read from its database. */
export async function hqDigests(hq: Pick<RunningHq, 'dataDir' | 'databaseUrl'>, hqStationId: string): Promise<Map<number, string>> {
  if (hq.databaseUrl) {
    const client = new pg.Client({ connectionString: hq.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ seq: string; digest: string }>('SELECT seq, digest FROM record WHERE station_id = $1 ORDER BY seq', [hqStationId]);
      return new Map(rows.map((r) => [Number(r.seq), r.digest]));
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(hq.dataDir, 'hq.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT seq, digest FROM record WHERE station_id = ? ORDER BY seq').all(hqStationId) as { seq: number; digest: string }[];
    return new Map(rows.map((r) => [r.seq, r.digest]));
  } finally {
    db.close();
  }
}

/** seq -> content digest of the station's whole journal, computed the way HQ does. */
export function stationDigests(core: StationCore): Map<number, string> {
  const out = new Map<number, string>();
  let after = 0;
  for (;;) {
    const entries = core.journal.readAfter(after, 5000);
    if (entries.length === 0) return out;
    for (const e of entries) out.set(e.seq, recordDigest(e));
    after = entries[entries.length - 1]!.seq;
  }
}

export function hqStationId(core: StationCore): string {
  const link = core.upload.store.link();
  if (!link) throw new Error('station not enrolled');
  return link.stationId;
}
