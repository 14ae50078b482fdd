/**
 * HQ's routes for boxes and the lab: the lab's receipt of a box (dashboard page `/dashboard/lab`,
 * one form post per scan, and the same as a JSON admin API) and a site's boxes
 * (`/dashboard/boxes`, and JSON). Any signed-in dashboard session (or the admin token) may receive
 * boxes, as it may every other dashboard action; each step keeps the name of the lab staff who
 * did it, typed with the box's receipt. Logged by ids and counts, never a name.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { createLogger } from '../../electron/core/log';
import { renderBoxes } from '../dashboard-boxes';
import { renderLab, type LabPageData } from '../dashboard-lab';
import { siteBoxes } from '../domains/boxes';
import {
  correctLabReceipt,
  finishLabReceipt,
  labReceipt,
  labReceipts,
  markLabTubeBroken,
  openLabReceipt,
  scanLabTube,
  type LabError,
  type LabOutcome,
} from '../domains/lab';
import { siteDay } from '../ingest';
import { adminLabBrokenSchema, adminLabCorrectionSchema, adminLabFinishSchema, adminLabReceiveSchema, adminLabTubeSchema, HQ_PATHS } from '../protocol';
import type { Tx } from '../store/sql';
import type { RouteContext } from './roster';

const log = createLogger('hq-lab');

/** Receipts listed on the page: being received, and recently finished. */
const LISTED = 50;
/** Days of loose tubes and receipts on the boxes page, unless asked for (1 to 30). */
const DEFAULT_DAYS = 3;

const STATUS: Record<LabError, number> = {
  'lab.boxUnknown': 404,
  'lab.receiptUnknown': 404,
  'lab.boxAmbiguous': 409,
  'lab.receiptFinished': 409,
  'lab.receiptOpen': 409,
  'lab.statusInvalid': 409,
  'lab.statusUnchanged': 409,
};

