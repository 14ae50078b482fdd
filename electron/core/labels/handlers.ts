import type { ArgsOf, ValueOf } from '../../api/contract';
import type { LabelHandlers } from '../../api/labels';
import type { LabelService } from './service';

type Impl = { [M in keyof LabelHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** The labels part of the API, backed by the core's LabelService. */
export function labelHandlers(labels: LabelService): Impl {
  return {
    'label.preview': async ({ dpi, ...target }) => labels.preview(target, dpi),
    'label.print': async (target) => labels.print(target),
    'label.reprint': async ({ code }) => labels.reprint(code),
    'label.printerStatus': async () => labels.printerStatus(),
    'label.settings': async () => ({ printOnOpen: labels.printOnOpen(), hasPrinter: labels.printerConfig() !== null }),
    'label.setPrintOnOpen': async ({ enabled }) => labels.setPrintOnOpen(enabled),
  };
}
