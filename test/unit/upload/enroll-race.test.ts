import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { dataKeyOf, folderWithAdmin, signInAdmin, staffArgs, tempDir } from '../../helpers/core';
import { hqSigner } from '../../helpers/hq-signer';
import { ROOT, STATION_BIN } from '../../helpers/station-process';

/** An HQ that takes its time to enroll, giving every request its own station, as a real one does (its answers signed, as HQ's are). */
async function slowHq(delayMs: number) {
  const enrolled = new Map<string, string>();
  const signer = hqSigner();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as { publicKey: string; probe?: string };
      if (body.probe !== undefined) {
        // The station's first question (which key answers here?), refused as HQ refuses it.
        const refusal = JSON.stringify({ error: 'body.invalid', hqTime: Date.now() });
        res.writeHead(400, { 'content-type': 'application/json', ...signer.headers({ headers: req.headers, body: raw }, 400, refusal) });
        res.end(refusal);
        return;
      }
      const stationId = `hq-st-${enrolled.size + 1}`;
      enrolled.set(stationId, body.publicKey);
      setTimeout(() => {
        const answer = JSON.stringify({ type: 'station.enrolled', stationId, siteId: 'site-1', siteName: '测试社区', stationNumber: enrolled.size, stationName: `${enrolled.size}号采样台` });
        res.writeHead(200, { 'content-type': 'application/json', ...signer.headers({ headers: req.headers, body: raw }, 200, answer) });
        res.end(answer);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, enrolled, codes: [signer.code('ABCD2345EFGH'), signer.code('EFGH2345ABCD')] as const };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The station's stored link and its key file agree with what HQ holds for that station. */
async function expectOneValidLink(dataDir: string, enrolled: Map<string, string>): Promise<void> {
  const core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
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
    const core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
    const [a, b] = await Promise.all([
      core.invoke('upload.enroll', { hqUrl: hq.url, code: hq.codes[0] }),
      core.invoke('upload.enroll', { hqUrl: hq.url, code: hq.codes[1] }),
    ]);
    core.close();
    expect([a.ok, b.ok]).toEqual([true, false]);
    expect(!b.ok && b.error.code).toBe('enroll.inProgress');
    await expectOneValidLink(dataDir, hq.enrolled);
  });

  it('two cores on one folder (the app and station enroll): the later one finds the link and keeps the key', async () => {
    const hq = await slowHq(300);
    const dataDir = tempDir();
    const app = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
    const cli = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
    const first = app.invoke('upload.enroll', { hqUrl: hq.url, code: hq.codes[0] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await cli.invoke('upload.enroll', { hqUrl: hq.url, code: hq.codes[1] });
    expect(!during.ok && during.error.code).toBe('enroll.inProgress');
    expect((await first).ok).toBe(true);
    const after = await cli.invoke('upload.enroll', { hqUrl: hq.url, code: hq.codes[1] });
    expect(!after.ok && after.error.code).toBe('upload.alreadyEnrolled');
    app.close();
    cli.close();
    await expectOneValidLink(dataDir, hq.enrolled);
  });

  it('two station enroll processes at once: one link, its key the one HQ holds', async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'electron', 'cli', 'station.js'))) throw new Error('dist/ is missing: run "npm run build" first');
    const hq = await slowHq(1500);
    const dataDir = tempDir();
    // The station has run before (its database and its site admin exist), as when staff enroll it.
    await folderWithAdmin(dataDir);
    const run = (code: string) =>
      new Promise<{ status: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [STATION_BIN, 'enroll', '--data', dataDir, '--hq', hq.url, '--code', code, ...staffArgs()], { cwd: ROOT, env: { ...process.env, STATION_LOG_LEVEL: 'warn' } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.once('exit', (status) => resolve({ status, out }));
      });
    const results = await Promise.all([run(hq.codes[0]), run(hq.codes[1])]);
    expect(results.map((r) => r.status).sort(), results.map((r) => r.out).join('\n')).toEqual([0, 1]);
    expect(results.find((r) => r.status === 1)?.out).toMatch(/enroll\.inProgress|upload\.alreadyEnrolled/);
    await expectOneValidLink(dataDir, hq.enrolled);
  }, 30_000);
});
