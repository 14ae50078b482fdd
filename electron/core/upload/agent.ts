import { setTimeout as sleep } from 'node:timers/promises';
import {
  HQ_PATHS,
  MAX_BATCH_RECORDS,
  MAX_FEED_LIMIT,
  ackSchema,
  feedResponseSchema,
  gapSchema,
  hqErrorSchema,
  isAckOf,
  parseExportKey,
  parseFeedItem,
  type FeedItem,
} from '../../../hq/protocol';
import type { RelinkReason, UploadFailureCode } from '../../api/upload';
import type { Writer } from '../db/writer';
import { createLogger } from '../log';
import { noEffects, type FeedApplier, type FeedEffects } from '../feed/feed';
import { DEFAULT_BACKOFF, retryDelay, type BackoffPolicy } from './backoff';
import { buildBatch, type BatchLimits, type FrozenBatch, type JournalReader } from './batch';
import { answerJson, type Exchange, type HqClient } from './client';
import type { HqLink, UploadStore } from './store';

const log = createLogger('upload');

export type AgentTuning = {
  backoff: BackoffPolicy;
  limits: BatchLimits;
  /** Frozen batches sent before the first of them is acknowledged (1: one at a time). */
  window: number;
  /** Per request, answer included. */
  timeoutMs: number;
  /** How often a caught-up agent looks for new journal entries. */
  idleMs: number;
  /** How often the feed is pulled while caught up, and at the latest while uploading. */
  feedIdleMs: number;
  feedEveryMs: number;
  feedLimit: number;
};

export const DEFAULT_TUNING: AgentTuning = {
  backoff: DEFAULT_BACKOFF,
  limits: { maxRecords: 5000, maxBytes: 4 * 1024 * 1024 },
  window: 2,
  timeoutMs: 30_000,
  idleMs: 1000,
  feedIdleMs: 10_000,
  feedEveryMs: 60_000,
  feedLimit: 500,
};

export type AgentDeps = {
  link: HqLink;
  client: HqClient;
  store: UploadStore;
  writer: Writer;
  reader: JournalReader;
  feed: FeedApplier;
  tuning: AgentTuning;
  now: () => Date;
  /** Called after anything staff may see changed (an ack, a failure, coming online). */
  onChange(): void;
  /** A page of feed items was applied and committed. */
  onFeed(effects: FeedEffects): void;
  /**
   * Work the feed asked for that takes its own requests (a roster version to fetch page by page).
   * Run in the background, one at a time, so uploads do not wait for it.
   */
  followFeed?(client: HqClient, signal: AbortSignal): Promise<void>;
};

/** Failures that say nothing came from HQ itself. */
const OFFLINE_FAILURES: ReadonlySet<UploadFailureCode> = new Set<UploadFailureCode>(['upload.offline', 'upload.timeout', 'upload.notHq', 'upload.hqBusy', 'upload.hqKeyUnknown', 'upload.hqKeyForged']);

type Step = { kind: 'progress' } | { kind: 'idle' } | { kind: 'retry'; retryAfterMs: number | null; quick?: boolean };

/** Refusals after which only a new link helps (`hq_link.relink_reason`); HQ's codes, or the agent's own. */
const RELINK_REASONS: ReadonlySet<string> = new Set<RelinkReason>(['station.revoked', 'station.unknown', 'signature.invalid', 'upload.hqKeyUnknown']);

function isRelinkReason(code: string): code is RelinkReason {
  return RELINK_REASONS.has(code);
}

/** What staff are told of an answer HQ's key did not vouch for. */
function unverifiedFailure(exchange: Extract<Exchange, { kind: 'unverified' }>): UploadFailureCode {
  if (exchange.reason === 'forgedRotation') return 'upload.hqKeyForged';
  if (exchange.reason === 'unknownKey') return 'upload.hqKeyUnknown';
  // A busy answer may be a proxy in front of HQ.
  return exchange.status === 429 || exchange.status >= 500 ? 'upload.hqBusy' : 'upload.notHq';
}

/**
 * One send of a frozen batch. `asHead`: sent when every record before it was acknowledged, so
 * what HQ answers about the sequence (a gap) is about this batch alone.
 */
type Sent = { batch: FrozenBatch; asHead: boolean; exchange: Promise<Exchange> };

/**
 * Ships the journal to HQ in frozen batches, in order. Up to `window` consecutive batches are
 * frozen and on their way at once, so HQ is storing one while the next arrives, but they are
 * settled strictly in order: the first is acknowledged (or retried, or rewound) before anything
 * after it counts. All network work is async and every database change is a small job on the
 * core's writer, so scanning at the desk never waits for the network.
 */
