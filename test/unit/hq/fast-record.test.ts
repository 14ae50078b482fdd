import { describe, expect, it } from 'vitest';
import { checkRecord, inspectRecord, recordContentParts, type BatchRecord } from '../../../hq/protocol';
import { samplingJournal } from './fixtures';

/** What HQ's ingest computed per record before the fast path: zod check and generic canonical JSON. */
function slow(raw: Record<string, unknown>): { ok: boolean; content: string; payload: string; record?: unknown } {
  const parts = recordContentParts(raw);
  const check = checkRecord(raw);
  return { ok: check.ok, content: parts.content, payload: parts.payload, ...(check.ok ? { record: check.record } : {}) };
}

function same(raw: Record<string, unknown>): void {
  const fast = inspectRecord(raw);
  const expected = slow(raw);
  expect({ ok: fast.check.ok, content: fast.content, payload: fast.payload }).toEqual({ ok: expected.ok, content: expected.content, payload: expected.payload });
  if (fast.check.ok) expect(fast.check.record).toEqual(expected.record);
  else expect(fast.check.detail.length).toBeGreaterThan(0);
}

function clone(r: BatchRecord): Record<string, unknown> {
  return JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
}

/** One change to a record or its payload: a value from `values`, or the key removed. */
const VARIANTS: unknown[] = [undefined, null, '', 'x'.repeat(129), 'x'.repeat(257), 'x'.repeat(1001), 0, -1, 1, 5, 3, 1.5, 100_001, 2 ** 60, true, 'manual', [], {}];

describe('HQ ingest fast path for the common record kinds', () => {
  const journal = samplingJournal(60, { capacity: 5 });
  const kinds = new Set(journal.map((r) => r.kind));

  it('covers the kinds a sampling desk journals most', () => {
    expect([...kinds].sort()).toEqual(['binding.created', 'person.registered', 'round.started', 'tube.opened', 'tube.sealed']);
  });

  it('gives the zod verdict and the generic canonical JSON for every record of a sampling journal', () => {
    for (const r of journal) same(clone(r));
  });

  it('ignores key order, like the canonical JSON', () => {
    for (const r of journal) {
      const reversed = Object.fromEntries(Object.entries(clone(r)).reverse());
      reversed.payload = Object.fromEntries(Object.entries(reversed.payload as object).reverse());
      same(reversed);
      expect(inspectRecord(reversed).content).toBe(inspectRecord(clone(r)).content);
    }
  });

  it('agrees with zod on every single-field change of envelope and payload', () => {
    const samples = [...kinds].map((k) => journal.find((r) => r.kind === k)!);
    let rejected = 0;
    for (const sample of samples) {
      for (const key of ['seq', 'kind', 'entityId', 'operatorId', 'at', 'payload', 'extra']) {
        for (const v of VARIANTS) {
          const raw = clone(sample);
          if (v === undefined) delete raw[key];
          else raw[key] = v;
          same(raw);
          if (!inspectRecord(raw).check.ok) rejected++;
        }
      }
      for (const key of [...Object.keys(sample.payload), 'idNumber', 'regCode', 'name', 'phone', 'unknownField']) {
        for (const v of VARIANTS) {
          const raw = clone(sample);
          const payload = raw.payload as Record<string, unknown>;
          if (v === undefined) delete payload[key];
          else payload[key] = v;
          same(raw);
          if (!inspectRecord(raw).check.ok) rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });

  it('agrees with zod on times', () => {
    const sample = journal.find((r) => r.kind === 'binding.created')!;
    for (const at of ['2026-02-29T10:00:00Z', '2028-02-29T10:00:00.123Z', '2026-04-31T10:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T10:00:00+08:00', '2026-01-01 10:00:00Z', '2026-01-01T10:00:00']) {
      same({ ...clone(sample), at });
    }
  });

  it('keeps an undefined optional field out of the canonical JSON, as JSON would', () => {
    const raw = clone(journal.find((r) => r.kind === 'person.registered')!);
    (raw.payload as Record<string, unknown>).phone = undefined;
    same(raw);
  });
});
