import fs from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
import { openCore, tempDir } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { ms, report, summarize } from '../helpers/stats';

/** fsync latency of the disk the database lives on: the physical floor of a durable commit. */
function fsyncLatency(dir: string, rounds: number): number[] {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const samples: number[] = [];
  const page = Buffer.alloc(4096, 1);
  for (let i = 0; i < rounds; i++) {
    fs.writeSync(fd, page, 0, page.length, i * page.length);
    const start = process.hrtime.bigint();
    fs.fdatasyncSync(fd);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  fs.closeSync(fd);
  fs.rmSync(file);
  return samples;
}

it('core: binding commit latency and throughput against the disk’s fsync', async () => {
  const dir = tempDir('station-bench-');
  const fsync = summarize(fsyncLatency(dir, 1000));

  const core = await openCore(dir);
  await core.invoke('desk.setCapacity', { capacity: 20 });
  let person = 0;
  let tube = 0;
  const scanPerson = () => core.invoke('scan.submit', { text: idNumber(++person), source: 'serial' });
  const scanTube = () => core.invoke('scan.submit', { text: tubeCode(++tube), source: 'serial' });

  // 1. one scan at a time, as a desk does: each binding is its own durable commit.
  const latencies: number[] = [];
  const sequentialStart = performance.now();
  for (let t = 0; t < 150; t++) {
    await scanTube();
    for (let p = 0; p < 20; p++) {
      const start = performance.now();
      const result = await scanPerson();
      latencies.push(performance.now() - start);
      if (!result.ok) throw new Error(JSON.stringify(result.error));
    }
  }
  const sequentialSeconds = (performance.now() - sequentialStart) / 1000;
  const commit = summarize(latencies);

  // 2. many sources at once (serial + HID + wedge + agent): group commit shares the fsync.
  const pipelinedStart = performance.now();
  let pipelined = 0;
  for (let t = 0; t < 150; t++) {
    await scanTube();
    const batch = await Promise.all(Array.from({ length: 20 }, scanPerson));
    pipelined += batch.filter((r) => r.ok).length;
  }
  const pipelinedSeconds = (performance.now() - pipelinedStart) / 1000;
  core.close();
  fs.rmSync(dir, { recursive: true, force: true });

  report('Core: durable bindings (WAL, synchronous=FULL, this machine’s disk)', [
    ['fsync (fdatasync 4 KiB) p50 / p99', `${ms(fsync.p50)} / ${ms(fsync.p99)}  (n=${fsync.n})`],
    ['binding commit p50 / p99', `${ms(commit.p50)} / ${ms(commit.p99)}  (n=${commit.n}, one scan at a time)`],
    ['commit p99 / fsync p99', `${(commit.p99 / fsync.p99).toFixed(2)}×  (target ≤ 3×)`],
    ['sustained, one at a time', `${Math.round(commit.n / sequentialSeconds)} bindings/s`],
    ['sustained, 20 in flight (group commit)', `${Math.round(pipelined / pipelinedSeconds)} bindings/s  (target ≥ 2,000)`],
  ]);
});
