import type { BoxHandlers } from '../../api/boxes';
import type { ArgsOf, ValueOf } from '../../api/contract';
import type { Writer } from '../db/writer';
import type { Boxes } from './boxes';

type Impl = { [M in keyof BoxHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type BoxApiHost = {
  writer: Writer;
  /** A box changed here (committed). */
  changed(code: string): void;
};

/** The boxing and hand-over part of the API, backed by the core's Boxes. */
export function boxHandlers(boxes: Boxes, host: BoxApiHost): Impl {
  const change = async <T extends { code: string }>(fn: () => T): Promise<T> => {
    const value = await host.writer.run(fn);
    host.changed(value.code);
    return value;
  };
  return {
    'box.open': async ({ code }) => change(() => boxes.open(code)),
    'box.addTube': async ({ boxCode, tubeCode }) => change(() => boxes.addTube(boxCode, tubeCode)),
    'box.removeTube': async ({ boxCode, tubeCode, reason }) => change(() => boxes.removeTube(boxCode, tubeCode, reason)),
    'box.seal': async ({ code }) => change(() => boxes.seal(code)),
    'box.handOver': async (args) => change(() => boxes.handOver(args)),
    'box.state': async ({ code }) => boxes.state(code),
    'box.list': async ({ state, limit }) => boxes.list(state, limit),
    'box.pending': async () => boxes.pending(),
  };
}
