import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { dataKeyOf, tempDir } from '../../helpers/core';
import { ROOT, STATION_BIN } from '../../helpers/station-process';

/** An HQ that takes its time to enroll, giving every request its own station, as a real one does. */
async function slowHq(delayMs: number) {
  const enrolled = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { publicKey: string };
      const stationId = `hq-st-${enrolled.size + 1}`;
      enrolled.set(stationId, body.publicKey);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'station.enrolled', stationId, siteId: 'site-1', siteName: '测试社区', stationNumber: enrolled.size, stationName: `${enrolled.size}号采样台` }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, enrolled };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The station's stored link and its key file agree with what HQ holds for that station. */
async function expectOneValidLink(dataDir: string, enrolled: Map<string, string>): Promise<void> {
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) });
  try {
    const status = await core.invoke('upload.status', {});
    if (!status.ok) throw new Error(status.error.code);
    const stationId = status.value.hq?.stationId ?? '';
    const kept = createPublicKey(createPrivateKey(fs.readFileSync(path.join(dataDir, 'station-key.pem'), 'utf8'))).export({ type: 'spki', format: 'pem' });
    expect(enrolled.get(stationId)).toBe(kept);
    expect(enrolled.size).toBe(1);
    expect(fs.readdirSync(dataDir).filter((f) => f.includes('pending'))).toEqual([]);
  } finally {
    core.close();
  }
}

describe('two enrollments at once', () => {
  it('a double click: one enrolls, the other is told one is under way; one key, the one HQ knows', async () => {
    const hq = await slowHq(300);
    const dataDir = tempDir();
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) });
    const [a, b] = await Promise.all([
      core.invoke('upload.enroll', { hqUrl: hq.url, code: 'ABCD-1234' }),
      core.invoke('upload.enroll', { hqUrl: hq.url, code: 'EFGH-5678' }),
    ]);
    core.close();
    expect([a.ok, b.ok]).toEqual([true, false]);
    expect(!b.ok && b.error.code).toBe('enroll.inProgress');
    await expectOneValidLink(dataDir, hq.enrolled);
  });

  it('two cores on one folder (the app and station enroll): the later one finds the link and keeps the key', async () => {
    const hq = await slowHq(300);
    const dataDir = tempDir();
    const app = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) });
    const cli = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) });
    const first = app.invoke('upload.enroll', { hqUrl: hq.url, code: 'ABCD-1234' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await cli.invoke('upload.enroll', { hqUrl: hq.url, code: 'EFGH-5678' });
    expect(!during.ok && during.error.code).toBe('enroll.inProgress');
    expect((await first).ok).toBe(true);
    const after = await cli.invoke('upload.enroll', { hqUrl: hq.url, code: 'EFGH-5678' });
    expect(!after.ok && after.error.code).toBe('upload.alreadyEnrolled');
    app.close();
    cli.close();
    await expectOneValidLink(dataDir, hq.enrolled);
  });

  it('two station enroll processes at once: one link, its key the one HQ holds', async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'electron', 'cli', 'station.js'))) throw new Error('dist/ is missing: run "npm run build" first');
    const hq = await slowHq(1500);
    const dataDir = tempDir();
    // The station has run before (its database exists), as when staff enroll it.
    new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }).close();
    const run = (code: string) =>
      new Promise<{ status: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [STATION_BIN, 'enroll', '--data', dataDir, '--hq', hq.url, '--code', code], { cwd: ROOT, env: { ...process.env, STATION_LOG_LEVEL: 'warn' } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.once('exit', (status) => resolve({ status, out }));
      });
    const results = await Promise.all([run('ABCD-1234'), run('EFGH-5678')]);
    expect(results.map((r) => r.status).sort(), results.map((r) => r.out).join('\n')).toEqual([0, 1]);
    expect(results.find((r) => r.status === 1)?.out).toMatch(/enroll\.inProgress|upload\.alreadyEnrolled/);
    await expectOneValidLink(dataDir, hq.enrolled);
  }, 30_000);
});
