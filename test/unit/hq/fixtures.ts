import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import zlib from 'node:zlib';
import { GENESIS_HASH } from '../../../hq/chain';
import { HQ_PATHS, signRequest, type BatchRecord, type EnrollResponse } from '../../../hq/protocol';
import { chainColumns } from '../../../electron/core/journal';

/** ID numbers with valid GB 11643 check characters, distinct per index. */
export function idNumber(i: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + Math.floor(i / 1000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const body = `110105${birth}${String(i % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((s, w, k) => s + w * Number(body[k]), 0);
  return body + '10X98765432'[sum % 11];
}

/**
 * A station's journal as the sampling desk writes it: a round, then tubes of `capacity` people,
 * each person registered and bound, each tube sealed at capacity. Deterministic for a given seed.
 */
export function samplingJournal(count: number, opts: { firstSeq?: number; capacity?: 1 | 5 | 10 | 20; tubePrefix?: string; at?: Date; personOffset?: number } = {}): BatchRecord[] {
  const capacity = opts.capacity ?? 10;
  const prefix = opts.tubePrefix ?? 'SY001';
  const operatorId = 'op-1';
  const roundId = 'round-1';
  const base = (opts.at ?? new Date()).getTime();
  const out: BatchRecord[] = [];
  let seq = opts.firstSeq ?? 1;
  const push = (kind: string, entityId: string, payload: Record<string, unknown>): void => {
    out.push({ seq, kind, entityId, operatorId, at: new Date(base + seq).toISOString(), payload });
    seq++;
  };
  if (seq === 1) push('round.started', roundId, { siteId: 'demo-site', name: '第1轮' });
  let tube = 0;
  let person = opts.personOffset ?? 0;
  while (out.length < count) {
    tube++;
    const tubeId = `tube-${prefix}-${tube}`;
    const code = `${prefix}${String(tube).padStart(7, '0')}`;
    push('tube.opened', tubeId, { code, capacity, roundId });
    for (let k = 0; k < capacity && out.length < count; k++) {
      person++;
      const personId = `person-${person}`;
      const id = idNumber(person);
      push('person.registered', personId, { key: `id:${id}`, idNumber: id, name: `居民${person}`, format: 'id18' });
      push('binding.created', `binding-${prefix}-${person}`, { tubeId, tubeCode: code, personId, roundId, repeatConfirmed: false });
    }
    push('tube.sealed', tubeId, { code, count: capacity, cause: 'capacity' });
  }
  return out.slice(0, count);
}

/** A run of records chained as the station's journal chains them: after `prevHash`, each with its hash (and salt). */
export type ChainedRun = { prevHash: string; chainHead: string; records: BatchRecord[] };

/** `records` (contiguous) chained after `prevHash` by the station's own code, a fresh salt for each entry with personal fields. */
export function chainRecords(records: readonly BatchRecord[], prevHash = GENESIS_HASH): ChainedRun {
  let prev = prevHash;
  const out = records.map((r) => {
    const { hash, salt } = chainColumns(prev, r);
    prev = hash;
    return { ...r, hash, ...(salt !== null ? { salt } : {}) };
  });
  return { prevHash, chainHead: prev, records: out };
}

export type SignedRequest = { method: string; path: string; body: Buffer; headers: Record<string, string> };

/** A station as HQ sees it: a key pair, an identity after enrollment, signed requests. */
export class SimStation {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  stationId = '';
  siteId = '';

  constructor(readonly baseUrl: string, readonly name = '采样台 1') {
    const pair = generateKeyPairSync('ed25519');
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  async enroll(code: string): Promise<Response> {
    const res = await fetch(`${this.baseUrl}${HQ_PATHS.enroll}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, publicKey: this.publicKeyPem, stationName: this.name, localStationId: randomUUID() }),
    });
    if (res.ok) {
      const body = (await res.clone().json()) as EnrollResponse;
      this.stationId = body.stationId;
      this.siteId = body.siteId;
    }
    return res;
  }

  batchBody(records: BatchRecord[], extra: { batchId?: string; headSeq?: number; stationId?: string; prevHash?: string; chainHead?: string } = {}): { batchId: string; body: Buffer } {
    const batchId = extra.batchId ?? randomUUID();
    const json = {
      type: 'station.batch',
      stationId: extra.stationId ?? this.stationId,
      batchId,
      fromSeq: records[0]!.seq,
      toSeq: records[records.length - 1]!.seq,
      ...(extra.headSeq !== undefined ? { headSeq: extra.headSeq } : {}),
      ...(extra.prevHash !== undefined ? { prevHash: extra.prevHash, chainHead: extra.chainHead } : {}),
      records,
    };
    return { batchId, body: zlib.gzipSync(JSON.stringify(json)) };
  }

  sign(method: string, path: string, body: Buffer, opts: { now?: number; key?: KeyObject; stationId?: string } = {}): SignedRequest {
    const headers: Record<string, string> = {
      ...signRequest({
        stationId: opts.stationId ?? this.stationId,
        privateKey: opts.key ?? this.privateKey,
        method,
        pathWithQuery: path,
        body,
        now: opts.now ?? Date.now(),
      }),
    };
    if (body.length > 0) {
      headers['content-type'] = 'application/json';
      headers['content-encoding'] = 'gzip';
    }
    return { method, path, body, headers };
  }

  async send(req: SignedRequest): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
    const res = await fetch(`${this.baseUrl}${req.path}`, {
      method: req.method,
      headers: req.headers,
      ...(req.method === 'GET' ? {} : { body: req.body }),
    });
    const text = await res.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: res.status, json, headers: res.headers };
  }

  async upload(records: BatchRecord[], extra: { headSeq?: number; batchId?: string } = {}): Promise<{ status: number; json: Record<string, unknown> }> {
    const { body } = this.batchBody(records, extra);
    return this.send(this.sign('POST', HQ_PATHS.batches, body));
  }

  async feed(after: number, limit = 100): Promise<{ status: number; json: Record<string, unknown> }> {
    return this.send(this.sign('GET', `${HQ_PATHS.feed}?after=${after}&limit=${limit}`, Buffer.alloc(0)));
  }
}
