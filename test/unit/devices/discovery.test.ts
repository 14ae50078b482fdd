import { afterEach, describe, expect, it } from 'vitest';
import { discoverSerialPorts } from '../../../native/serial/discover';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

describe('serial discovery', () => {
  it('works without udevadm on PATH, reporting a warning instead of throwing', async () => {
    process.env.PATH = '/nonexistent';
    const found = await discoverSerialPorts();
    expect(found.warnings.some((w) => w.startsWith('serial.listFailed'))).toBe(true);
    expect(Array.isArray(found.ports)).toBe(true);
  });
});
