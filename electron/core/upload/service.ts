import { HQ_PATHS, hqKeyFingerprint, parseExportKey, parseHqKey, rosterPageSchema, siteDayAnswerSchema, type SiteDayAnswer } from '../../../hq/protocol';
import type { JournalCheckView, UploadStatus } from '../../api/upload';
import { checkJournalFile } from '../journal';
import type { RosterPageRows } from '../roster/roster';
import type { CoreContext } from '../context';
import { DomainError } from '../errors';
import { noEffects, type FeedApplier, type FeedEffects } from '../feed/feed';
import { createLogger } from '../log';
import { ResultsDesk } from '../results/results';
import type { SiteIdentity } from '../site/identity';
import { DEFAULT_TUNING, UploadAgent, type AgentTuning } from './agent';
import { JournalReader } from './batch';
import { answerJson, HqClient } from './client';
import { HqClock } from './clock';
import { enrollAtHq, takeEnrollmentLock } from './enroll';
import { loadPrivateKey } from './keys';
import { UploadStore } from './store';

const log = createLogger('upload');

export type UploadOptions = {
  /** Run the upload agent (hosts ask for it; plain unit tests do not). */
  start?: boolean;
  /** Overrides the HQ address stored at enrollment (a relay, a test's proxy). */
  hqUrl?: string;
  tuning?: Partial<AgentTuning>;
};

export type UploadServiceDeps = CoreContext & {
  /** Routes feed items to the domains that own them. */
  feed: FeedApplier;
  /** Where HQ's word on this station's site, number and name is stored. */
  siteIdentity: SiteIdentity;
  onStatus(status: UploadStatus): void;
  /** A page of the feed is applied and committed: the core acts on what changed. */
  onFeed(effects: FeedEffects): void;
  /** Fetches a roster version the feed announced, through the given page source. */
  receiveRoster(fetchPage: (importId: string, after: number, limit: number) => Promise<RosterPageRows | null>): Promise<void>;
  /** After each feed pull: the site's counts of a day (the report's "this site"), through the given fetch. */
  receiveSiteDay?(fetchDay: (day: string) => Promise<SiteDayAnswer | null>): Promise<void>;
};

/** How often, at most, staff's status indicator is told about upload progress. */
const STATUS_EVERY_MS = 250;
/**
 * How often a station that is not enrolled yet looks whether it has been, and a running one
 * whether it was linked again (by `station enroll` in another process).
 */
const ENROLL_WATCH_MS = 5000;

/** Plain HTTP to anything but this computer: readable (not forgeable: answers are signed) on the way. */
export function insecureTransport(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:') return false;
  return !(hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname));
}

/** Enrollment, the upload agent's life, and the status staff see. */
export class UploadService {
  readonly store: UploadStore;
  readonly results: ResultsDesk;
  private agent: UploadAgent | null = null;
  private reader: JournalReader | null = null;
  private wantRunning = false;
  private statusTimer: NodeJS.Timeout | null = null;
  private enrollWatch: NodeJS.Timeout | null = null;
  private closed = false;
  private client: HqClient | null = null;
  private journalCheck: JournalCheckView | null = null;
  /** The station key of the link the agent runs with: another one in the database means it was linked again. */
  private linkKey: string | null = null;
  private restarting: Promise<void> | null = null;
  /** This process is enrolling: the link changes under its own hand, not another process's. */
  private enrolling = false;
  private checking: Promise<JournalCheckView> | null = null;

  constructor(
    private readonly deps: UploadServiceDeps,
    private readonly options: UploadOptions = {},
  ) {
    this.store = new UploadStore(deps.db);
    this.results = new ResultsDesk(deps.db, deps.journal, deps.identity, deps.operatorId, deps.now);
    deps.feed.register(this.results.feedHandlers());
  }

  status(): UploadStatus {
    const link = this.store.link();
    const state = this.store.state();
    const headSeq = this.store.headSeq();
    const failure = this.agent?.lastFailure ?? null;
    const hqKey = link?.hqPublicKey ? parseHqKey(link.hqPublicKey) : null;
    const refused = this.client?.refused ?? null;
    return {
      enrolled: link !== null,
      hq: link ? { url: this.options.hqUrl ?? link.hqUrl, stationId: link.stationId, siteName: link.siteName } : null,
      online: this.agent?.online ?? null,
      running: this.agent?.isRunning ?? false,
      headSeq,
      ackedThrough: state.ackedThrough,
      waiting: Math.max(0, headSeq - state.ackedThrough),
      lastSuccessAt: state.lastSuccessAt,
      lastFailure: failure,
      clockOffsetMs: this.agent ? this.agent.clockOffsetMs : state.clockOffsetMs,
      rejectionCount: this.store.rejectionCount(),
      rejections: this.store.rejections(20),
      openRetests: this.results.openCount(),
      siteConfigRejection: this.results.siteConfigRejection(),
      hqFingerprint: hqKey ? hqKeyFingerprint(hqKey.export({ format: 'der', type: 'spki' })) : null,
      insecureTransport: link ? insecureTransport(this.options.hqUrl ?? link.hqUrl) : false,
      refusedAnswers: refused ? { count: refused.count, at: new Date(refused.at).toISOString() } : null,
      confirmedThrough: state.confirmedThrough,
      journal: this.journalCheck,
      relink: link?.relinkReason && link.relinkSince ? { reason: link.relinkReason, since: link.relinkSince } : null,
    };
  }

