/**
 * Boxing and hand-over at the site (装箱, 样本转运) in the typed API (composed into contract.ts): a
 * box opened by its code (the site's box pattern), this station's sealed tubes scanned into it (a
 * tube taken out again with a reason), the box sealed with its tube and person counts, then handed
 * to a transporter (by badge, or by name and phone) who re-scans the box code and confirms the
 * count. A box handed over is read-only. Types and zod schemas only.
 */
import { z } from 'zod';
import type { LabelPrintResult } from './labels';

export type BoxErrorCode =
  /** Not a box code of this site (its box pattern); params: code. */
  | 'box.codeInvalid'
  /** params: code. */
  | 'box.notFound'
  /** A sealed or handed-over box cannot be opened again (corrections are new records); params: code, state. */
  | 'box.closed'
  /** Tubes go in and out of an open box only, and only an open box is sealed; params: code, state. */
  | 'box.notOpen'
  /** params: code, capacity. */
  | 'box.full'
  /** A box without a tube is not sealed; params: code. */
  | 'box.empty'
  /** Not a tube code of this site (its tube pattern): another site's tube; params: tubeCode. */
  | 'box.tubeNotThisSite'
  /** No tube of this station has this code; params: tubeCode. */
  | 'box.tubeUnknown'
  /** The tube is still open at the desk: seal it first; params: tubeCode. */
  | 'box.tubeOpen'
  /** params: tubeCode, reason. */
  | 'box.tubeVoided'
  /** params: tubeCode, boxCode (the box it is in). */
  | 'box.tubeInBox'
  /** params: tubeCode, boxCode. */
  | 'box.tubeNotInBox'
  /** Only a sealed box is handed over; params: code, state. */
  | 'box.notSealed'
  /** The box code re-scanned at the hand-over is not this box's; params: code, confirmCode. */
  | 'box.confirmMismatch'
  /** The count the transporter confirmed is not the box's (the box's count is not told); params: code, tubeCount. */
  | 'box.countMismatch'
  /** No active transporter has this badge; params: badge. */
  | 'box.transporterUnknown'
  /** A transporter signed in hands over in their own name only. */
  | 'box.transporterNotSelf'
  /** A box's label and manifest carry its sealed counts: an open box has neither yet; params: code. */
  | 'box.stillOpen'
  /** No print system on this computer (CUPS's `lp` is not installed). */
  | 'box.printSystemMissing'
  /** No queue is set for manifests and the print system has no default queue. */
  | 'box.printNoDefaultQueue'
  /** The print system has no queue of this name; params: queue. */
  | 'box.printQueueUnknown'
  /** The print system refused the job (queue stopped, not accepting, scheduler down); params: queue, detail. */
  | 'box.printRefused'
  /** Printing to the OS queue is not built for this system (Windows): save the manifest and print it; params: platform. */
  | 'box.printNotSupported';

export const BOX_STATES = ['open', 'sealed', 'handedOver'] as const;
export type BoxState = (typeof BOX_STATES)[number];

/** How many tubes a box takes when the site's configuration does not say (`box.capacity`). */
export const DEFAULT_BOX_CAPACITY = 50;

export type BoxSummary = {
  id: string;
  code: string;
  state: BoxState;
  capacity: number;
  tubeCount: number;
  /** People in its tubes (their bindings). */
  personCount: number;
  openedAt: string;
  sealedAt: string | null;
  handedOverAt: string | null;
  /** When the lab received it (HQ's receipt, through the feed); null until then. */
  receivedAt: string | null;
  /** Tubes the lab found missing, extra or broken in it (0 until received). */
  discrepancyCount: number;
};

export type BoxTubeView = { code: string; personCount: number; sealedAt: string | null; addedAt: string };

/** Who took the box: an operator of the site (by badge), or someone recorded by name and phone (masked). */
export type BoxTransporterView = { kind: 'operator'; name: string } | { kind: 'named'; name: string; maskedPhone: string };

/** What the lab said of one tube against the box as handed over. */
export const RECEIPT_TUBE_STATUSES = ['received', 'missing', 'extra', 'broken'] as const;
export type ReceiptTubeStatus = (typeof RECEIPT_TUBE_STATUSES)[number];

/** The lab's receipt of a box at HQ, as the site sees it: counts, and every tube that was not as handed over. */
export type BoxReceiptView = {
  receivedAt: string;
  /** Who received it at the lab (a name as HQ recorded it). */
  receivedBy: string;
  received: number;
  missing: number;
  extra: number;
  broken: number;
  discrepancies: { tubeCode: string; status: Exclude<ReceiptTubeStatus, 'received'>; reason: string }[];
};

