import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { batchSchema, recordDigest } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { JournalReader, buildBatch } from '../../../electron/core/upload/batch';
import { dataKeyOf, ok, openCore } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore | undefined;
let reader: JournalReader | undefined;
afterEach(() => {
  reader?.close();
  core?.close();
});

async function journalOf(bindings: number): Promise<StationCore> {
  const c = await openCore();
  await ok(c, 'scan.submit', { text: tubeCode(1), source: 'manual' });
  for (let i = 1; i <= bindings; i++) await ok(c, 'scan.submit', { text: idNumber(i), source: 'manual' });
  return c;
}

describe('upload batches', () => {
  it('reads contiguous records after the acknowledged point, bounded by count', async () => {
    core = await journalOf(4);
    reader = new JournalReader(core.db.name, dataKeyOf(path.dirname(core.db.name)));
    const head = core.journal.lastSeq();
    expect(reader.headSeq()).toBe(head);
    const read = reader.read(2, { maxRecords: 3, maxBytes: 1 << 20 });
    expect(read).toMatchObject({ fromSeq: 3, toSeq: 5, count: 3 });
    expect(reader.read(head, { maxRecords: 10, maxBytes: 1 << 20 })).toBeNull();
  });

  it('bounds a batch by bytes but always carries at least one record', async () => {
    core = await journalOf(6);
    reader = new JournalReader(core.db.name, dataKeyOf(path.dirname(core.db.name)));
    const one = reader.read(0, { maxRecords: 100, maxBytes: 10 });
    expect(one).toMatchObject({ fromSeq: 1, toSeq: 1, count: 1 });
    const some = reader.read(0, { maxRecords: 100, maxBytes: 1500 })!;
    expect(some.count).toBeGreaterThan(1);
    expect(some.count).toBeLessThan(core.journal.lastSeq());
    expect(some.records.length).toBeLessThanOrEqual(1500);
  });

  it('builds a gzip body HQ accepts, with records exactly as journalled', async () => {
    core = await journalOf(3);
    reader = new JournalReader(core.db.name, dataKeyOf(path.dirname(core.db.name)));
    const head = core.journal.lastSeq();
    const batch = await buildBatch('hq-station-1', head, reader.read(0, { maxRecords: 100, maxBytes: 1 << 20 })!);
    const parsed = batchSchema.parse(JSON.parse(gunzipSync(batch.body).toString('utf8')));
    expect(parsed).toMatchObject({ stationId: 'hq-station-1', batchId: batch.batchId, fromSeq: 1, toSeq: head, headSeq: head });
    const journal = core.journal.readAfter(0, 100);
    expect(parsed.records.map((r) => recordDigest(r))).toEqual(journal.map((e) => recordDigest(e)));
  });

  it('writes every journalled text back exactly, whatever characters it holds', async () => {
    core = await journalOf(1);
    const tricky = '引号" 反斜杠\\ 换行\n 制表\t 控制\u0001\u001f 😀 \u2028\u2029 \\u0041 </script>';
    const seq = core.journal.lastSeq() + 1;
    const at = new Date().toISOString();
    const payload = { name: tricky, nested: { list: [tricky, null, 1.5, true] } };
    core.db.transaction(() =>
      core!.journal.append({ stationId: core!.identity.station.id, kind: 'operator.signedIn', entityId: `e-${tricky}`, operatorId: `o-${tricky}`, at, payload }),
    )();
    const { hash, prev_hash: prevHash } = core.db.prepare('SELECT hash, prev_hash FROM journal WHERE seq = ?').get(seq) as { hash: string; prev_hash: string };
    reader = new JournalReader(core.db.name, dataKeyOf(path.dirname(core.db.name)));
    const read = reader.read(seq - 1, { maxRecords: 10, maxBytes: 1 << 20 })!;
    expect(read.records.length).toBe(Buffer.byteLength(read.records.toString('utf8')));
    expect(JSON.parse(read.records.toString('utf8'))).toEqual([
      { seq, kind: 'operator.signedIn', entityId: `e-${tricky}`, operatorId: `o-${tricky}`, at, payload, hash },
    ]);
    expect(read).toMatchObject({ prevHash, headHash: hash });
  });

  it('reads the same batch a slice at a time as in one scan, across slice boundaries and limits', async () => {
    core = await journalOf(1);
    const insert = core.db.prepare('INSERT INTO journal (seq, station_id, kind, entity_id, operator_id, at, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const first = core.journal.lastSeq() + 1;
    core.db.transaction(() => {
      for (let seq = first; seq < first + 1300; seq++) {
        insert.run(seq, core!.identity.station.id, 'operator.signedIn', `op-${seq}`, `op-${seq}`, new Date().toISOString(), JSON.stringify({ code: `C${seq}` }));
      }
    })();
    reader = new JournalReader(core.db.name, dataKeyOf(path.dirname(core.db.name)));
    const head = core.journal.lastSeq();
    for (const [after, limits] of [
      [0, { maxRecords: 5000, maxBytes: 1 << 20 }],
      [3, { maxRecords: 1001, maxBytes: 1 << 20 }],
      [0, { maxRecords: 500, maxBytes: 1 << 20 }],
      [10, { maxRecords: 5000, maxBytes: 40_000 }],
      [head - 1, { maxRecords: 5000, maxBytes: 1 << 20 }],
      [head, { maxRecords: 5000, maxBytes: 1 << 20 }],
    ] as const) {
      expect(await reader.readSliced(after, limits)).toEqual(reader.read(after, limits));
    }
    expect((await reader.readSliced(0, { maxRecords: 5000, maxBytes: 1 << 20 }))!.toSeq).toBe(head);
  });
});