export class UploadAgent {
  online: boolean | null = null;
  lastFailure: { code: UploadFailureCode; hqError: string | null; at: string } | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private wake = new AbortController();
  private readonly abort = new AbortController();
  private maxRecords: number;
  private lastFeedAt = 0;
  private ahead: { afterSeq: number; maxRecords: number; headSeq: number; batch: Promise<FrozenBatch | null> } | null = null;
  private feedWanted = true;
  /** Requests of the frozen batches, by batch id; an answer waits here until its batch is first in line. */
  private readonly sent = new Map<string, Sent>();
  private readonly window: number;
  private following: Promise<void> | null = null;

  constructor(private readonly deps: AgentDeps) {
    this.maxRecords = Math.min(deps.tuning.limits.maxRecords, MAX_BATCH_RECORDS);
    this.window = Math.max(1, Math.floor(deps.tuning.window) || 1);
  }

  get clockOffsetMs(): number {
    return this.deps.client.clock.offsetMs;
  }

  get isRunning(): boolean {
    return this.running !== null && !this.stopped;
  }

  start(): void {
    if (this.running) return;
    this.running = this.loop();
  }

  /** Ends the current wait at once (new records, "sync now"). */
  kick(): void {
    this.feedWanted = true;
    this.wake.abort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake.abort();
    await this.running;
    await this.following;
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    let quickRetries = 0;
    while (!this.stopped) {
      let step: Step;
      try {
        step = await this.step();
      } catch (err) {
        if (this.stopped) break;
        log.error({ err }, 'upload step failed');
        step = { kind: 'retry', retryAfterMs: null };
      }
      if (this.stopped) break;
      if (step.kind === 'progress') {
        attempt = 0;
        quickRetries = 0;
        continue;
      }
      if (step.kind === 'retry' && step.quick && quickRetries < 3) {
        quickRetries++;
        continue;
      }
      const delay = step.kind === 'idle' ? this.deps.tuning.idleMs : retryDelay(this.deps.tuning.backoff, attempt++, step.retryAfterMs);
      if (step.kind === 'idle') {
        attempt = 0;
        quickRetries = 0;
      }
      await this.pause(delay);
    }
  }

  private async pause(ms: number): Promise<void> {
    if (this.wake.signal.aborted) this.wake = new AbortController();
    try {
      await sleep(ms, undefined, { signal: this.wake.signal });
    } catch {
      // woken early
    }
  }

  private async step(): Promise<Step> {
    // While a long backlog uploads, results still arrive now and then.
    if (Date.now() - this.lastFeedAt >= this.deps.tuning.feedEveryMs) await this.pullFeed();
    const chain = await this.fillWindow();
    const head = chain[0];
    if (!head || this.stopped) {
      if (this.feedWanted || Date.now() - this.lastFeedAt >= this.deps.tuning.feedIdleMs) await this.pullFeed();
      return { kind: 'idle' };
    }
    const { ackedThrough } = this.deps.store.state();
    for (const batch of chain) if (!this.sent.has(batch.batchId)) this.launch(batch, batch.fromSeq === ackedThrough + 1);
    // While HQ works on these, the batch after them is read and compressed; it is frozen only when there is room.
    this.readAhead(chain[chain.length - 1]!.toSeq);
    const sent = this.sent.get(head.batchId)!;
    const exchange = await sent.exchange;
    this.sent.delete(head.batchId);
    if (this.stopped) return { kind: 'idle' };
    return this.settle(sent, exchange, chain);
  }

  /** The frozen batches, after freezing more until the window is full or the journal ends. */
  private async fillWindow(): Promise<FrozenBatch[]> {
    const chain = this.deps.store.frozen();
    while (chain.length < this.window && !this.stopped) {
      const after = chain.length > 0 ? chain[chain.length - 1]!.toSeq : this.deps.store.state().ackedThrough;
      const batch = (await this.takeAhead(after)) ?? (await this.prepare(after));
      if (!batch || this.stopped) break;
      const at = this.deps.now().toISOString();
      // The database decides: a batch that no longer follows on (cannot happen with one agent) is not frozen.
      if (!(await this.deps.writer.run(() => this.deps.store.freeze(batch, at)))) break;
      chain.push(batch);
    }
    // Requests of batches dropped since (a rewind, a smaller size) are no longer waited for.
    const frozen = new Set(chain.map((b) => b.batchId));
    for (const id of this.sent.keys()) if (!frozen.has(id)) this.sent.delete(id);
    return chain;
  }

