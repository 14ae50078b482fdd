import fs from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
import { measureBindings } from '../helpers/bench-desk';
import { openCore, tempDir } from '../helpers/core';
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
  const desk = await measureBindings(core);
  const commit = desk.commit;
  core.close();
  fs.rmSync(dir, { recursive: true, force: true });

  report('Core: durable bindings (WAL, synchronous=FULL, this machine’s disk)', [
    ['fsync (fdatasync 4 KiB) p50 / p99', `${ms(fsync.p50)} / ${ms(fsync.p99)}  (n=${fsync.n})`],
    ['binding commit p50 / p99', `${ms(commit.p50)} / ${ms(commit.p99)}  (n=${commit.n}, one scan at a time)`],
    ['commit p99 / fsync p99', `${(commit.p99 / fsync.p99).toFixed(2)}×  (target ≤ 3×)`],
    ['sustained, one at a time', `${Math.round(desk.sequentialPerSecond)} bindings/s`],
    ['sustained, 20 in flight (group commit)', `${Math.round(desk.pipelinedPerSecond)} bindings/s  (target ≥ 2,000)`],
  ]);
});
