/**
 * HQ's routes for lab results in bulk: the dashboard's upload and import pages, the same over the
 * admin API, labs' tokens, and the endpoint a lab's system posts results to with its token
 * (`POST /lab/v1/results`). What they decide is in `domains/result-imports.ts`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import path from 'node:path';
import { z } from 'zod';
import { createLogger } from '../../electron/core/log';
import { renderFlaggedResults, renderResultImport, renderResultImports } from '../dashboard-results';
import { checkLabToken, issueLabToken, labTokens, revokeLabToken, touchLabToken } from '../domains/lab-tokens';
import { MAX_RESULT_FILE_BYTES } from '../domains/result-files';
import {
  PENDING_KEEP_MS,
  discardImport,
  flaggedResults,
  importErrors,
  importPendingRows,
  recentImports,
  resultImport,
  sweepPendingImports,
  type ImportResultsOutcome,
} from '../domains/result-imports';
import { HQ_PATHS } from '../protocol';
import {
  MAX_LAB_REQUEST_BYTES,
  fileErrorAnswer,
  importAnswer,
  importLabRequest,
  importResultFile,
  labResultsRequestSchema,
  rowAnswers,
  rowErrorAnswer,
  type FileImportOutcome,
} from '../result-import';
import type { RouteContext } from './roster';

const log = createLogger('hq-results');

/** Row errors on one page of an import. */
const ERRORS_PAGE = 500;

export type ResultRoutes = { maintain(): Promise<void> };

const tokenIssueSchema = z.object({ lab: z.string().trim().min(1).max(100) }).strict();
const tokenRevokeSchema = z.object({ id: z.string().min(1).max(128) }).strict();
const goodRowsSchema = z.object({ expected: z.number().int().min(1).max(1_000_000) }).strict();