  private launch(batch: FrozenBatch, asHead: boolean): void {
    const exchange = this.deps.client.send(
      'POST',
      HQ_PATHS.batches,
      batch.body,
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      this.abort.signal,
    );
    this.sent.set(batch.batchId, { batch, asHead, exchange });
  }

  /** Reads and compresses the batch after `afterSeq` (not yet frozen: nothing is stored). */
  private async prepare(afterSeq: number): Promise<FrozenBatch | null> {
    const read = await this.deps.reader.readSliced(afterSeq, { maxRecords: this.maxRecords, maxBytes: this.deps.tuning.limits.maxBytes });
    return read ? buildBatch(this.deps.link.stationId, this.deps.reader.headSeq(), read) : null;
  }

  private readAhead(afterSeq: number): void {
    if (this.ahead && this.ahead.afterSeq === afterSeq && this.ahead.maxRecords === this.maxRecords) return;
    const headSeq = this.deps.reader.headSeq();
    this.ahead = headSeq > afterSeq ? { afterSeq, maxRecords: this.maxRecords, headSeq, batch: this.prepare(afterSeq).catch(() => null) } : null;
  }

  /** The batch read ahead after `afterSeq`, when it is still what would be read now. */
  private async takeAhead(afterSeq: number): Promise<FrozenBatch | null> {
    const ahead = this.ahead;
    this.ahead = null;
    const usable = ahead && ahead.afterSeq === afterSeq && ahead.maxRecords === this.maxRecords;
    const batch = usable ? await ahead.batch : null;
    // Read ahead when the journal ended there, and it has grown since (HQ was away for hours): read again.
    if (batch && batch.toSeq === ahead?.headSeq && this.deps.reader.headSeq() > batch.toSeq) return null;
    return batch;
  }

  /** What the answer to the first batch in line means; `chain` is every frozen batch, that one first. */
  private async settle(sent: Sent, exchange: Exchange, chain: readonly FrozenBatch[]): Promise<Step> {
    const { batch, asHead } = sent;
    if (exchange.kind === 'network') {
      // Sent behind a batch that was not yet acknowledged: send it again now that it is first.
      if (!asHead) return { kind: 'progress' };
      return this.fail(exchange.reason === 'timeout' ? 'upload.timeout' : 'upload.offline', null, null);
    }
    if (exchange.kind === 'unverified') {
      // Not HQ's word, whatever it says: nothing is acknowledged.
      if (!asHead) return { kind: 'progress' };
      return this.fail(unverifiedFailure(exchange), null, exchange.retryAfterMs);
    }
    const json = answerJson(exchange);

    if (exchange.status === 200 && isAckOf(json, { batchId: batch.batchId, stationId: this.deps.link.stationId })) {
      const ack = ackSchema.parse(json);
      this.learnClock(exchange);
      // HQ may hold more than this batch; the station only counts what it sent in it as acknowledged.
      const through = Math.min(ack.ackedThrough, batch.toSeq);
      const rejections = ack.rejections.filter((r) => r.seq >= batch.fromSeq && r.seq <= through);
      const at = this.deps.now().toISOString();
      // The batch read ahead is frozen in the ack's own transaction (one commit, and atomic: a restart
      // finds either this batch still frozen or it acknowledged and the next one frozen).
      const last = chain[chain.length - 1]!;
      const room = through === batch.toSeq && chain.length - 1 < this.window && !this.stopped;
      const next = room ? await this.takeAhead(last.toSeq) : null;
      await this.deps.writer.run(() => {
        this.deps.store.acknowledge(batch, through, rejections, at);
        if (next) this.deps.store.freeze(next, at);
        if (exchange.held) this.deps.store.saveHeld(exchange.held);
        this.deps.store.clearRelink(this.deps.link.publicKey);
      });
      if (rejections.length > 0) log.warn({ batchId: batch.batchId, rejected: rejections.length }, 'HQ rejected records');
      this.online = true;
      this.lastFailure = null;
      this.deps.onChange();
      return { kind: 'progress' };
    }

    // HQ answers a gap when it lacks records before the batch: it can only ask for earlier records,
    // never later ones. A "gap" past the batch's start would count unsent records as stored.
    const gap = exchange.status === 409 ? gapSchema.safeParse(json) : null;
    if (gap?.success && gap.data.expectedSeq <= batch.fromSeq) {
      this.learnClock(exchange);
      // HQ had not yet stored the batch before it: that one is acknowledged now, so send this again.
      if (!asHead) return { kind: 'progress' };
      const expected = Math.min(gap.data.expectedSeq, this.deps.store.headSeq() + 1);
      log.warn({ batchId: batch.batchId, fromSeq: batch.fromSeq, expectedSeq: gap.data.expectedSeq }, 'HQ expects another sequence');
      await this.deps.writer.run(() => this.deps.store.rewind(expected));
      this.sent.clear();
      this.online = true;
      this.deps.onChange();
      return { kind: 'progress' };
    }

    const hqError = exchange.status >= 400 && exchange.status < 500 ? hqErrorSchema.safeParse(json) : null;
    if (hqError?.success) {
      const { error, hqTime } = hqError.data;
      this.online = true;
      if (hqTime !== undefined) this.persistClock(this.deps.client.clock.learnExact(hqTime, exchange.sentAt, exchange.receivedAt));
      else this.learnClock(exchange);
      if (error === 'body.tooLarge' || exchange.status === 413) {
        this.maxRecords = Math.max(1, Math.floor(batch.recordCount / 2));
        await this.deps.writer.run(() => this.deps.store.discardFrom(batch.fromSeq));
        return this.fail('upload.batchTooLarge', error, null, true);
      }
      if (!asHead) return { kind: 'progress' };
      // Too many requests: HQ says how long to wait, as when it is busy.
      if (exchange.status === 429) return this.fail('upload.hqBusy', error, exchange.retryAfterMs);
      if (error === 'timestamp.stale') return this.fail('upload.clockRejected', error, null, true);
      // Our signature of an earlier attempt reached HQ twice (a duplicating network): sign anew.
      if (error === 'request.replayed') return this.fail('upload.hqRefused', error, null, true);
      return this.fail('upload.hqRefused', error, exchange.retryAfterMs);
    }

    if (!asHead) return { kind: 'progress' };
    if (exchange.status === 429 || exchange.status >= 500) return this.fail('upload.hqBusy', null, exchange.retryAfterMs);
    // Signed by HQ but not an answer this station understands: nothing is acknowledged.
    return this.fail('upload.notHq', null, exchange.retryAfterMs);
  }

