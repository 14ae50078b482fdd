/**
 * HQ's operator routes: a site's operators on the dashboard (add, change a role, set a new PIN,
 * disable, enable, unlock) and the same as JSON for scripts. A PIN is checked and hashed before
 * the transaction and never kept; what changes goes to every station of the site.
 */
import type { FastifyRequest } from 'fastify';
import { roleSchema, type Role } from '../../electron/api/operators';
import { renderOperators } from '../dashboard-operators';
import { changeOperator, createOperator, hashNewPin, operatorsOfSite, type OperatorChangeInput, type OperatorOutcome } from '../domains/operators';
import { adminOperatorChangeSchema, adminOperatorCreateSchema, HQ_PATHS } from '../protocol';
import type { RouteContext } from './roster';

export function registerOperatorRoutes(ctx: RouteContext): void {
  const { app, store } = ctx;
  const at = () => new Date(ctx.now()).toISOString();

  async function create(input: { siteId: string; name: string; code: string; role: Role; badge: string | null; pin: string }): Promise<OperatorOutcome> {
    const hashed = await hashNewPin(input.pin);
    if (!hashed.ok) return hashed;
    return store.sql.transaction((tx) => createOperator(tx, { ...input, pinHash: hashed.pinHash, at: at() }));
  }

  async function change(input: Omit<OperatorChangeInput, 'at' | 'pinHash'> & { pin?: string | undefined }): Promise<OperatorOutcome> {
    const { pin, ...rest } = input;
    let pinHash: string | undefined;
    if (pin !== undefined) {
      const hashed = await hashNewPin(pin);
      if (!hashed.ok) return hashed;
      pinHash = hashed.pinHash;
    }
    return store.sql.transaction((tx) => changeOperator(tx, { ...rest, ...(pinHash ? { pinHash } : {}), at: at() }));
  }

  const failureStatus = (error: string) => (error === 'site.unknown' || error === 'operator.unknown' ? 404 : error.endsWith('Taken') ? 409 : 400);

  function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, req: FastifyRequest): T {
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.rawBody(req).toString('utf8') || '{}');
    } catch {
      throw ctx.failure(400, 'body.invalid', 'not JSON');
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw ctx.failure(400, 'body.invalid', parsed.error.issues[0]?.message);
    return parsed.data;
  }

  app.get(HQ_PATHS.adminOperators, async (req, reply) => {
    ctx.requireAdmin(req);
    const siteId = (req.query as Record<string, unknown>).siteId;
    if (typeof siteId !== 'string' || siteId.length === 0 || siteId.length > 128) throw ctx.failure(400, 'body.invalid', 'siteId');
    if (!(await store.siteExists(siteId))) throw ctx.failure(404, 'site.unknown');
    return reply.send({ operators: await store.sql.read((tx) => operatorsOfSite(tx, siteId)) });
  });

  app.post(HQ_PATHS.adminOperators, async (req, reply) => {
    ctx.requireAdmin(req);
    const body = parse(adminOperatorCreateSchema, req);
    const outcome = await create({ ...body, badge: body.badge ?? null });
    if (!outcome.ok) throw ctx.failure(failureStatus(outcome.error), outcome.error);
    return reply.send({ ok: true, operator: outcome.operator });
  });

  app.post(`${HQ_PATHS.adminOperators}/change`, async (req, reply) => {
    ctx.requireAdmin(req);
    const outcome = await change(parse(adminOperatorChangeSchema, req));
    if (!outcome.ok) throw ctx.failure(failureStatus(outcome.error), outcome.error);
    return reply.send({ ok: true, operator: outcome.operator });
  });

  async function page(req: FastifyRequest, siteId: string | null) {
    const sites = await store.sql.read((tx) => tx.all<{ id: string; name: string }>('SELECT id, name FROM site ORDER BY name, id'));
    const chosen = siteId ?? sites[0]?.id ?? null;
    const operators = chosen ? await store.sql.read((tx) => operatorsOfSite(tx, chosen)) : [];
    const posted = (req.query as Record<string, unknown>).posted;
    return renderOperators({ sites, siteId: chosen, operators }, { lang: ctx.langOf(req), posted: typeof posted === 'string' ? posted : undefined });
  }

  app.get('/dashboard/operators', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    return ctx.page(reply, 200, await page(req, null));
  });

  app.get('/dashboard/operators/:siteId', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { siteId } = req.params as { siteId: string };
    if (!(await store.siteExists(siteId))) throw ctx.failure(404, 'not.found');
    return ctx.page(reply, 200, await page(req, siteId));
  });

  /** A dashboard form: its fields, and where to go back to with what happened. */
  function form(req: FastifyRequest): { siteId: string; get(name: string): string; back(posted: string): string } {
    const { siteId } = req.params as { siteId: string };
    const fields = new URLSearchParams(ctx.rawBody(req).toString('utf8'));
    return {
      siteId,
      get: (name) => (fields.get(name) ?? '').trim(),
      back: (posted) => `/dashboard/operators/${encodeURIComponent(siteId)}?lang=${ctx.langOf(req)}&posted=${encodeURIComponent(posted)}`,
    };
  }
  const result = (outcome: OperatorOutcome) => (outcome.ok ? 'operator.ok' : outcome.error);

  app.post('/dashboard/operators/:siteId', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const f = form(req);
    const role = roleSchema.safeParse(f.get('role'));
    if (!f.get('name') || !f.get('code') || !role.success || !f.get('pin')) return reply.redirect(f.back('operator.invalid'), 303);
    if (f.get('pin') !== f.get('pinAgain')) return reply.redirect(f.back('pin.mismatch'), 303);
    const outcome = await create({ siteId: f.siteId, name: f.get('name'), code: f.get('code'), role: role.data, badge: f.get('badge') || null, pin: f.get('pin') });
    return reply.redirect(f.back(result(outcome)), 303);
  });

  app.post('/dashboard/operators/:siteId/:action', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const f = form(req);
    const { action } = req.params as { action: string };
    const code = f.get('code');
    if (!code) return reply.redirect(f.back('operator.invalid'), 303);
    const base = { siteId: f.siteId, code };
    let outcome: OperatorOutcome;
    if (action === 'role') {
      const role = roleSchema.safeParse(f.get('role'));
      if (!role.success) return reply.redirect(f.back('operator.invalid'), 303);
      outcome = await change({ ...base, role: role.data });
    } else if (action === 'pin') {
      if (f.get('pin') !== f.get('pinAgain')) return reply.redirect(f.back('pin.mismatch'), 303);
      outcome = await change({ ...base, pin: f.get('pin') });
    } else if (action === 'disable' || action === 'enable') {
      outcome = await change({ ...base, disabled: action === 'disable' });
    } else if (action === 'unlock') {
      outcome = await change({ ...base, unlock: true });
    } else {
      throw ctx.failure(404, 'not.found');
    }
    return reply.redirect(f.back(result(outcome)), 303);
  });
}
