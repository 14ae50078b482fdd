import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newEnrollmentCode, normalizeEnrollmentCode, planIngest, siteDay } from '../../../hq/ingest';
import {
  formatKeyRotation,
  hqKeyHeader,
  keyRotationHolds,
  parseKeyRotation,
  signKeyRotation,
  formatEnrollmentCode,
  hqKeyFingerprint,
  parseHeld,
  signAnswer,
  splitEnrollmentCode,
  verifyAnswer,
  batchSchema,
  canonicalJson,
  canonicalRequest,
  checkRecord,
  isAckOf,
  recordDigest,
  sha256Hex,
  signRequest,
  verifySignature,
  type BatchRecord,
} from '../../../hq/protocol';
import { samplingJournal } from './fixtures';
import { anyText, fuzzOptions } from '../fuzz/arbitraries';

describe('canonical JSON and record identity', () => {
  it('ignores key order at every level and drops undefined like JSON.stringify', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined }, e: null })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1,"e":null}');
    expect(canonicalJson([undefined, '中文', 1.5])).toBe('[null,"中文",1.5]');
  });

  it('gives the same digest for the same content however the station ordered it, and a different one otherwise', () => {
    const r = samplingJournal(3)[2]!;
    const reordered = { payload: Object.fromEntries(Object.entries(r.payload).reverse()), at: r.at, seq: r.seq, kind: r.kind, operatorId: r.operatorId, entityId: r.entityId };
    expect(recordDigest(reordered)).toBe(recordDigest(r));
    expect(recordDigest({ ...r, seq: 99 })).toBe(recordDigest(r));
    expect(recordDigest({ ...r, at: new Date(0).toISOString() })).not.toBe(recordDigest(r));
    expect(recordDigest({ ...r, payload: { ...r.payload, name: 'x' } })).not.toBe(recordDigest(r));
  });
});