  /**
   * What HQ says, in a signed answer, it holds of this journal. Less than was acknowledged when the
   * request was sent (`ackedAtSend`) means HQ lost records (a restored backup, an ack that was
   * lost or forged): they are sent again from there, even when nothing new waits. Kept, it also
   * says how far HQ holds this very chain (what retention may purge).
   */
  private async noteHeld(exchange: Exchange, ackedAtSend: number): Promise<void> {
    if (exchange.kind !== 'answer' || exchange.held === null) return;
    const held = exchange.held;
    const rewind = held.through < ackedAtSend;
    await this.deps.writer.run(() => {
      // Re-read inside the job: only a point still believed is moved back.
      if (rewind && this.deps.store.state().ackedThrough > held.through) this.deps.store.rewind(held.through + 1);
      this.deps.store.saveHeld(held);
    });
    if (!rewind) return;
    log.warn({ ackedThrough: ackedAtSend, hqHolds: held.through }, 'HQ holds less than it acknowledged: sending again from there');
    this.sent.clear();
    this.ahead = null;
    this.deps.onChange();
  }

  /** Only from answers known to be HQ's: a portal's clock says nothing about HQ's. */
  private learnClock(exchange: Exchange): void {
    if (exchange.kind !== 'answer') return;
    const clock = this.deps.client.clock;
    if (exchange.hqTimeMs !== null) this.persistClock(clock.learnExact(exchange.hqTimeMs, exchange.sentAt, exchange.receivedAt));
    else if (exchange.dateMs !== null) this.persistClock(clock.learnFromDate(exchange.dateMs, exchange.sentAt, exchange.receivedAt));
  }

  private persistClock(changed: boolean): void {
    if (!changed) return;
    const offset = this.deps.client.clock.offsetMs;
    log.info({ offsetMs: offset }, 'clock offset to HQ');
    void this.deps.writer.run(() => this.deps.store.saveClockOffset(offset)).catch(() => undefined);
  }

