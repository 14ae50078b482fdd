import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hq } from '../../../electron/cli/commands/hq';
import { createHqServer } from '../../../hq/server';
import { tempDir } from '../../helpers/core';
import { SimStation, samplingJournal } from '../hq/fixtures';

/** Runs `station hq …` in this process, with what it writes. */
async function run(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const status = await hq.run(argv);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('station hq results import and hq lab-token', () => {
  const env = process.env.HQ_DATABASE_URL;
  afterEach(() => {
    if (env === undefined) delete process.env.HQ_DATABASE_URL;
    else process.env.HQ_DATABASE_URL = env;
  });

  it('imports a lab’s file at the console, refusing one with errors unless told how many good rows to take; issues, lists and revokes tokens', async () => {
    delete process.env.HQ_DATABASE_URL;
    const dataDir = tempDir('hq-results-cli-');
    const server = await createHqServer({ dataDir, adminToken: 'admin' });
    const base = await server.listen(0);
    const station = new SimStation(base);
    expect((await station.enroll((await server.createEnrollmentCode('site-a', '幸福社区')).code)).status).toBe(200);
    expect((await station.upload(samplingJournal(3 * 22 + 1))).status).toBe(200);
    await server.close();

    const when = new Date(Date.now() - 3600_000 + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
    const dir = tempDir('hq-results-cli-files-');
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, `试管编码,检测结果,检测时间,检测机构\nSY0010000001,阳性,${when},检验所\nSY0019999999,阴性,${when},检验所\nSY0010000002,阴性,${when},检验所\n`);
    const refused = await run(['results', 'import', bad, '--data', dataDir]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('3 rows: 0 imported, 0 already at HQ, 0 repeated in the file, 1 with errors');
    expect(refused.stdout).toContain('row 3 (tube code) "SY0019999999": HQ has no such tube');
    expect(refused.stdout).toContain('run again with --good-rows 2');
    expect((await run(['results', 'import', bad, '--data', dataDir, '--good-rows', '3'])).stdout).toContain('nothing imported: --good-rows 3, but 2 rows');
    const good = await run(['results', 'import', bad, '--data', dataDir, '--good-rows', '2']);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toContain('imported the 2 rows without errors');

    const clean = path.join(dir, 'clean.csv');
    fs.writeFileSync(clean, `Tube code,Result,Time,Lab\nSY0010000003,negative,${when},检验所\nSY0010000001,positive,${when},检验所\n`);
    const imported = await run(['results', 'import', clean, '--data', dataDir]);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('2 rows: 1 imported, 1 already at HQ');
    expect((await run(['results', 'import', clean, '--data', dataDir])).stdout).toContain('this file was imported before, every row');
    const unreadable = path.join(dir, 'old.xls');
    fs.writeFileSync(unreadable, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]));
    expect(await run(['results', 'import', unreadable, '--data', dataDir])).toMatchObject({ status: 1, stderr: expect.stringContaining('(file.xls)') });

    const issued = await run(['lab-token', 'issue', '--data', dataDir, '--lab', '市检验所']);
    expect(issued.status).toBe(0);
    const [token, about] = issued.stdout.split('\n');
    expect(token).toMatch(/^lab_[A-Za-z0-9_-]{43}$/);
    const id = /token (\S+) for lab/.exec(about!)![1]!;
    const listed = await run(['lab-token', 'list', '--data', dataDir]);
    expect(listed.stdout).toContain(`${id}\tlive`);
    expect(listed.stdout).not.toContain(token!);
    expect((await run(['lab-token', 'revoke', '--data', dataDir, '--id', id])).stdout).toContain(`revoked token ${id}`);
    expect((await run(['lab-token', 'list', '--data', dataDir])).stdout).toContain(`${id}\trevoked`);
    expect(await run(['lab-token', 'revoke', '--data', dataDir, '--id', 'nope'])).toMatchObject({ status: 1 });
  });
});
