import { describe, expect, it } from 'vitest';
import { nodeHidBoundary } from '../../../native/hid/boundary';

describe('node-hid boundary (the real library)', () => {
  it('lists devices as plain data and refuses a path that does not exist, without throwing synchronously', async () => {
    const devices = await nodeHidBoundary.devices();
    for (const d of devices) expect(typeof d.path).toBe('string');
    await expect(nodeHidBoundary.open('/dev/hidraw-does-not-exist')).rejects.toThrow();
  });
});
