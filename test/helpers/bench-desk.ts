import type { StationCore } from '../../electron/core/core';
import { idNumber, tubeCode } from './ids';
import { summarize } from './stats';

export type DeskFigures = {
  /** Each binding's commit, one scan at a time. */
  commit: ReturnType<typeof summarize>;
  /** Bindings per second, one scan at a time. */
  sequentialPerSecond: number;
  /** Bindings per second with 20 scans in flight (group commit). */
  pipelinedPerSecond: number;
};

/**
 * Scans `tubes` tubes of 20 people into `core`, first one scan at a time as a desk does (each
 * binding its own durable commit), then 20 at once as several scanners and the agent do.
 */
export async function measureBindings(core: StationCore, tubes = 150): Promise<DeskFigures> {
  await core.invoke('desk.setCapacity', { capacity: 20 });
  let person = 0;
  let tube = 0;
  const scanPerson = () => core.invoke('scan.submit', { text: idNumber(++person), source: 'serial' });
  const scanTube = () => core.invoke('scan.submit', { text: tubeCode(++tube), source: 'serial' });

  const latencies: number[] = [];
  const sequentialStart = performance.now();
  for (let t = 0; t < tubes; t++) {
    await scanTube();
    for (let p = 0; p < 20; p++) {
      const start = performance.now();
      const result = await scanPerson();
      latencies.push(performance.now() - start);
      if (!result.ok) throw new Error(JSON.stringify(result.error));
    }
  }
  const sequentialSeconds = (performance.now() - sequentialStart) / 1000;

  const pipelinedStart = performance.now();
  let pipelined = 0;
  for (let t = 0; t < tubes; t++) {
    await scanTube();
    const batch = await Promise.all(Array.from({ length: 20 }, scanPerson));
    pipelined += batch.filter((r) => r.ok).length;
  }
  const pipelinedSeconds = (performance.now() - pipelinedStart) / 1000;
  return { commit: summarize(latencies), sequentialPerSecond: latencies.length / sequentialSeconds, pipelinedPerSecond: pipelined / pipelinedSeconds };
}
