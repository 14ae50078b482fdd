import type { ArgsOf, ValueOf } from '../../api/contract';
import type { PassHandlers } from '../../api/passes';
import type { Writer } from '../db/writer';
import { LabelService } from '../labels/service';
import type { Passes } from './passes';

type Impl = { [M in keyof PassHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type PassApiHost = {
  writer: Writer;
  labels: LabelService;
  now: () => Date;
  /** Passes were issued or revoked here (committed). */
  changed(count: number): void;
};

/** The resident passes part of the API, backed by the core's Passes and its label printer. */
export function passHandlers(passes: Passes, host: PassApiHost): Impl {
  return {
    'pass.households': async ({ query, limit, offset }) => passes.households(query, limit, offset),
    'pass.residents': async ({ household }) => passes.residents(household),
    'pass.issue': async (args) => {
      const issued = await host.writer.run(() => passes.issue(args, host.now()));
      host.changed(issued.length);
      return issued;
    },
    'pass.revoke': async ({ passId, reason }) => {
      const revoked = await host.writer.run(() => passes.revoke(passId, reason, host.now()));
      host.changed(1);
      return revoked;
    },
    'pass.list': async (filter) => passes.list(filter),
    'pass.preview': async ({ passId, dpi }) => {
      const { data } = passes.labelData(passId, host.now());
      return { passId, ...LabelService.previewOf(host.labels.planOf('pass', data, dpi).plan) };
    },
    'pass.print': async ({ passId }) => {
      const { data, maskedCode } = passes.labelData(passId, host.now());
      const { plan, template } = host.labels.planOf('pass', data);
      return { ...(await host.labels.printPlan(plan, maskedCode, template)), passId };
    },
  };
}
