import Database from 'better-sqlite3-multiple-ciphers';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BatchRecord } from '../../hq/protocol';
import { tempDir } from '../helpers/core';
import { ROOT, STATION_BIN } from '../helpers/station-process';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';

function station(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'electron', 'cli', 'station.js'))) throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  const r = spawnSync(process.execPath, [STATION_BIN, ...args], { encoding: 'utf8', env: { ...process.env, STATION_LOG_LEVEL: 'warn', HQ_DATABASE_URL: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startHqProcess(dataDir: string): Promise<{ url: string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [STATION_BIN, 'hq', '--data', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STATION_LOG_LEVEL: 'warn', HQ_DATABASE_URL: '', HQ_ADMIN_TOKEN: '' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hq did not start: ${stderr}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`hq exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

function exportFile(stationId: string, records: BatchRecord[], key: Parameters<typeof sign>[2], publicKey: string): string {
  const gz = zlib.gzipSync(
    JSON.stringify({ type: 'station.export', version: 1, stationId, createdAt: new Date().toISOString(), fromSeq: records[0]!.seq, toSeq: records.at(-1)!.seq, records, publicKey }),
  );
  return JSON.stringify({ export: gz.toString('base64'), signature: sign(null, gz, key).toString('base64') });
}

describe('station hq (built CLI)', () => {
  it('makes one-time codes, serves uploads, and imports a signed export file', async () => {
    const dataDir = tempDir('hq-cli-');
    const made = station(['hq', 'code', '--data', dataDir, '--site', 'site-1', '--site-name', '幸福社区']);
    expect(made.status, made.stderr).toBe(0);
    const code = made.stdout.split('\n')[0]!;
    // The one-time part, then HQ's key fingerprint.
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}(-[0-9A-Z]{5}){4}$/);
    expect(station(['hq', 'code', '--data', dataDir, '--site', 'site-unnamed']).stderr).toContain('site.unknown');

    const hq = await startHqProcess(dataDir);
    expect(fs.statSync(path.join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    const sim = new SimStation(hq.url);
    expect((await sim.enroll(code)).status).toBe(200);
    const journal = samplingJournal(300);
    expect((await sim.upload(journal.slice(0, 100))).json).toMatchObject({ type: 'hq.ack', ackedThrough: 100 });
    expect(await hq.stop()).toBe(0);

    const dir = tempDir('hq-cli-export-');
    const good = path.join(dir, 'export.json');
    fs.writeFileSync(good, exportFile(sim.stationId, journal.slice(50), sim.privateKey, sim.publicKeyPem));
    const imported = station(['hq', 'import', good, '--data', dataDir]);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('acknowledged through 300; 0 rejected');

    const forged = path.join(dir, 'forged.json');
    fs.writeFileSync(forged, exportFile(sim.stationId, journal.slice(250), generateKeyPairSync('ed25519').privateKey, sim.publicKeyPem));
    const refused = station(['hq', 'import', forged, '--data', dataDir]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('signature.invalid');
  });

  it('gives a second site its own tube code prefix, and leaves a ledger another HQ process is reading alone', async () => {
    const dataDir = tempDir('hq-cli-');
    expect(station(['hq', 'code', '--data', dataDir, '--site', 'site-1', '--site-name', '幸福社区']).stdout).not.toContain('tube codes');
    const second = station(['hq', 'code', '--data', dataDir, '--site', 'site-2', '--site-name', '阳光小区']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('generate tube codes starting SA (desk 1\'s first is SA0010000001)');

    // An import a serving HQ is reading, its heartbeat long past: a one-shot command gives nothing up.
    const db = new Database(path.join(dataDir, 'hq.sqlite'));
    db.prepare(`INSERT INTO roster_import (id, site_id, source, state, created_at, touched_at) VALUES ('r1', 'site-1', 'hq', 'reading', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')`).run();
    db.close();
    const listed = station(['hq', 'round', 'list', '--data', dataDir, '--site', 'site-1']);
    expect(listed.status, listed.stderr).toBe(0);
    const after = new Database(path.join(dataDir, 'hq.sqlite'), { readonly: true });
    expect(after.prepare(`SELECT state FROM roster_import WHERE id = 'r1'`).get()).toEqual({ state: 'reading' });
    after.close();
  });
});
