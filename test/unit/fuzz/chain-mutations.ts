/**
 * Changes to a valid run of the journal chain (a batch's, an export file's), shared by the fuzz
 * tests of both: each says whether what it makes must still be taken, and `chainPart` says what
 * the chain covers, so a property can tell a change HQ must refuse from one it may take.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import fc from 'fast-check';
import { entryDigests, entryHash, GENESIS_HASH, hasPersonalFields, personalDigest, splitPersonal } from '../../../hq/chain';
import { canonicalJson, recordContent, type BatchRecord } from '../../../hq/protocol';
import { chainRecords, samplingJournal } from '../hq/fixtures';
import { anyText, databaseDigest, jsonValue } from './arbitraries';

export type Json = Record<string, unknown>;

/**
 * The chain of a batch or an export file: its range, the hash before it, its records, and the hash
 * of its last (a batch carries it as `chainHead`; an export file does not: HQ takes its last record's).
 */
export type Chained = { fromSeq: number; toSeq: number; prevHash: string; chainHead: string; records: Json[] };

/** What a mutation knows of where it is sent: what HQ holds, whether `chainHead` travels, how the whole is written out. */
export type Context = { acked: number; headCarried: boolean; text(chained: Chained): string };

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the chain covers of a batch or an export, and what HQ keeps of it: each record's seq,
 * canonical content, hash, and for kinds with personal fields the salt (or, without one, the
 * digest kept in the fields' place). Equal for two: HQ may take either; different: only one.
 */
export function chainPart(batch: unknown, headCarried = true): string | null {
  if (!isObject(batch) || !Array.isArray(batch.records)) return null;
  const records = batch.records.map((r: unknown) => {
    if (!isObject(r)) return r;
    const personal = typeof r.kind === 'string' && hasPersonalFields(r.kind);
    return {
      seq: r.seq,
      content: recordContent(r),
      hash: r.hash ?? null,
      ...(personal ? { salt: r.salt ?? null, kept: r.salt === undefined ? (r.personalDigest ?? null) : null } : {}),
    };
  });
  return canonicalJson({ fromSeq: batch.fromSeq, toSeq: batch.toSeq, prevHash: batch.prevHash ?? null, chainHead: headCarried ? (batch.chainHead ?? null) : null, records });
}

/** Recomputes the chain of `records` (as they are now) after `prev`, as a station rewriting its journal would. */
function rechain(records: Json[], prev: string): string {
  for (const r of records) {
    const { publicPart, personalPart } = entryDigests(r as BatchRecord, typeof r.salt === 'string' ? r.salt : null, typeof r.personalDigest === 'string' ? r.personalDigest : null);
    r.hash = entryHash(prev, r.seq as number, publicPart, personalPart);
    prev = r.hash as string;
  }
  return prev;
}

const renumber = (b: Chained): void => {
  b.records.forEach((r, i) => (r.seq = b.fromSeq + i));
  b.toSeq = b.fromSeq + b.records.length - 1;
};

const flipHex = (text: string, at: number): string => {
  const i = at % text.length;
  const c = text[i]!;
  return text.slice(0, i) + (c === '0' ? '1' : '0') + text.slice(i + 1);
};

/** A change to a valid chain; `valid`: what it makes is still one HQ must take (a shorter one, a purged entry). */
export type Mutation = { name: string; apply(b: Chained, ctx: Context): { value: unknown; valid: boolean } | { text: string } };

const at = (n: number, length: number): number => n % Math.max(1, length);
const oddValue = fc.oneof(jsonValue(1), anyText(8), fc.constantFrom('张三', '\u0000', '', -1, 1e308, 'x'.repeat(1 << 20), GENESIS_HASH, 'F'.repeat(64)));

/**
 * Changes to a valid chain: a field changed, an entry removed, moved or repeated, a chain field
 * flipped, dropped or of the wrong type, the chain forked or history rewritten, the JSON text
 * itself damaged; and a few that leave it valid (a shorter run, a purged entry, keys reordered).
 */
export const chainMutations: fc.Arbitrary<Mutation> = fc
  .oneof(
  fc.constant<Mutation>({ name: 'none', apply: (b) => ({ value: b, valid: true }) }),
  fc.record({ i: fc.nat(), field: fc.constantFrom('kind', 'entityId', 'operatorId', 'at', 'payload', 'p.name', 'p.idNumber', 'p.tubeCode', 'p.count', 'p.extra'), value: oddValue }).map(
    ({ i, field, value }): Mutation => ({
      name: `content ${fc.stringify({ i, field, value: typeof value === 'string' && value.length > 64 ? `${value.length} chars` : value })}`,
      apply(b) {
        const r = b.records[at(i, b.records.length)]!;
        const target = field.startsWith('p.') ? (r.payload as Json) : r;
        target[field.replace(/^p\./, '')] = value;
        return { value: b, valid: false };
      },
    }),
  ),
  fc
    .record({ i: fc.nat(), field: fc.constantFrom('hash', 'salt', 'personalDigest', 'prevHash', 'chainHead'), how: fc.constantFrom('flip', 'drop', 'upper', 'other', 'odd'), n: fc.nat(), value: oddValue })
    .map(
      ({ i, field, how, n, value }): Mutation => ({
        name: `chain ${fc.stringify({ i, field, how, n, value: typeof value === 'string' && value.length > 64 ? `${value.length} chars` : value })}`,
        apply(b) {
          const target: Json = field === 'prevHash' || field === 'chainHead' ? (b as unknown as Json) : b.records[at(i, b.records.length)]!;
          const v = target[field];
          if (how === 'drop') delete target[field];
          else if (how === 'odd') target[field] = value;
          else if (how === 'other') target[field] = b.records[at(n, b.records.length)]!.hash;
          else if (typeof v === 'string') target[field] = how === 'upper' ? v.toUpperCase() : flipHex(v, n);
          return { value: b, valid: false };
        },
      }),
    ),
  fc.record({ i: fc.nat(), renumbered: fc.boolean() }).map(
    ({ i, renumbered }): Mutation => ({
      name: `remove ${fc.stringify({ i, renumbered })}`,
      apply(b, { headCarried }) {
        const k = at(i, b.records.length);
        const last = k === b.records.length - 1 && k > 0;
        b.records.splice(k, 1);
        if (renumbered) renumber(b);
        // The last entry removed, its range mended, where no head travels: a shorter run, as valid as the whole.
        return { value: b, valid: last && renumbered && !headCarried };
      },
    }),
  ),
  fc.record({ i: fc.nat(), j: fc.nat(), seqWith: fc.boolean() }).map(
    ({ i, j, seqWith }): Mutation => ({
      name: `swap ${fc.stringify({ i, j, seqWith })}`,
      apply(b) {
        const [x, y] = [at(i, b.records.length), at(j, b.records.length)];
        [b.records[x], b.records[y]] = [b.records[y]!, b.records[x]!];
        if (!seqWith) renumber(b);
        return { value: b, valid: false };
      },
    }),
  ),
  fc.record({ i: fc.nat(), renumbered: fc.boolean() }).map(
    ({ i, renumbered }): Mutation => ({
      name: `duplicate ${fc.stringify({ i, renumbered })}`,
      apply(b) {
        const k = at(i, b.records.length);
        b.records.splice(k, 0, structuredClone(b.records[k]!));
        if (renumbered) renumber(b);
        return { value: b, valid: false };
      },
    }),
  ),
  fc.record({ cut: fc.integer({ min: 1, max: 4 }), newHead: fc.boolean() }).map(
    ({ cut, newHead }): Mutation => ({
      name: `truncate ${fc.stringify({ cut, newHead })}`,
      apply(b, { headCarried }) {
        if (b.records.length <= cut) return { value: b, valid: true };
        b.records.splice(b.records.length - cut, cut);
        b.toSeq -= cut;
        if (newHead) b.chainHead = b.records[b.records.length - 1]!.hash as string;
        // Cut and given the head of its new last entry (or where no head travels), it is a shorter run, as valid as the whole.
        return { value: b, valid: newHead || !headCarried };
      },
    }),
  ),
  fc.record({ i: fc.nat(), name: fc.string({ minLength: 1, maxLength: 4 }) }).map(
    ({ i, name }): Mutation => ({
      // A personal field changed and the salt swapped for the digest of the fields as they were: to the
      // chain this looks like an entry whose personal fields were purged, but the fields are still there.
      name: `personal field changed, salt swapped for its old digest ${fc.stringify({ i, name })}`,
      apply(b) {
        const persons = b.records.filter((r) => typeof r.salt === 'string');
        const r = persons[at(i, persons.length)];
        if (!r) return { value: b, valid: true };
        const { personal } = splitPersonal(r.kind as string, r.payload);
        r.personalDigest = personalDigest(r.salt as string, personal!);
        delete r.salt;
        (r.payload as Json).name = `${(r.payload as Json).name as string}${name}`;
        return { value: b, valid: false };
      },
    }),
  ),
  fc.nat().map(
    (i): Mutation => ({
      name: `purged entry ${i}`,
      apply(b, { acked }) {
        // As a station sends an entry whose personal fields were purged: the public fields and the kept digest.
        const persons = b.records.filter((r) => typeof r.salt === 'string' && (r.seq as number) > acked);
        const r = persons[at(i, persons.length)];
        if (!r) return { value: b, valid: true };
        const { publicPayload, personal } = splitPersonal(r.kind as string, r.payload);
        r.personalDigest = personalDigest(r.salt as string, personal!);
        delete r.salt;
        r.payload = publicPayload;
        return { value: b, valid: true };
      },
    }),
  ),
  fc.record({ prev: fc.stringMatching(/^[0-9a-f]{64}$/) }).map(
    ({ prev }): Mutation => ({
      name: `forked: chained whole from ${prev}`,
      apply(b) {
        b.prevHash = prev;
        b.chainHead = rechain(b.records, prev);
        return { value: b, valid: false };
      },
    }),
  ),
  fc.record({ i: fc.nat(), value: fc.string({ minLength: 1, maxLength: 8 }) }).map(
    ({ i, value }): Mutation => ({
      name: `history rewritten: an entry HQ holds changed, the chain recomputed ${fc.stringify({ i, value })}`,
      apply(b, { acked }) {
        const old = b.records.filter((r) => (r.seq as number) <= acked);
        const r = old[at(i, old.length)];
        if (!r) return { value: b, valid: true };
        r.entityId = `${r.entityId as string}${value}`;
        b.chainHead = rechain(b.records, b.prevHash);
        return { value: b, valid: false };
      },
    }),
  ),
  fc.constantFrom<Mutation>(
    {
      name: 'unchained',
      apply(b) {
        delete (b as Partial<Chained>).prevHash;
        delete (b as Partial<Chained>).chainHead;
        for (const r of b.records) delete r.hash;
        return { value: b, valid: false };
      },
    },
    {
      name: 'chain fields on every record moved one up',
      apply(b) {
        const hashes = b.records.map((r) => r.hash);
        b.records.forEach((r, k) => (r.hash = hashes[(k + 1) % hashes.length]));
        return { value: b, valid: false };
      },
    },
  ),
  // The JSON text itself: a byte replaced, cut short, something spliced in.
  fc.record({ where: fc.nat(), how: fc.constantFrom('byte', 'cut', 'splice'), byte: fc.integer({ min: 0, max: 255 }), piece: fc.oneof(anyText(6), fc.constantFrom(',', '}', ']', '"', '\\u0000', '1e999', '"hash":"00"')) }).map(
    ({ where, how, byte, piece }): Mutation => ({
      name: `text ${fc.stringify({ where, how, byte, piece })}`,
      apply(b, ctx) {
        const text = ctx.text(b);
        const i = where % text.length;
        if (how === 'cut') return { text: text.slice(0, i) };
        if (how === 'splice') return { text: text.slice(0, i) + piece + text.slice(i) };
        return { text: text.slice(0, i) + String.fromCharCode(byte) + text.slice(i + 1) };
      },
    }),
  ),
  // Key order inside records: not a change at all.
  fc.constant<Mutation>({
    name: 'record keys reordered',
    apply(b) {
      b.records = b.records.map((r) => Object.fromEntries(Object.entries(r).reverse()));
      return { value: b, valid: true };
    },
  }),
  )
  // Reported by name in a counterexample, not by the function's source.
  .map((m) => Object.assign(m, { [fc.toStringMethod]: () => m.name }));

/** Runs made so far in this file: each gets tube codes and people of its own. */
let made = 0;

/** One station's journal as HQ holds it, kept by a test: the chained records as sent, and HQ's chain head. */
export class HeldJournal {
  held: Json[] = [];
  head = GENESIS_HASH;

  /**
   * A valid run continuing what HQ holds: its last `overlap` records sent again, then `fresh` new
   * ones; or, `after` a run HQ does not hold yet (one on its way), `fresh` new ones after that run.
   */
  next(overlap: number, fresh: number, after?: Chained): Chained {
    const last = after ? after.toSeq : this.held.length;
    const from = after ? last + 1 : Math.max(1, last + 1 - overlap);
    made++;
    const journal = samplingJournal(fresh + (last === 0 ? 1 : 0), { firstSeq: last + 1, tubePrefix: `SY${String(made).padStart(4, '0')}`, personOffset: made * 100 });
    const run = chainRecords(journal, after ? after.chainHead : this.head);
    const records = [...this.held.slice(from - 1).map((r) => structuredClone(r)), ...(run.records as unknown as Json[])];
    const prevHash = after ? after.chainHead : from === 1 ? GENESIS_HASH : (this.held[from - 2]!.hash as string);
    return { fromSeq: from, toSeq: from + records.length - 1, prevHash, chainHead: run.chainHead, records };
  }

  /** HQ took `run`: it holds its records past what it held, and its chain head is the last one's hash. */
  took(run: Chained): void {
    if (run.toSeq <= this.held.length) return;
    this.held.push(...run.records.slice(this.held.length + 1 - run.fromSeq));
    this.head = this.held[this.held.length - 1]!.hash as string;
  }
}

/**
 * What HQ's SQLite database holds of one station, but for what a refusal writes by design:
 * signatures seen (to refuse replays), and why its last batch was refused (for the dashboard).
 */
export function stationHoldings(db: Database.Database, stationId: string): string {
  const row = db.prepare('SELECT * FROM station WHERE id = ?').get(stationId) as Json;
  delete row.chain_error;
  delete row.last_contact_at;
  return `${databaseDigest(db, ['seen_signature', 'station'], { column: 'station_id', value: stationId })}:${JSON.stringify(row)}`;
}
