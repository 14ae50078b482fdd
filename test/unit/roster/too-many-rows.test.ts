import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StationCore } from '../../../electron/core/core';
import { openCore, ok } from '../../helpers/core';
import { idNumber } from './fixtures';

// HQ's limit made small: a test cannot read five million rows.
vi.mock('../../../hq/protocol', async (original) => ({ ...(await original<typeof import('../../../hq/protocol')>()), MAX_ROSTER_ROWS: 3 }));

let core: StationCore | undefined;
afterEach(() => core?.close());

describe('a ledger larger than HQ takes', () => {
  it('is refused as a whole when read, never applied and journalled for HQ to refuse', async () => {
    core = await openCore();
    const bytes = Buffer.from(['姓名,身份证号', ...[1, 2, 3, 4].map((n) => `居民${n},${idNumber(n)}`)].join('\n'));
    const { uploadId } = await ok(core, 'roster.upload', { fileName: 'big.csv', size: bytes.length });
    await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') });
    const started = await ok(core, 'roster.read', { uploadId });
    await core.roster.idle();
    expect(await ok(core, 'roster.import', { importId: started.id })).toMatchObject({ state: 'failed', failure: { code: 'file.tooManyRows', rowNo: null } });
    const fits = Buffer.from(['姓名,身份证号', ...[1, 2, 3].map((n) => `居民${n},${idNumber(n)}`)].join('\n'));
    const again = await ok(core, 'roster.upload', { fileName: 'ok.csv', size: fits.length });
    await ok(core, 'roster.uploadChunk', { uploadId: again.uploadId, offset: 0, data: fits.toString('base64') });
    const second = await ok(core, 'roster.read', { uploadId: again.uploadId });
    await core.roster.idle();
    expect(await ok(core, 'roster.import', { importId: second.id })).toMatchObject({ state: 'ready', residents: 3 });
  });
});