export type BoxView = BoxSummary & {
  tubes: BoxTubeView[];
  handOver: { at: string; transporter: BoxTransporterView; tubeCount: number; coldChainNote: string } | null;
  /** The lab's receipt (null until HQ has one for this box). */
  receipt: BoxReceiptView | null;
};

/** The end of the day: sealed tubes of this station in no box, and boxes not handed over. */
export type BoxPending = { looseTubes: BoxTubeView[]; boxes: BoxSummary[] };

/** A sealed box's manifest (A4 PDF) to save or print: the file name to give it and its bytes. */
export type BoxManifestFile = { code: string; fileName: string; pdfBase64: string };

/** A manifest handed to the OS print queue: the queue (null: the system's default) and the job the print system named. */
export type BoxManifestPrint = { code: string; queue: string | null; requestId: string | null };

/** What the boxing screen needs to know of this station: which scans are box codes, how many tubes a new box takes, where manifests print. */
export type BoxSettings = { boxPattern: string; capacity: number; manifestQueue: string | null };

/** A CUPS queue name: no spaces, slashes or '#', and never starting with '-' (it goes to `lp -d`). */
export const PRINT_QUEUE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,126}$/;

const code = z.string().trim().min(1).max(64);
const reason = z.string().trim().min(1).max(200);
const transporter = z.union([
  z.object({ badge: z.string().trim().min(1).max(64) }).strict(),
  z.object({ name: z.string().trim().min(1).max(40), phone: z.string().trim().regex(/^\+?[0-9][0-9 -]{4,19}$/) }).strict(),
]);

export const boxArgs = {
  /** Opens a box by its code; an open box's code scanned again resumes it. */
  'box.open': z.object({ code }).strict(),
  'box.addTube': z.object({ boxCode: code, tubeCode: code }).strict(),
  'box.removeTube': z.object({ boxCode: code, tubeCode: code, reason }).strict(),
  'box.seal': z.object({ code }).strict(),
  'box.handOver': z
    .object({
      code,
      /** The box code scanned again by the transporter: it must be this box's. */
      confirmCode: code,
      transporter,
      /** The tubes the transporter counted: they must be the box's count. */
      tubeCount: z.number().int().min(0).max(10_000),
      coldChainNote: z.string().trim().max(200).default(''),
    })
    .strict(),
  'box.state': z.object({ code }).strict(),
  /** This station's boxes, newest first (of one state, or all). */
  'box.list': z.object({ state: z.enum(BOX_STATES).optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
  'box.pending': z.object({}).strict(),
  /** Prints a sealed (or handed-over) box's label on the label printer: its code as a barcode, tube and person counts, site, sealed time. */
  'box.printLabel': z.object({ code }).strict(),
  /** A sealed (or handed-over) box's manifest, an A4 PDF. */
  'box.manifest': z.object({ code }).strict(),
  /** Sends a sealed (or handed-over) box's manifest to the OS print queue (the station's manifest queue, else the default). */
  'box.printManifest': z.object({ code }).strict(),
  'box.settings': z.object({}).strict(),
  /** The OS print queue manifests go to at this station; null: the system's default queue. */
  'box.setManifestQueue': z.object({ queue: z.string().trim().regex(PRINT_QUEUE_PATTERN).nullable() }).strict(),
} as const;

type Args<K extends keyof typeof boxArgs> = z.infer<(typeof boxArgs)[K]>;

export type BoxHandlers = {
  'box.open': { args: Args<'box.open'>; value: BoxView };
  'box.addTube': { args: Args<'box.addTube'>; value: BoxView };
  'box.removeTube': { args: Args<'box.removeTube'>; value: BoxView };
  'box.seal': { args: Args<'box.seal'>; value: BoxView };
  'box.handOver': { args: Args<'box.handOver'>; value: BoxView };
  'box.state': { args: Args<'box.state'>; value: BoxView };
  'box.list': { args: Args<'box.list'>; value: BoxSummary[] };
  'box.pending': { args: Args<'box.pending'>; value: BoxPending };
  'box.printLabel': { args: Args<'box.printLabel'>; value: LabelPrintResult };
  'box.manifest': { args: Args<'box.manifest'>; value: BoxManifestFile };
  'box.printManifest': { args: Args<'box.printManifest'>; value: BoxManifestPrint };
  'box.settings': { args: Args<'box.settings'>; value: BoxSettings };
  'box.setManifestQueue': { args: Args<'box.setManifestQueue'>; value: BoxSettings };
};

export type BoxEvents = {
  /** A box was opened, filled, sealed or handed over here: the screen fetches again. */
  'boxes.changed': { code: string };
};