export function registerLabRoutes(ctx: RouteContext): void {
  const { app, store } = ctx;
  const at = () => new Date(ctx.now()).toISOString();
  const write = <T>(fn: (tx: Tx) => Promise<LabOutcome<T>>): Promise<LabOutcome<T>> => store.sql.transaction(fn);

  function json<S extends z.ZodType>(req: FastifyRequest, schema: S): z.infer<S> {
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.rawBody(req).toString('utf8') || '{}');
    } catch {
      throw ctx.failure(400, 'body.invalid', 'not JSON');
    }
    const body = schema.safeParse(raw);
    if (!body.success) throw ctx.failure(400, 'body.invalid', body.error.issues[0]?.message);
    return body.data;
  }

  /** A refusal as JSON; a code several stations' boxes have lists them, for the caller to name one. */
  function refuse(reply: FastifyReply, outcome: Extract<LabOutcome<unknown>, { ok: false }>): FastifyReply {
    if (outcome.error === 'lab.boxAmbiguous') return reply.code(409).send({ error: outcome.error, hqTime: ctx.now(), candidates: outcome.candidates ?? [] });
    throw ctx.failure(STATUS[outcome.error], outcome.error);
  }

  function logged(what: string, receiptId: string, extra: Record<string, unknown> = {}): void {
    log.info({ receiptId, ...extra }, what);
  }

  // ---- JSON admin API ---------------------------------------------------------------------------

  const receipts = `${HQ_PATHS.adminLab}/receipts`;

  app.post(receipts, async (req, reply) => {
    ctx.requireAdmin(req);
    const body = json(req, adminLabReceiveSchema);
    const outcome = await write((tx) => openLabReceipt(tx, { ...body, at: at() }));
    if (!outcome.ok) return refuse(reply, outcome);
    if (!outcome.value.resumed) logged('lab receipt begun', outcome.value.receipt.receiptId, { boxState: outcome.value.receipt.boxState });
    return reply.send(outcome.value);
  });

  app.get(receipts, async (req, reply) => {
    ctx.requireAdmin(req);
    const q = req.query as Record<string, unknown>;
    const siteId = typeof q.siteId === 'string' && q.siteId ? q.siteId : undefined;
    const open = q.open === '1' || q.open === 'true';
    return reply.send({ receipts: await store.sql.read((tx) => labReceipts(tx, { open, siteId, limit: 500 })) });
  });

  app.get(`${receipts}/:id`, async (req, reply) => {
    ctx.requireAdmin(req);
    const r = await store.sql.read((tx) => labReceipt(tx, (req.params as { id: string }).id));
    if (!r) throw ctx.failure(404, 'lab.receiptUnknown');
    return reply.send(r);
  });

  app.post(`${receipts}/:id/tubes`, async (req, reply) => {
    ctx.requireAdmin(req);
    const receiptId = (req.params as { id: string }).id;
    const body = json(req, adminLabTubeSchema);
    const outcome = await write((tx) => scanLabTube(tx, { receiptId, ...body, at: at() }));
    if (!outcome.ok) return refuse(reply, outcome);
    return reply.send(outcome.value);
  });

  app.post(`${receipts}/:id/broken`, async (req, reply) => {
    ctx.requireAdmin(req);
    const receiptId = (req.params as { id: string }).id;
    const body = json(req, adminLabBrokenSchema);
    const outcome = await write((tx) => markLabTubeBroken(tx, { receiptId, ...body, at: at() }));
    if (!outcome.ok) return refuse(reply, outcome);
    return reply.send(outcome.value);
  });

  app.post(`${receipts}/:id/finish`, async (req, reply) => {
    ctx.requireAdmin(req);
    const receiptId = (req.params as { id: string }).id;
    const body = json(req, adminLabFinishSchema);
    const outcome = await write((tx) => finishLabReceipt(tx, { receiptId, ...body, at: at() }));
    if (!outcome.ok) return refuse(reply, outcome);
    logged('lab receipt finished', receiptId, outcome.value.counts);
    return reply.send(outcome.value);
  });

  app.post(`${receipts}/:id/corrections`, async (req, reply) => {
    ctx.requireAdmin(req);
    const receiptId = (req.params as { id: string }).id;
    const body = json(req, adminLabCorrectionSchema);
    const outcome = await write((tx) => correctLabReceipt(tx, { receiptId, ...body, at: at() }));
    if (!outcome.ok) return refuse(reply, outcome);
    logged('lab receipt corrected', receiptId, { status: body.status });
    return reply.send(outcome.value);
  });

  // ---- the dashboard's lab page -----------------------------------------------------------------

  async function pageData(receiptId: string | null, choose: LabPageData['choose'] = null): Promise<LabPageData> {
    return store.sql.read(async (tx) => ({
      receipt: receiptId ? await labReceipt(tx, receiptId) : null,
      choose,
      open: await labReceipts(tx, { open: true, limit: LISTED }),
      recent: await labReceipts(tx, { open: false, limit: LISTED }),
    }));
  }

  const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

  app.get('/dashboard/lab', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const q = req.query as Record<string, unknown>;
    const data = await pageData(text(q.receipt) ?? null);
    return ctx.page(reply, 200, renderLab(data, { lang: ctx.langOf(req), posted: text(q.posted), tube: text(q.tube), box: text(q.box), by: text(q.by) }));
  });

  /** Back to the page after a form: the receipt, what happened, and the tube or box it was about. */
  function back(reply: FastifyReply, lang: string, posted: string, opts: { receipt?: string | undefined; tube?: string | undefined; box?: string | undefined } = {}): FastifyReply {
    const q = new URLSearchParams({ lang });
    if (opts.receipt) q.set('receipt', opts.receipt);
    q.set('posted', posted);
    if (opts.tube) q.set('tube', opts.tube);
    if (opts.box) q.set('box', opts.box);
    return reply.redirect(`/dashboard/lab?${q.toString()}`, 303);
  }

  const formOf = (req: FastifyRequest) => new URLSearchParams(ctx.rawBody(req).toString('utf8'));

  app.post('/dashboard/lab/receive', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const form = formOf(req);
    const stationId = form.get('stationId') || undefined;
    const parsed = adminLabReceiveSchema.safeParse({ boxCode: form.get('boxCode') ?? '', receivedBy: form.get('receivedBy') ?? '', ...(stationId ? { stationId } : {}) });
    if (!parsed.success) return back(reply, lang, 'lab.invalid');
    const outcome = await write((tx) => openLabReceipt(tx, { ...parsed.data, at: at() }));
    if (!outcome.ok && outcome.error === 'lab.boxAmbiguous') {
      // The choice is the page itself: one form per station whose box has this code.
      const data = await pageData(null, { boxCode: parsed.data.boxCode, receivedBy: parsed.data.receivedBy, candidates: outcome.candidates ?? [] });
      return ctx.page(reply, 200, renderLab(data, { lang, by: parsed.data.receivedBy }));
    }
    if (!outcome.ok) return back(reply, lang, outcome.error, { box: parsed.data.boxCode });
    if (!outcome.value.resumed) logged('lab receipt begun', outcome.value.receipt.receiptId, { boxState: outcome.value.receipt.boxState });
    return back(reply, lang, outcome.value.resumed ? 'lab.resumed' : 'lab.opened', { receipt: outcome.value.receipt.receiptId });
  });

  app.post('/dashboard/lab/scan', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const form = formOf(req);
    const receiptId = form.get('receiptId') ?? '';
    const parsed = adminLabTubeSchema.safeParse({ tubeCode: form.get('tubeCode') ?? '' });
    if (!receiptId || !parsed.success) return back(reply, lang, 'lab.invalid', { receipt: receiptId });
    const outcome = await write((tx) => scanLabTube(tx, { receiptId, ...parsed.data, at: at() }));
    if (!outcome.ok) return back(reply, lang, outcome.error, { receipt: receiptId, tube: parsed.data.tubeCode });
    const { scan } = outcome.value;
    return back(reply, lang, scan.already ? 'lab.already' : scan.status === 'extra' ? 'lab.extra' : 'lab.received', { receipt: receiptId, tube: scan.tubeCode });
  });

  app.post('/dashboard/lab/broken', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const form = formOf(req);
    const receiptId = form.get('receiptId') ?? '';
    const parsed = adminLabBrokenSchema.safeParse({ tubeCode: form.get('tubeCode') ?? '', reason: form.get('reason') ?? '' });
    if (!receiptId || !parsed.success) return back(reply, lang, 'lab.invalid', { receipt: receiptId });
    const outcome = await write((tx) => markLabTubeBroken(tx, { receiptId, ...parsed.data, at: at() }));
    if (!outcome.ok) return back(reply, lang, outcome.error, { receipt: receiptId, tube: parsed.data.tubeCode });
    return back(reply, lang, 'lab.broken', { receipt: receiptId, tube: parsed.data.tubeCode });
  });

  app.post('/dashboard/lab/finish', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const receiptId = formOf(req).get('receiptId') ?? '';
    const outcome = await write((tx) => finishLabReceipt(tx, { receiptId, at: at() }));
    if (!outcome.ok) return back(reply, lang, outcome.error, { receipt: receiptId });
    logged('lab receipt finished', receiptId, outcome.value.counts);
    return back(reply, lang, 'lab.finished', { receipt: receiptId });
  });

  app.post('/dashboard/lab/correct', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const form = formOf(req);
    const receiptId = form.get('receiptId') ?? '';
    const parsed = adminLabCorrectionSchema.safeParse({ tubeCode: form.get('tubeCode') ?? '', status: form.get('status') ?? '', reason: form.get('reason') ?? '', by: form.get('by') ?? '' });
    if (!receiptId || !parsed.success) return back(reply, lang, 'lab.invalid', { receipt: receiptId });
    const outcome = await write((tx) => correctLabReceipt(tx, { receiptId, ...parsed.data, at: at() }));
    if (!outcome.ok) return back(reply, lang, outcome.error, { receipt: receiptId, tube: parsed.data.tubeCode });
    logged('lab receipt corrected', receiptId, { status: parsed.data.status });
    return back(reply, lang, 'lab.corrected', { receipt: receiptId, tube: parsed.data.tubeCode });
  });

  // ---- a site's boxes ---------------------------------------------------------------------------

  function daysOf(value: unknown): number | null {
    if (value === undefined || value === '') return DEFAULT_DAYS;
    const n = Number(value);
    return Number.isInteger(n) && n >= 1 && n <= 30 ? n : null;
  }

  const boxesOf = (siteId: string, days: number) => store.sql.read((tx) => siteBoxes(tx, siteId, { now: ctx.now(), today: siteDay(ctx.now()), days }));

  app.get(HQ_PATHS.adminBoxes, async (req, reply) => {
    ctx.requireAdmin(req);
    const q = req.query as Record<string, unknown>;
    const days = daysOf(q.days);
    if (typeof q.siteId !== 'string' || q.siteId.length === 0 || q.siteId.length > 128 || days === null) throw ctx.failure(400, 'body.invalid', 'siteId, days');
    const view = await boxesOf(q.siteId, days);
    if (!view) throw ctx.failure(404, 'site.unknown');
    return reply.send(view);
  });

  app.get('/dashboard/boxes', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const q = req.query as Record<string, unknown>;
    const days = daysOf(q.days);
    if (days === null) throw ctx.failure(400, 'body.invalid', 'days');
    const sites = await store.sql.read((tx) => tx.all<{ id: string; name: string }>('SELECT id, name FROM site ORDER BY name, id'));
    const siteId = text(q.site) ?? sites[0]?.id ?? null;
    if (siteId !== null && !sites.some((s) => s.id === siteId)) throw ctx.failure(404, 'not.found');
    const view = siteId ? await boxesOf(siteId, days) : null;
    return ctx.page(reply, 200, renderBoxes({ sites, view }, { lang: ctx.langOf(req) }));
  });
}
