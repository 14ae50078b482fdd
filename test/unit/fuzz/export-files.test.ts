import Database from 'better-sqlite3-multiple-ciphers';
import { sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHqServer, type HqServer } from '../../../hq/server';
import type { StationCore } from '../../../electron/core/core';
import { writeExportFile } from '../../../electron/core/upload/export';
import { dataKeyOf, ok, openCore, tempDir } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { SimStation, samplingJournal } from '../hq/fixtures';
import { anyText, bytes, databaseDigest, fuzzOptions, fuzzTimeout, idNumber, jsonValue } from './arbitraries';

const IMPORT_ERRORS = ['body.invalid', 'body.tooLarge', 'station.unknown', 'signature.invalid', 'import.gap', 'chain.broken', 'export.notForThisHq'];

let hq: HqServer;
let hqUrl: string;
let hqDb: Database.Database;
let station: SimStation;

beforeAll(async () => {
  const dataDir = tempDir('hq-export-fuzz-');
  hq = await createHqServer({ dataDir });
  hqUrl = await hq.listen(0);
  const { code } = await hq.createEnrollmentCode('site-export', '导出模糊测试');
  station = new SimStation(hqUrl);
  expect((await station.enroll(code)).status).toBe(200);
  hqDb = new Database(path.join(dataDir, 'hq.sqlite'), { readonly: true });
});
afterAll(async () => {
  hqDb.close();
  await hq.close();
});

/** An export file as `station export` lays it out, around whatever payload bytes, signed by `station` or not. */
function exportFile(payload: Buffer, signed: 'station' | 'garbage'): Buffer {
  const gz = zlib.gzipSync(payload);
  const signature = signed === 'station' ? sign(null, gz, station.privateKey).toString('base64') : Buffer.from('not a signature').toString('base64');
  return Buffer.from(JSON.stringify({ export: gz.toString('base64'), signature }));
}

describe('export files (fuzz)', () => {
  it(
    'imports any file only when it is a whole signed export, else refuses it with a code and stores nothing',
    async () => {
      const records = samplingJournal(8, { capacity: 5 });
      const payload = fc.oneof(
        bytes(300),
        jsonValue(3).map((v) => Buffer.from(JSON.stringify(v))),
        fc
          .record(
            {
              type: fc.constantFrom('station.export', 'station.batch'),
              version: fc.constantFrom(1, 2, '1'),
              stationId: fc.constantFrom(station.stationId, 'other', ''),
              createdAt: fc.constantFrom('2026-01-01T00:00:00Z', 'yesterday'),
              fromSeq: fc.integer({ min: -1, max: 20 }),
              toSeq: fc.integer({ min: -1, max: 20 }),
              headSeq: fc.integer({ min: -1, max: 20 }),
              records: fc.oneof(fc.constant(records.slice(0, 3)), fc.array(jsonValue(1), { maxLength: 3 }), fc.constant([])),
              publicKey: fc.constantFrom(station.publicKeyPem, 'x'.repeat(40)),
              extra: jsonValue(1),
            },
            { requiredKeys: [] },
          )
          .map((o) => Buffer.from(JSON.stringify(o))),
      );
      const file = fc.oneof(
        bytes(400),
        jsonValue(2).map((v) => Buffer.from(JSON.stringify(v))),
        fc.record({ export: fc.oneof(anyText(40), fc.base64String({ maxLength: 60 })), signature: fc.base64String({ maxLength: 90 }) }, { requiredKeys: [] }).map((o) => Buffer.from(JSON.stringify(o))),
        fc.tuple(payload, fc.constantFrom('station' as const, 'garbage' as const)).map(([p, s]) => exportFile(p, s)),
      );
      await fc.assert(
        fc.asyncProperty(file, async (data) => {
          const before = databaseDigest(hqDb);
          const outcome = await hq.importExport(data);
          if (outcome.ok) {
            expect(outcome.stationId).toBe(station.stationId);
            return;
          }
          expect(IMPORT_ERRORS).toContain(outcome.error);
          expect(databaseDigest(hqDb)).toBe(before);
        }),
        fuzzOptions(150),
      );
    },
    fuzzTimeout(),
  );

  describe('written by a station', () => {
    let core: StationCore | undefined;
    afterAll(() => core?.close());

    it(
      'reads back at HQ every record a station exported, however many and whatever they are, once each',
      async () => {
        const dataDir = tempDir('station-export-fuzz-');
        core = await openCore(dataDir);
        const c = core;
        const { code } = await hq.createEnrollmentCode('site-export', '导出模糊测试');
        await ok(c, 'upload.enroll', { hqUrl, code });
        await ok(c, 'round.start', { name: '第1轮' });
        let tube = 0;
        const scans = fc.array(fc.oneof(idNumber, fc.constant('tube'), anyText(10)), { minLength: 1, maxLength: 15 });
        await fc.assert(
          fc.asyncProperty(scans, async (texts) => {
            for (const text of texts) await c.invoke('scan.submit', { text: text === 'tube' ? tubeCode(++tube) : text, source: 'manual' });
            const out = path.join(tempDir('export-'), 'station.export.json');
            const head = c.journal.lastSeq();
            const written = await writeExportFile(dataDir, dataKeyOf(dataDir), out);
            const link = c.upload.store.link()!;
            const imported = await hq.importExport(fs.readFileSync(out));
            expect(written).toMatchObject({ toSeq: head });
            expect(imported).toMatchObject({ ok: true, toSeq: head, ackedThrough: head, rejections: [] });
            expect(await hq.store.holdings(link.stationId)).toMatchObject({ records: head, conflicts: 0 });
          }),
          fuzzOptions(15, 10_000),
        );
      },
      fuzzTimeout(),
    );
  });
});
