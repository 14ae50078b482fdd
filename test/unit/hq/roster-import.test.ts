import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../../electron/core/person/gb11643';
import { rosterImport } from '../../../hq/domains/roster';
import { generatorsOverlap } from '../../../hq/domains/site-codes';
import { importLedgerAtHq } from '../../../hq/roster-import';
import { openSqliteStore } from '../../../hq/store/sqlite';
import type { HqStore } from '../../../hq/store/types';
import { tempDir } from '../../helpers/core';

/** A valid ID number for resident n (unique for n below a million). */
function idNumber(n: number): string {
  const day = new Date(Date.UTC(1950, 0, 1) + Math.floor(n / 1000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `110105${day}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

function ledgerFile(rows: number): string {
  const lines = ['姓名,身份证号,楼栋,单元,房号'];
  for (let n = 0; n < rows; n++) lines.push(`居民${n},${idNumber(n)},${1 + (n % 20)},1,${101 + (n % 50)}`);
  const file = path.join(tempDir('hq-ledger-'), 'ledger.csv');
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

describe('reading a ledger at HQ', () => {
  const stores: HqStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('surfaces a bulk write that fails while the file is still read, without an unhandled rejection, and marks the import failed', async () => {
    const store = openSqliteStore(tempDir('hq-write-fail-'));
    stores.push(store);
    await store.upsertSite({ id: 'site-w', name: '写入失败', config: null, at: new Date().toISOString() });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // The store refuses the first bulk write a moment later, while the reader goes on reading the file.
      const failing: HqStore = {
        ...store,
        addRosterRows: () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('disk full')), 5)),
      };
      let importId = '';
      await expect(
        importLedgerAtHq(failing, { siteId: 'site-w', file: ledgerFile(45_000), fileName: 'ledger.csv', at: new Date().toISOString(), onStarted: (id) => (importId = id) }),
      ).rejects.toThrow('disk full');
      // Let any rejection nobody handled show itself.
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      const imp = await store.sql.read((tx) => rosterImport(tx, importId));
      expect(imp).toMatchObject({ state: 'failed', failure: { code: 'internal' } });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('generated tube codes of two sites', () => {
  it('overlap when one prefix runs on into the other with digits, at the same length', () => {
    expect(generatorsOverlap({ prefix: 'SY', digits: 10 }, { prefix: 'SY', digits: 10 })).toBe(true);
    // SY + desk 100 + serial 1000001 is SY1 + desk 001 + serial 000001.
    expect(generatorsOverlap({ prefix: 'SY', digits: 10 }, { prefix: 'SY1', digits: 9 })).toBe(true);
    expect(generatorsOverlap({ prefix: '', digits: 12 }, { prefix: '12', digits: 10 })).toBe(true);
    expect(generatorsOverlap({ prefix: 'SY', digits: 10 }, { prefix: 'SY', digits: 9 })).toBe(false);
    expect(generatorsOverlap({ prefix: 'SY', digits: 10 }, { prefix: 'SA', digits: 10 })).toBe(false);
    expect(generatorsOverlap({ prefix: 'SY', digits: 10 }, { prefix: 'SYA', digits: 9 })).toBe(false);
  });
});