describe('signed requests', () => {
  it('signs METHOD, path with query, timestamp and the body digest with Ed25519', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const body = Buffer.from('gzip bytes');
    const headers = signRequest({ stationId: 'st-1', privateKey, method: 'post', pathWithQuery: '/api/v1/batches?x=1', body, now: 1_700_000_000_123.4 });
    expect(headers['x-station-id']).toBe('st-1');
    expect(headers['x-station-timestamp']).toBe('1700000000123');
    const canonical = `POST\n/api/v1/batches?x=1\n1700000000123\n${sha256Hex(body)}`;
    expect(canonicalRequest('post', '/api/v1/batches?x=1', '1700000000123', body)).toBe(canonical);
    expect(verify(null, Buffer.from(canonical), publicKey, Buffer.from(headers['x-station-signature'], 'base64'))).toBe(true);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verifySignature(pem, canonical, headers['x-station-signature'])).toBe(true);
    expect(verifySignature(pem, canonical.replace('?x=1', ''), headers['x-station-signature'])).toBe(false);
    expect(verifySignature('not a key', canonical, headers['x-station-signature'])).toBe(false);
    expect(createPublicKey(pem).asymmetricKeyType).toBe('ed25519');
    expect(sha256Hex(Buffer.alloc(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('counts as an ack only HQ’s acknowledgement of that very batch', () => {
    const batch = { batchId: '5b3c7c4e-8a0d-4d0a-9a57-2d5d1c3e7f10', stationId: 'st-1' };
    const ack = { type: 'hq.ack', ...batch, ackedThrough: 10, expectedSeq: 11, rejections: [] };
    expect(isAckOf(ack, batch)).toBe(true);
    expect(isAckOf({ ...ack, batchId: 'another' }, batch)).toBe(false);
    expect(isAckOf({ ...ack, stationId: 'st-2' }, batch)).toBe(false);
    expect(isAckOf('<html>Welcome to the hotel Wi-Fi</html>', batch)).toBe(false);
    expect(isAckOf({ type: 'hq.gap', expectedSeq: 3 }, batch)).toBe(false);
  });
});

describe('batch envelope', () => {
  const base = { type: 'station.batch', stationId: 'st-1', batchId: '5b3c7c4e-8a0d-4d0a-9a57-2d5d1c3e7f10', fromSeq: 4, toSeq: 5 };

  it('needs contiguous records that each carry an integer seq, and nothing else at that level', () => {
    expect(batchSchema.safeParse({ ...base, records: [{ seq: 4 }, { seq: 5, anything: true }] }).success).toBe(true);
    for (const records of [[{ seq: 4 }, { seq: 6 }], [{ seq: 4 }, {}], [{ seq: 4 }, [5]], [{ seq: 4 }, { seq: 4.5 }], [{ seq: 4 }], []]) {
      expect(batchSchema.safeParse({ ...base, records }).success, JSON.stringify(records)).toBe(false);
    }
    expect(batchSchema.safeParse({ ...base, records: [{ seq: 4 }, { seq: 5 }], extra: 1 }).success).toBe(false);
  });
});

describe('record validation', () => {
  it('accepts every record the sampling desk journals', () => {
    for (const r of samplingJournal(60)) expect(checkRecord(r), r.kind).toMatchObject({ ok: true });
  });

  it('names what is wrong with an invalid record', () => {
    const [round, opened] = samplingJournal(2) as [BatchRecord, BatchRecord];
    expect(checkRecord({ ...opened, kind: 'tube.lost' })).toEqual({ ok: false, detail: 'unknown kind tube.lost' });
    expect(checkRecord({ ...opened, payload: { ...opened.payload, capacity: 7 } })).toMatchObject({ ok: false, detail: expect.stringContaining('capacity') });
    expect(checkRecord({ ...round, at: 'yesterday' })).toMatchObject({ ok: false, detail: expect.stringContaining('at') });
    expect(checkRecord({ ...round, extra: 1 })).toMatchObject({ ok: false });
    expect(checkRecord(null)).toMatchObject({ ok: false });
  });
});

describe('ingest plan', () => {
  it('splits a batch into new, re-sent, conflicting and invalid records', () => {
    const journal = samplingJournal(8);
    const held = planIngest(journal.slice(0, 5), 0, []).newRecords.map((r) => ({ seq: r.seq, digest: r.digest, rejection: r.rejection, detail: r.detail }));
    const incoming = journal.map((r) => (r.seq === 2 ? { ...r, payload: { ...r.payload, name: '冒名' } } : r.seq === 7 ? { ...r, kind: 'nope' } : r));
    const plan = planIngest(incoming, 5, held);
    expect(plan.newRecords.map((r) => [r.seq, r.rejection])).toEqual([
      [6, null],
      [7, 'record.invalid'],
      [8, null],
    ]);
    expect(plan.conflicts.map((c) => c.seq)).toEqual([2]);
    expect(plan.rejections.map((r) => [r.seq, r.code])).toEqual([
      [2, 'record.conflict'],
      [7, 'record.invalid'],
    ]);
  });

  it('projects tubes to their final state within the batch', () => {
    const journal = samplingJournal(24);
    const plan = planIngest(journal, 0, []);
    expect(plan.projection.tubesOpened).toHaveLength(2);
    expect(plan.projection.tubeStates).toEqual([{ tubeId: 'tube-SY001-1', state: 'sealed', count: 10 }]);
    expect(plan.projection.bindings).toHaveLength(10);
    expect(plan.projection.persons).toHaveLength(10);
  });
});

describe('site day and enrollment codes', () => {
  it('counts days in the sites’ time zone (UTC+8)', () => {
    expect(siteDay('2026-11-22T15:59:59.999Z')).toBe('2026-11-22');
    expect(siteDay('2026-11-22T16:00:00.000Z')).toBe('2026-11-23');
  });

  it('dates each binding by its site day, whatever offset the station wrote', () => {
    const binding = samplingJournal(4)[3]!;
    const days = ['2026-11-22T15:59:59.999Z', '2026-11-22T16:00:00.000Z', '2026-11-22T23:30:00.000+08:00', '2026-11-23T00:30:00.000+08:00'].map((at) => {
      const record: BatchRecord = { ...binding, at };
      const plan = planIngest([record], binding.seq - 1, []);
      return plan.projection.bindings[0]!.day;
    });
    expect(days).toEqual(['2026-11-22', '2026-11-23', '2026-11-22', '2026-11-23']);
  });

  it('makes unambiguous codes that survive case, spaces and dashes', () => {
    const code = newEnrollmentCode();
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    expect(normalizeEnrollmentCode(` ${code.toLowerCase()} `)).toBe(code.replace(/-/g, ''));
    expect(new Set(Array.from({ length: 200 }, newEnrollmentCode)).size).toBe(200);
  });
});

describe('HQ’s key in enrollment codes and signed answers', () => {
  it('formats a code as the one-time part then the fingerprint, and reads it back however it is typed', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const fingerprint = hqKeyFingerprint(publicKey.export({ format: 'der', type: 'spki' }));
    expect(fingerprint).toMatch(/^[0-9A-HJKMNP-TV-Z]{20}$/);
    const code = formatEnrollmentCode('ABCD-EFGH-JKMN', fingerprint);
    expect(code).toMatch(/^ABCD-EFGH-JKMN(-[0-9A-Z]{5}){4}$/);
    expect(splitEnrollmentCode(code)).toEqual({ oneTime: 'ABCDEFGHJKMN', fingerprint });
    // Lower case, spaces, and O/I/L for 0/1 in the fingerprint.
    const typed = `abcd efgh jkmn ${fingerprint.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l')}`;
    expect(splitEnrollmentCode(typed)).toEqual({ oneTime: 'ABCDEFGHJKMN', fingerprint });
    expect(splitEnrollmentCode('ABCD-EFGH-JKMN')).toEqual({ oneTime: 'ABCDEFGHJKMN', fingerprint: null });
  });

  it('verifies an answer only for the request it answers, unchanged', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const answer = { status: 200, hqTime: '1700000000000', held: '12:-', request: 'c2lnbmF0dXJl', body: Buffer.from('{"type":"hq.ack"}') };
    const signature = signAnswer(privateKey, answer);
    expect(verifyAnswer(publicKey, answer, signature)).toBe(true);
    for (const changed of [{ status: 409 }, { hqTime: '1700000000001' }, { held: '13:-' }, { request: 'b3RoZXI=' }, { body: Buffer.from('{"type":"hq.gap"}') }]) {
      expect(verifyAnswer(publicKey, { ...answer, ...changed }, signature)).toBe(false);
    }
    expect(verifyAnswer(generateKeyPairSync('ed25519').publicKey, answer, signature)).toBe(false);
    expect(parseHeld('12:-')).toEqual({ through: 12, head: null });
    expect(parseHeld(`3:${'a'.repeat(64)}`)).toEqual({ through: 3, head: 'a'.repeat(64) });
    expect(parseHeld('3:zz')).toBeNull();
  });
});

describe('HQ’s key rotation statement', () => {
  const previous = generateKeyPairSync('ed25519');
  const next = generateKeyPairSync('ed25519');
  const rotation = signKeyRotation(previous.privateKey, next.publicKey, 1_700_000_000_000);

  it('holds only as the word of the key it names, for the key it names, unchanged, and reads back from its header', () => {
    expect(rotation).toMatchObject({ from: hqKeyHeader(previous.publicKey), to: hqKeyHeader(next.publicKey), at: 1_700_000_000_000 });
    expect(keyRotationHolds(previous.publicKey, rotation)).toBe(true);
    expect(parseKeyRotation(formatKeyRotation(rotation))).toEqual(rotation);
    // Another key's word, the new key's own, or anything changed does not hold.
    expect(keyRotationHolds(next.publicKey, rotation)).toBe(false);
    const other = generateKeyPairSync('ed25519');
    const ownWord = signKeyRotation(other.privateKey, other.publicKey, rotation.at);
    expect(keyRotationHolds(previous.publicKey, { ...ownWord, from: rotation.from })).toBe(false);
    for (const changed of [{ to: hqKeyHeader(other.publicKey) }, { at: rotation.at + 1 }, { signature: ownWord.signature }]) {
      expect(keyRotationHolds(previous.publicKey, { ...rotation, ...changed })).toBe(false);
    }
    // A statement naming something that is not an Ed25519 key never holds, even if signed.
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(keyRotationHolds(previous.publicKey, { ...rotation, to: x25519 })).toBe(false);
  });

  it('reads any header text without throwing, and nothing but the previous key’s own statement holds (fuzz)', () => {
    const header = formatKeyRotation(rotation);
    const text = fc.oneof(
      anyText(400),
      // One character of the real header changed, dropped or added.
      fc.tuple(fc.nat(header.length - 1), fc.constantFrom('', 'A', '/', ' ', '0', '=')).map(([i, c]) => header.slice(0, i) + c + header.slice(i + 1)),
      fc.tuple(fc.nat(header.length), anyText(5)).map(([i, t]) => header.slice(0, i) + t + header.slice(i)),
    );
    fc.assert(
      fc.property(text, (t) => {
        const parsed = parseKeyRotation(t);
        if (parsed && keyRotationHolds(previous.publicKey, parsed)) expect(parsed).toEqual(rotation);
      }),
      fuzzOptions(500),
    );
  });
});
