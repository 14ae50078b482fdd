/**
 * Tube codes a site's desks generate ("new tube"): prefix + the desk's number (3 digits, unique
 * only within its site) + a serial. Two sites generating with the same prefix and length would
 * print the same codes, and HQ's one `code_holder` would flag every one of them as opened at two
 * stations. So HQ keeps each site's generator apart from every other site's:
 *
 * - a site without a configuration of its own uses the station's default (`SY`, 10 digits); a new
 *   site whose default would repeat another site's codes is given its own prefix at once (`SA`,
 *   `SB`, … with `tube.pattern` to match), and its desks receive it with the site's other
 *   configuration (`site.config` in the feed);
 * - a site configuration whose generator could make a code another site's can make is refused,
 *   with the site it would clash with.
 *
 * Sites HQ already had keep what they have (changing a prefix under a working site would refuse
 * the labels it has printed); two of them sharing a generator show up as tube conflicts, and staff
 * give one of them a configuration of its own.
 */
import { DEMO_SITE_CONFIG, type SiteConfig } from '../../electron/core/site/config';
import type { Tx } from '../store/sql';
import { addFeed } from './feed';

export type TubeGenerator = { prefix: string; digits: number };

/** What a site's stored configuration generates: the station's default when HQ has none for it. */
function generatorOf(config: string | null): TubeGenerator {
  if (config) {
    try {
      const g = (JSON.parse(config) as Partial<SiteConfig>).tube?.generate;
      if (g && typeof g.prefix === 'string' && typeof g.digits === 'number') return { prefix: g.prefix, digits: g.digits };
    } catch {
      // A configuration HQ stored was checked first; one it cannot read counts as the default.
    }
  }
  return DEMO_SITE_CONFIG.tube.generate;
}

/**
 * Whether two generators can make one same code: codes of the same length, where the shorter
 * prefix runs on into the longer one with digits only (those digits then fall on the other's desk
 * number or serial: `SY` with 10 digits makes `SY1001000001`, and so does `SY1` with 9).
 */
export function generatorsOverlap(a: TubeGenerator, b: TubeGenerator): boolean {
  if (a.prefix.length + a.digits !== b.prefix.length + b.digits) return false;
  const [short, long] = a.prefix.length <= b.prefix.length ? [a, b] : [b, a];
  return long.prefix.startsWith(short.prefix) && /^\d*$/.test(long.prefix.slice(short.prefix.length));
}

/** The generators of every site but `siteId`, with the site's name for staff. */
async function otherGenerators(tx: Tx, siteId: string): Promise<{ siteId: string; name: string; generator: TubeGenerator }[]> {
  const rows = await tx.all<{ id: string; name: string; config: string | null }>('SELECT id, name, config FROM site WHERE id <> @siteId ORDER BY id', { siteId });
  return rows.map((r) => ({ siteId: r.id, name: r.name, generator: generatorOf(r.config) }));
}

/** The advisory lock key of sites' generators on PostgreSQL (7243001 is the migrations', 7243002 the feed's). */
const GENERATORS_LOCK = 7243010;

/** One change of sites' generators at a time (PostgreSQL; SQLite runs one transaction at a time anyway). */
async function lockGenerators(tx: Tx): Promise<void> {
  if (tx.dialect === 'postgres') await tx.one(`SELECT pg_advisory_xact_lock(${GENERATORS_LOCK})`);
}

/** The site whose generated codes `generator` could repeat, if any. */
export async function generatorTakenBy(tx: Tx, siteId: string, generator: TubeGenerator): Promise<{ siteId: string; name: string; generator: TubeGenerator } | null> {
  return (await otherGenerators(tx, siteId)).find((o) => generatorsOverlap(o.generator, generator)) ?? null;
}

/** Prefixes given to new sites, in order: two letters (no I or O, read as 1 and 0 on a label), then three. */
function* candidatePrefixes(): Generator<string> {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
  const firsts = 'STUVWXYZABCDEFGHJKLMNPQR';
  for (const a of firsts) for (const b of letters) yield a + b;
  for (const a of firsts) for (const b of letters) for (const c of letters) yield a + b + c;
}

/**
 * A site just created: when the station's default generator would repeat another site's codes,
 * the site gets a configuration of its own (the default with a free prefix) and its desks receive
 * it. Returns the site's generator when it was given one, null when the default is its own.
 */
export async function giveNewSiteTubeCodes(tx: Tx, siteId: string, at: string): Promise<TubeGenerator | null> {
  await lockGenerators(tx);
  const site = await tx.one<{ name: string; config: string | null }>('SELECT name, config FROM site WHERE id = @siteId', { siteId });
  // Configured meanwhile (or created twice at once): its configuration stands.
  if (!site || site.config !== null) return null;
  const others = await otherGenerators(tx, siteId);
  const digits = DEMO_SITE_CONFIG.tube.generate.digits;
  const free = (g: TubeGenerator) => others.every((o) => !generatorsOverlap(o.generator, g));
  if (free(DEMO_SITE_CONFIG.tube.generate)) return null;
  let generator: TubeGenerator | null = null;
  for (const prefix of candidatePrefixes()) {
    if (free({ prefix, digits })) {
      generator = { prefix, digits };
      break;
    }
  }
  if (!generator) throw new Error('no free tube code prefix left for a new site');
  const config: SiteConfig = { ...DEMO_SITE_CONFIG, tube: { pattern: `^${generator.prefix}\\d{${digits}}$`, generate: generator } };
  await tx.run('UPDATE site SET config = @config WHERE id = @siteId', { config: JSON.stringify(config), siteId });
  await addFeed(tx, { siteId, stationId: null, kind: 'site.config', payload: JSON.stringify({ siteId, name: site.name, config }), at });
  return generator;
}

export type SiteConfigOutcome = { ok: true } | { ok: false; error: 'site.unknown' } | { ok: false; error: 'site.tubeCodesTaken'; detail: string };

/**
 * A site's configuration from staff (checked with the station's own schema first): refused when
 * its generated codes could repeat another site's; else stored and sent to the site's desks.
 */
export async function setSiteConfig(tx: Tx, input: { siteId: string; name: string; config: SiteConfig; at: string }): Promise<SiteConfigOutcome> {
  await lockGenerators(tx);
  if (!(await tx.one('SELECT 1 AS x FROM site WHERE id = @siteId', { siteId: input.siteId }))) return { ok: false, error: 'site.unknown' };
  const generator = input.config.tube.generate;
  const taken = await generatorTakenBy(tx, input.siteId, generator);
  if (taken) {
    const their = `${taken.generator.prefix || '(no prefix)'} with ${taken.generator.digits} digits`;
    return {
      ok: false,
      error: 'site.tubeCodesTaken',
      detail:
        `tube codes generated with prefix ${generator.prefix || '(none)'} and ${generator.digits} digits could repeat those of site ${taken.siteId} (${taken.name}, ${their}): ` +
        'give tube.generate another prefix (and a tube.pattern that accepts it)',
    };
  }
  const config = JSON.stringify(input.config);
  await tx.run('UPDATE site SET name = @name, config = @config, at = @at WHERE id = @siteId', { name: input.name, config, at: input.at, siteId: input.siteId });
  // In the same transaction: a configuration stored is always one its desks hear of.
  await addFeed(tx, { siteId: input.siteId, stationId: null, kind: 'site.config', payload: JSON.stringify({ siteId: input.siteId, name: input.name, config: input.config }), at: input.at });
  return { ok: true };
}