export function registerResultRoutes(ctx: RouteContext): ResultRoutes {
  const { app, store } = ctx;
  const iso = () => new Date(ctx.now()).toISOString();

  function json<T>(req: FastifyRequest, schema: z.ZodType<T>): T {
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.rawBody(req).toString('utf8') || '{}');
    } catch {
      throw ctx.failure(400, 'body.invalid', 'not JSON');
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw ctx.failure(400, 'body.invalid', issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid');
    }
    return parsed.data;
  }

  function logged(outcome: FileImportOutcome, how: Record<string, unknown>): void {
    if (outcome.kind === 'fileError') log.info({ ...how, error: outcome.error }, 'result file refused');
    else if (outcome.kind === 'sameFile') log.info({ ...how, importId: outcome.import.id }, 'result file imported before: nothing done');
    else {
      const s = outcome.kind === 'imported' ? outcome.import : outcome.summary;
      log.info(
        { ...how, importId: outcome.kind === 'nothingNew' ? null : s.id, state: outcome.kind, rows: s.totalRows, imported: s.imported, already: s.already, errors: s.errors, notReceived: s.notReceived, positives: s.positives },
        'lab results',
      );
    }
  }

  // ---- the dashboard --------------------------------------------------------------------------

  app.get('/dashboard/results/import', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const q = req.query as Record<string, unknown>;
    const imports = await store.sql.read((tx) => recentImports(tx, 50));
    return ctx.page(reply, 200, renderResultImports({ imports }, { lang: ctx.langOf(req), posted: str(q.posted), detail: str(q.detail) }));
  });

  app.post('/dashboard/results/import', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const back = (posted: string, detail = '') => reply.redirect(`/dashboard/results/import?lang=${lang}&posted=${encodeURIComponent(posted)}${detail ? `&detail=${encodeURIComponent(detail)}` : ''}`, 303);
    let upload: { bytes: Buffer; fileName: string } | null = null;
    try {
      const part = await req.file({ limits: { fileSize: MAX_RESULT_FILE_BYTES, files: 1 } });
      if (part) upload = { bytes: await part.toBuffer(), fileName: path.basename(part.filename || 'results') };
    } catch (err) {
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return back('file.tooLarge', `${MAX_RESULT_FILE_BYTES / 1024 / 1024} MiB`);
      if (err instanceof Error && 'syscall' in err) throw err;
      return back('invalid');
    }
    if (!upload || upload.bytes.length === 0) return back(upload ? 'file.empty' : 'invalid');
    const outcome = await importResultFile(store, { ...upload, mode: 'all', keepPending: true, now: ctx.now() });
    logged(outcome, { source: 'dashboard' });
    if (outcome.kind === 'fileError') return back(outcome.error, outcome.detail);
    if (outcome.kind === 'nothingNew') return back('nothingNew', String(outcome.summary.totalRows));
    if (outcome.kind === 'sameFile') return reply.redirect(`/dashboard/results/import/${encodeURIComponent(outcome.import.id)}?lang=${lang}&posted=sameFile`, 303);
    const id = outcome.kind === 'imported' ? outcome.import.id : outcome.import!.id;
    return reply.redirect(`/dashboard/results/import/${encodeURIComponent(id)}?lang=${lang}`, 303);
  });

  app.get('/dashboard/results/import/:id', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { id } = req.params as { id: string };
    const q = req.query as Record<string, unknown>;
    const offset = Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0);
    const view = await store.sql.read(async (tx) => {
      const imp = await resultImport(tx, id);
      if (!imp) return null;
      return { import: imp, errors: await importErrors(tx, id, offset, ERRORS_PAGE), offset, pageSize: ERRORS_PAGE, flagged: await flaggedResults(tx, { importId: id, limit: 1000 }) };
    });
    if (!view) throw ctx.failure(404, 'not.found');
    return ctx.page(reply, 200, renderResultImport(view, { lang: ctx.langOf(req), posted: str(q.posted), detail: str(q.detail) }));
  });

  app.post('/dashboard/results/import/:id/:action', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { id, action } = req.params as { id: string; action: string };
    const lang = ctx.langOf(req);
    const page = (posted: string) => reply.redirect(`/dashboard/results/import/${encodeURIComponent(id)}?lang=${lang}&posted=${encodeURIComponent(posted)}`, 303);
    if (action === 'good') {
      const form = new URLSearchParams(ctx.rawBody(req).toString('utf8'));
      const expected = Number(form.get('expected'));
      // The box says "I have read the errors"; without it nothing is imported.
      if (form.get('confirm') !== 'yes' || !Number.isInteger(expected) || expected < 1) return page('import.notPending');
      const outcome = await store.sql.transaction((tx) => importPendingRows(tx, { id, expected, at: iso() }));
      log.info({ importId: id, outcome: outcome.ok ? 'imported' : outcome.error }, 'good rows of a refused result file');
      return page(outcome.ok ? 'good.ok' : outcome.error);
    }
    if (action === 'discard') {
      const outcome = await store.sql.transaction((tx) => discardImport(tx, id));
      return page(outcome.ok ? 'discarded.ok' : outcome.error);
    }
    throw ctx.failure(404, 'not.found');
  });

  app.get('/dashboard/results/flagged', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const flagged = await store.sql.read((tx) => flaggedResults(tx, { limit: 1000 }));
    return ctx.page(reply, 200, renderFlaggedResults({ flagged }, { lang: ctx.langOf(req) }));
  });

  // ---- the admin API --------------------------------------------------------------------------

  function answerImport(reply: FastifyReply, outcome: FileImportOutcome): FastifyReply {
    if (outcome.kind === 'fileError') return reply.code(outcome.error === 'file.tooLarge' ? 413 : 400).send(fileErrorAnswer(outcome.error, outcome.detail));
    const answer = importAnswer(outcome);
    return reply.code(outcome.kind === 'refused' ? 422 : 200).send(outcome.kind === 'refused' ? { ...answer, error: 'results.rowErrors' } : answer);
  }

  app.post(HQ_PATHS.adminResultFiles, async (req, reply) => {
    ctx.requireAdmin(req);
    const q = req.query as Record<string, unknown>;
    const fileName = typeof q.fileName === 'string' && q.fileName ? path.basename(q.fileName).slice(0, 200) : 'results';
    const bytes = ctx.rawBody(req);
    if (bytes.length > MAX_RESULT_FILE_BYTES) return answerImport(reply, { kind: 'fileError', error: 'file.tooLarge', detail: `${MAX_RESULT_FILE_BYTES / 1024 / 1024} MiB` });
    const mode = q.goodRowsOnly === '1' || q.goodRowsOnly === 'true' ? 'goodRows' : 'all';
    const outcome = await importResultFile(store, { bytes, fileName, mode, keepPending: true, now: ctx.now() });
    logged(outcome, { source: 'admin', mode });
    return answerImport(reply, outcome);
  });

  app.get(`${HQ_PATHS.adminResultImports}/:id`, async (req, reply) => {
    ctx.requireAdmin(req);
    const { id } = req.params as { id: string };
    const q = req.query as Record<string, unknown>;
    const offset = Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0);
    const limit = Math.min(5_000, Math.max(1, Math.floor(Number(q.limit ?? 1000)) || 1000));
    const view = await store.sql.read(async (tx) => {
      const imp = await resultImport(tx, id);
      if (!imp) return null;
      const errors = await importErrors(tx, id, offset, limit);
      return { import: imp, errors: { total: errors.total, offset, rows: errors.rows.map(rowErrorAnswer) }, notReceived: await flaggedResults(tx, { importId: id, limit: 5_000 }) };
    });
    if (!view) throw ctx.failure(404, 'import.unknown');
    return reply.send(view);
  });

  app.post(`${HQ_PATHS.adminResultImports}/:id/good`, async (req, reply) => {
    ctx.requireAdmin(req);
    const { id } = req.params as { id: string };
    const { expected } = json(req, goodRowsSchema);
    const outcome = await store.sql.transaction((tx) => importPendingRows(tx, { id, expected, at: iso() }));
    log.info({ importId: id, outcome: outcome.ok ? 'imported' : outcome.error }, 'good rows of a refused result file');
    if (!outcome.ok) {
      const status = outcome.error === 'import.unknown' ? 404 : 409;
      return reply.code(status).send(outcome);
    }
    return reply.send({ ok: true, import: outcome.import });
  });

  app.post(`${HQ_PATHS.adminResultImports}/:id/discard`, async (req, reply) => {
    ctx.requireAdmin(req);
    const { id } = req.params as { id: string };
    const outcome = await store.sql.transaction((tx) => discardImport(tx, id));
    if (!outcome.ok) throw ctx.failure(outcome.error === 'import.unknown' ? 404 : 409, outcome.error);
    return reply.send({ ok: true });
  });

  app.get(HQ_PATHS.adminFlaggedResults, async (req, reply) => {
    ctx.requireAdmin(req);
    return reply.send({ flagged: await store.sql.read((tx) => flaggedResults(tx, { limit: 5_000 })) });
  });

  app.get(HQ_PATHS.adminLabTokens, async (req, reply) => {
    ctx.requireAdmin(req);
    return reply.send({ tokens: await store.sql.read((tx) => labTokens(tx)) });
  });

  app.post(HQ_PATHS.adminLabTokens, async (req, reply) => {
    ctx.requireAdmin(req);
    const { lab } = json(req, tokenIssueSchema);
    const outcome = await store.sql.transaction((tx) => issueLabToken(tx, { lab, at: iso() }));
    if (!outcome.ok) throw ctx.failure(400, outcome.error);
    log.info({ tokenId: outcome.labToken.id, lab: outcome.labToken.lab }, 'lab token issued');
    return reply.send({ ok: true, ...outcome.labToken, token: outcome.token });
  });

  app.post(`${HQ_PATHS.adminLabTokens}/revoke`, async (req, reply) => {
    ctx.requireAdmin(req);
    const { id } = json(req, tokenRevokeSchema);
    const outcome = await store.sql.transaction((tx) => revokeLabToken(tx, { id, at: iso() }));
    if (!outcome.ok) throw ctx.failure(404, outcome.error);
    log.warn({ tokenId: id, lab: outcome.labToken.lab }, 'lab token revoked');
    return reply.send({ ok: true, ...outcome.labToken });
  });

  // ---- a lab's system -------------------------------------------------------------------------

  app.post(HQ_PATHS.labResults, { bodyLimit: MAX_LAB_REQUEST_BYTES }, async (req, reply) => {
    const check = await store.sql.read((tx) => checkLabToken(tx, req.headers.authorization));
    if (!check.ok) {
      // Never the token itself: the reason, and whose it was when HQ knows.
      log.warn({ reason: check.reason, tokenId: check.tokenId ?? null, ip: req.ip }, 'lab results refused: no live lab token');
      reply.header('www-authenticate', 'Bearer realm="lab"');
      throw ctx.failure(401, 'lab.unauthorized', check.reason === 'revoked' ? 'token revoked' : undefined);
    }
    const token = check.labToken;
    const request = json(req, labResultsRequestSchema);
    if (request.lab !== token.lab) {
      log.warn({ tokenId: token.id, lab: token.lab }, 'lab results refused: the request names another lab');
      throw ctx.failure(403, 'lab.mismatch', `this token is for ${token.lab}`);
    }
    const outcome: ImportResultsOutcome = await importLabRequest(store, { token, request, now: ctx.now() });
    await store.sql.transaction((tx) => touchLabToken(tx, token.id, iso()));
    logged(outcome, { source: 'lab', tokenId: token.id, lab: token.lab, mode: request.goodRowsOnly ? 'goodRows' : 'all' });
    const summary = outcome.kind === 'imported' ? outcome.import : outcome.summary;
    const answer = {
      ok: outcome.kind !== 'refused',
      state: outcome.kind,
      importId: outcome.kind === 'imported' ? outcome.import.id : null,
      summary: {
        rows: summary.totalRows,
        imported: summary.imported,
        already: summary.already,
        duplicates: summary.duplicates,
        errors: summary.errors,
        notReceived: summary.notReceived,
        positives: summary.positives,
      },
      rows: rowAnswers(request, outcome.rows),
    };
    return reply.code(outcome.kind === 'refused' ? 422 : 200).send(outcome.kind === 'refused' ? { ...answer, error: 'results.rowErrors' } : answer);
  });

  return {
    async maintain() {
      const swept = await store.sql.transaction((tx) => sweepPendingImports(tx, new Date(ctx.now() - PENDING_KEEP_MS).toISOString()));
      if (swept > 0) log.info({ imports: swept }, 'good rows of refused result files kept a day: dropped');
    },
  };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value.slice(0, 200) : undefined;
}
