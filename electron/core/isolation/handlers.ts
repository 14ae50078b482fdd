import type { ArgsOf, ValueOf } from '../../api/contract';
import type { IsolationHandlers } from '../../api/isolation';
import type { Writer } from '../db/writer';
import type { Passes } from '../passes/passes';
import type { Isolation } from './isolation';

type Impl = { [M in keyof IsolationHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type IsolationApiHost = {
  writer: Writer;
  /** The roster's households, as the passes screen finds them. */
  passes: Passes;
  now: () => Date;
  /** An isolation was started or ended, or a reading recorded, here (committed). */
  changed(count: number): void;
};

/** The home isolation part of the API, backed by the core's Isolation. */
export function isolationHandlers(isolation: Isolation, host: IsolationApiHost): Impl {
  return {
    'isolation.start': async (args) => {
      const view = await host.writer.run(() => isolation.start(args, host.now()));
      host.changed(1);
      return view;
    },
    'isolation.end': async ({ isolationId, reason }) => {
      const view = await host.writer.run(() => isolation.end(isolationId, reason, host.now()));
      host.changed(1);
      return view;
    },
    'isolation.list': async (filter) => isolation.list(filter, host.now()),
    'isolation.tasks': async () => isolation.tasks(host.now()),
    'isolation.reading': async (args) => {
      const reading = await host.writer.run(() => isolation.reading(args, host.now()));
      host.changed(1);
      return reading;
    },
    'isolation.households': async ({ query, limit, offset }) => {
      const found = host.passes.households(query, limit, offset);
      return { total: found.total, households: found.households.map(({ building, unit, room, household, residents }) => ({ building, unit, room, household, residents })) };
    },
  };
}