  private async fail(code: UploadFailureCode, hqError: string | null, retryAfterMs: number | null, quick = false): Promise<Step> {
    const at = this.deps.now().toISOString();
    const wasOnline = this.online;
    const changed = this.lastFailure?.code !== code || this.lastFailure.hqError !== hqError;
    // Only an answer HQ itself gave (a refusal with its error code) means the station is online.
    if (OFFLINE_FAILURES.has(code)) this.online = false;
    this.lastFailure = { code, hqError, at };
    log.warn({ code, hqError }, 'upload attempt failed');
    const reason = hqError ?? code;
    await this.deps.writer.run(() => {
      this.deps.store.recordFailure(reason, at);
      if (isRelinkReason(reason)) this.deps.store.markRelink(reason, at, this.deps.link.publicKey);
    });
    if (changed || wasOnline !== this.online) this.deps.onChange();
    return { kind: 'retry', retryAfterMs, quick };
  }

  private async pullFeed(): Promise<void> {
    this.lastFeedAt = Date.now();
    this.feedWanted = false;
    for (;;) {
      const { feedCursor } = this.deps.store.state();
      const limit = Math.min(this.deps.tuning.feedLimit, MAX_FEED_LIMIT);
      const query = `${HQ_PATHS.feed}?after=${feedCursor}&limit=${limit}&head=${this.deps.store.headSeq()}`;
      const ackedAtSend = this.deps.store.state().ackedThrough;
      const exchange = await this.deps.client.send('GET', query, Buffer.alloc(0), {}, this.abort.signal);
      if (this.stopped) return;
      if (exchange.kind === 'unverified') {
        // Nothing of it is applied; staff see it counted (`refusedAnswers`).
        await this.fail(unverifiedFailure(exchange), null, null);
        return;
      }
      await this.noteHeld(exchange, ackedAtSend);
      const feed = exchange.kind === 'answer' && exchange.status === 200 ? feedResponseSchema.safeParse(answerJson(exchange)) : null;
      if (!feed?.success) {
        // The feed can wait for the next round; batches must not wait for it.
        log.warn({ status: exchange.kind === 'answer' ? exchange.status : exchange.reason }, 'feed pull failed');
        if (exchange.kind === 'answer') {
          const err = hqErrorSchema.safeParse(answerJson(exchange));
          if (err.success && err.data.hqTime !== undefined) {
            this.persistClock(this.deps.client.clock.learnExact(err.data.hqTime, exchange.sentAt, exchange.receivedAt));
            this.feedWanted = true;
          }
          // HQ refused this link for good (revoked, unknown, another key): staff are told even with nothing to upload.
          if (err.success && isRelinkReason(err.data.error) && this.lastFailure?.hqError !== err.data.error) await this.fail('upload.hqRefused', err.data.error, null);
        }
        return;
      }
      this.learnClock(exchange);
      const items: FeedItem[] = [];
      for (const raw of feed.data.items) {
        if (raw.cursor <= feedCursor) continue;
        const checked = parseFeedItem(raw);
        // One item this station cannot read (a kind from a newer HQ, a malformed payload) is passed over, not fatal.
        if (checked.ok) items.push(checked.item);
        else log.warn({ cursor: checked.cursor, kind: checked.kind, detail: checked.detail }, 'feed item skipped');
      }
      items.sort((a, b) => a.cursor - b.cursor);
      const next = Math.max(feedCursor, feed.data.nextCursor, ...feed.data.items.map((i) => i.cursor));
      const at = this.deps.now().toISOString();
      const exportKey = parseExportKey(feed.data.exportKey) ? feed.data.exportKey : undefined;
      const effects = await this.deps.writer.run(() => {
        const applied = items.length > 0 ? this.deps.feed.apply(items, at) : noEffects();
        this.deps.store.saveFeedCursor(next, at);
        // After HQ changed its keys the page carries the new export key: new export files are written to it.
        if (exportKey) this.deps.store.saveExportKey(exportKey);
        this.deps.store.clearRelink(this.deps.link.publicKey);
        return applied;
      });
      if (!this.online || effects.siteRejected) {
        this.online = true;
        this.deps.onChange();
      }
      this.deps.onFeed(effects);
      // HQ cuts a page short on bytes as well as items: only an empty page says the feed is read.
      if (feed.data.items.length === 0 || next === feedCursor) break;
    }
    if (this.deps.followFeed && !this.following && !this.stopped) {
      this.following = this.deps
        .followFeed(this.deps.client, this.abort.signal)
        .catch((err: unknown) => log.warn({ err }, 'following the feed failed; tried again after the next pull'))
        .finally(() => {
          this.following = null;
        });
    }
  }
}
