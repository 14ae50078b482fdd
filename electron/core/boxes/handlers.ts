import type { BoxHandlers } from '../../api/boxes';
import type { ArgsOf, ValueOf } from '../../api/contract';
import type { Writer } from '../db/writer';
import type { LabelService } from '../labels/service';
import type { Boxes } from './boxes';
import { renderManifest } from './manifest';
import { printPdf } from './print';

type Impl = { [M in keyof BoxHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type BoxApiHost = {
  writer: Writer;
  /** The label printer (the sealed box's label). */
  labels: LabelService;
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
    'box.printLabel': async ({ code }) => host.labels.print({ boxCode: code, template: 'box-sealed' }),
    'box.manifest': async ({ code }) => {
      const pdf = await renderManifest(boxes.manifestInput(code));
      return { code, fileName: `装箱单_${code}.pdf`, pdfBase64: pdf.toString('base64') };
    },
    'box.printManifest': async ({ code }) => {
      const pdf = await renderManifest(boxes.manifestInput(code));
      const queue = boxes.manifestQueue();
      const job = await printPdf(pdf, { queue, title: `装箱单 ${code}` });
      return { code, queue: job.queue, requestId: job.requestId };
    },
    'box.settings': async () => boxes.settings(),
    'box.setManifestQueue': async ({ queue }) => host.writer.run(() => boxes.setManifestQueue(queue)),
  };
}