  /**
   * Checks the journal's hash chain on a connection of its own, a slice at a time (the desk keeps
   * working); one check at a time, a second caller waits for the one running.
   */
  async verifyJournal(): Promise<JournalCheckView> {
    this.checking ??= checkJournalFile(this.deps.db.name, this.deps.dataKey, this.deps.now)
      .then((check) => {
        const view: JournalCheckView = { ok: check.ok, checked: check.checked, problem: check.problem, at: check.at };
        if (check.ok) log.info({ checked: check.checked }, 'journal chain holds');
        else log.error({ problem: check.problem }, 'journal chain broken: an entry was changed, removed or moved');
        this.journalCheck = view;
        if (!this.closed) this.deps.onStatus(this.status());
        return view;
      })
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  /** Starts the agent now if enrolled, else as soon as enrollment succeeds. */
  start(): void {
    if (!this.wantRunning) void this.verifyJournal().catch((err: unknown) => log.error({ err }, 'journal check failed'));
    this.wantRunning = true;
    // Enrolled or linked again from another process (`station enroll` while the app runs): noticed within seconds.
    this.enrollWatch ??= setInterval(() => void this.followLink(), ENROLL_WATCH_MS).unref();
    if (this.agent || this.closed) return;
    const link = this.store.link();
    if (!link) return;
    const tuning: AgentTuning = { ...DEFAULT_TUNING, ...this.options.tuning };
    const clock = new HqClock(this.store.state().clockOffsetMs);
    const baseUrl = this.options.hqUrl ?? link.hqUrl;
    if (insecureTransport(baseUrl)) log.warn({ hq: new URL(baseUrl).host }, 'HQ is reached over plain HTTP on a network address: what is sent can be read on the way');
    const client = new HqClient({
      baseUrl,
      stationId: link.stationId,
      privateKey: loadPrivateKey(this.deps.dataDir),
      clock,
      timeoutMs: tuning.timeoutMs,
      hqKey: link.hqPublicKey ? parseHqKey(link.hqPublicKey) : null,
      onFirstKey: (key) =>
        void this.deps.writer
          .run(() => this.store.saveHqKey(key))
          .then(() => this.statusChanged())
          .catch((err: unknown) => log.error({ err }, 'HQ’s key not kept; taken again from its next answer')),
      // Kept at once: a restart goes on trusting the new key only (the old one is not vouched for again once HQ retires it).
      onKeyRotated: (key, previous) =>
        void this.deps.writer
          .run(() => this.store.saveRotatedHqKey(key, previous))
          .then(() => this.statusChanged())
          .catch((err: unknown) => log.error({ err }, 'HQ’s new key not kept; taken again from its next answer while HQ still vouches for it')),
    });
    this.linkKey = link.publicKey;
    this.client = client;
    this.reader = new JournalReader(this.deps.db.name, this.deps.dataKey);
    this.agent = new UploadAgent({
      link,
      client,
      store: this.store,
      writer: this.deps.writer,
      reader: this.reader,
      feed: this.deps.feed,
      tuning,
      now: this.deps.now,
      onChange: () => this.statusChanged(),
      onFeed: (effects) => this.deps.onFeed(effects),
      followFeed: async (hq, signal) => {
        await this.deps.receiveRoster(async (importId, after, limit) => {
          const exchange = await hq.send('GET', `${HQ_PATHS.roster}/${importId}?after=${after}&limit=${limit}`, Buffer.alloc(0), {}, signal);
          if (exchange.kind !== 'answer' || exchange.status !== 200) return null;
          const page = rosterPageSchema.safeParse(answerJson(exchange));
          return page.success && page.data.importId === importId ? { total: page.data.total, rows: page.data.rows } : null;
        });
        await this.deps.receiveSiteDay?.(async (day) => {
          const exchange = await hq.send('GET', `${HQ_PATHS.siteDay}?day=${day}`, Buffer.alloc(0), {}, signal);
          if (exchange.kind !== 'answer' || exchange.status !== 200) return null;
          const answer = siteDayAnswerSchema.safeParse(answerJson(exchange));
          return answer.success && answer.data.day === day ? answer.data : null;
        });
      },
    });
    this.agent.start();
    log.info({ hqStationId: link.stationId }, 'upload agent started');
  }

  /** Starts the agent once a link exists, and starts it again on a link made again elsewhere. */
  private async followLink(): Promise<void> {
    if (this.closed || this.restarting || this.enrolling) return;
    const link = this.store.link();
    if (!link) return;
    if (!this.agent) return this.start();
    if (link.publicKey === this.linkKey) return;
    log.info({ hqStationId: link.stationId }, 'linked to HQ again elsewhere: the upload agent starts again on the new link');
    await this.restart();
  }

  private async restart(): Promise<void> {
    this.restarting ??= (async () => {
      await this.agent?.stop();
      this.agent = null;
      this.reader?.close();
      this.reader = null;
      if (this.wantRunning && !this.closed) this.start();
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  syncNow(): UploadStatus {
    if (!this.store.link()) throw new DomainError('upload.notEnrolled');
    this.agent?.kick();
    return this.status();
  }

  /**
   * Links this station to HQ with a one-time code; a linked station only when its link must be made
   * again (`relink`: HQ revoked it, or its answers come signed by a key it cannot trust). Linked
   * again, the station keeps every record: the code is a re-link code HQ made for this very station,
   * which keeps its id, so HQ keeps what it acknowledged and the rest of the journal follows.
   */
  async enroll(args: { hqUrl: string; code: string; stationName?: string }): Promise<UploadStatus> {
    const link = this.store.link();
    if (link && !link.relinkReason) throw new DomainError('upload.alreadyEnrolled');
    const lock = takeEnrollmentLock(this.deps.dataDir);
    this.enrolling = true;
    try {
      return await this.enrollLocked(args);
    } finally {
      this.enrolling = false;
      lock.release();
    }
  }

  /** Under the enrollment lock: only one key is ever made, sent and kept per link. */
  private async enrollLocked(args: { hqUrl: string; code: string; stationName?: string }): Promise<UploadStatus> {
    // Another enrollment (another process) may have finished between the first look and the lock.
    const before = this.store.link();
    if (before && !before.relinkReason) throw new DomainError('upload.alreadyEnrolled');
    const enrolled = await enrollAtHq({
      dataDir: this.deps.dataDir,
      hqUrl: args.hqUrl,
      code: args.code,
      stationName: args.stationName ?? this.deps.identity.station.name,
      localStationId: this.deps.identity.station.id,
      ...(before ? { previousStationId: before.stationId } : {}),
    });
    const enrolledAt = this.deps.now().toISOString();
    const link = {
      hqUrl: new URL(args.hqUrl).origin,
      stationId: enrolled.stationId,
      siteId: enrolled.siteId,
      siteName: enrolled.siteName,
      publicKey: enrolled.publicKey,
      enrolledAt,
      hqPublicKey: enrolled.hqPublicKey,
      hqExportKey: parseExportKey(enrolled.exportKey) ? enrolled.exportKey! : null,
    };
    // The agent on the link before signs with a key HQ no longer takes: it stops, and starts again on the new link.
    if (before) await this.stop();
    // The link and the station's place in the site (number, name) are stored together.
    const identity = await this.deps.writer.run(() => {
      if (before) this.store.relink(link, before.stationId === enrolled.stationId);
      else this.store.saveLink(link);
      return this.deps.siteIdentity.adopt(
        { siteId: enrolled.siteId, siteName: enrolled.siteName, number: enrolled.stationNumber, name: enrolled.stationName },
        enrolledAt,
      );
    });
    if (identity) this.deps.onFeed({ ...noEffects(), identity });
    if (before) log.warn({ hqStationId: enrolled.stationId, before: before.stationId, reason: before.relinkReason }, 'station linked to HQ again');
    else log.info({ hqStationId: enrolled.stationId, siteId: enrolled.siteId }, 'station enrolled');
    if (this.wantRunning) this.start();
    const status = this.status();
    this.deps.onStatus(status);
    return status;
  }

  /** Tells staff's screens, at most every STATUS_EVERY_MS, that upload progress changed. */
  private statusChanged(): void {
    if (this.statusTimer || this.closed) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (!this.closed) this.deps.onStatus(this.status());
    }, STATUS_EVERY_MS);
    this.statusTimer.unref();
  }

  /** Stops the agent and waits for its current step to end. */
  async stop(): Promise<void> {
    if (this.enrollWatch) clearInterval(this.enrollWatch);
    this.enrollWatch = null;
    await this.agent?.stop();
    this.agent = null;
    this.reader?.close();
    this.reader = null;
  }

  /** For the core's synchronous close: the agent stops at its next await and touches nothing after. */
  close(): void {
    this.closed = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    if (this.enrollWatch) clearInterval(this.enrollWatch);
    void this.agent?.stop();
    this.agent = null;
    this.reader?.close();
    this.reader = null;
  }
}
