import { EventEmitter } from 'node:events';
import path from 'node:path';
import {
  argSchemas,
  type ApiError,
  type ArgsOf,
  type Capacity,
  type EventName,
  type Events,
  type Method,
  type Result,
  type ValueOf,
} from '../api/contract';
import type { DeviceHandlers, DeviceMode } from '../api/devices';
import { EVENT_ACCESS, METHOD_ACCESS, type OperatorHandlers } from '../api/operators';
import type { LabelHandlers } from '../api/labels';
import type { CoverageHandlers } from '../api/coverage';
import type { ReportHandlers } from '../api/reports';
import type { RosterHandlers } from '../api/roster';
import type { RoundHandlers } from '../api/rounds';
import type { UploadHandlers } from '../api/upload';
import type { GateHandlers } from '../api/gate';
import type { SentinelHandlers } from '../api/sentinel';
import type { PassHandlers } from '../api/passes';
import type { IsolationHandlers } from '../api/isolation';
import type { WireEvent } from '../api/wire';
import type { CoreContext } from './context';
import type { DataKey } from './db/cipher';
import { classifyStorageError, encryptPlainDataFolder, openDatabase, type StationDatabase } from './db/database';
import { DataFolderInUseError, DataFolderLock } from './db/folder-lock';
import { Writer } from './db/writer';
import { DomainError } from './errors';
import { Journal } from './journal';
import { createLogger } from './log';
import { Coverage } from './coverage/coverage';
import { coverageHandlers } from './coverage/handlers';
import { reportHandlers } from './reports/handlers';
import { Reports } from './reports/reports';
import { FeedApplier, type FeedEffects } from './feed/feed';
import { rosterHandlers } from './roster/handlers';
import { Roster } from './roster/roster';
import { roundHandlers } from './rounds/handlers';
import { Rounds } from './rounds/rounds';
import { SamplingDesk } from './sampling/desk';
import { ScanRouter } from './scan/router';
import { ensureStation, type StationIdentity } from './site/bootstrap';
import { SiteIdentity } from './site/identity';
import { deviceHandlers } from './devices/handlers';
import { DeviceManager, type DeviceManagerOptions } from './devices/manager';
import { labelHandlers } from './labels/handlers';
import { operatorHandlers } from './operators/handlers';
import { Operators } from './operators/operators';
import { Session } from './operators/session';
import { LabelService } from './labels/service';
import { uploadHandlers } from './upload/handlers';
import { UploadService, type UploadOptions } from './upload/service';
import { Retention } from './retention/retention';
import { Gate } from './gate/gate';
import { gateHandlers } from './gate/handlers';
import { sentinelHandlers, sentinelView } from './gate/sentinel';
import { GateRecords } from './gate/records';
import { Vehicles } from './gate/vehicles';
import { Visitors } from './gate/visitors';
import { PersonRegistry } from './person/registry';
import { Passes } from './passes/passes';
import { passHandlers } from './passes/handlers';
import { Isolation } from './isolation/isolation';
import { isolationHandlers } from './isolation/handlers';
import { personKey } from './person/key';
import { Boxes } from './boxes/boxes';
import { boxHandlers } from './boxes/handlers';
import type { BoxHandlers } from '../api/boxes';
import { Doors } from './doors/doors';
import { doorHandlers } from './doors/handlers';
import type { DoorHandlers } from '../api/doors';

const log = createLogger('core');

export type CoreOptions = {
  /** The station's data folder; the database is `station.db` inside it. */
  dataDir: string;
  /**
   * The key the folder's files are encrypted with (`db/cipher.ts`), unlocked by the host
   * (`core/vault`): the core never decides how it is kept.
   */
  dataKey: DataKey;
  now?: () => Date;
  /** The HQ upload agent; it runs only when `upload.start` is set (hosts set it, plain unit tests do not). */
  upload?: UploadOptions;
  /** Which devices to open; without it, the stored `devices` setting decides (default real). */
  devices?: DeviceMode;
  /** Device manager internals for tests (a fake node-hid, reconnect timing). */
  deviceOptions?: Omit<DeviceManagerOptions, 'mode'>;
  /**
   * Refuse to open (`DataFolderInUseError`) when another Station holds the data folder
   * (`station roster import`), as a core that runs the station (`upload.start`: the app,
   * `station serve`) always does. A core with neither opens beside a running Station
   * (`station enroll`, `station label`) and leaves the start-up work to it: interrupted imports,
   * roster rows to journal, marks to make again.
   */
  exclusive?: boolean;
};

/** What each command does, given validated arguments. A thrown DomainError is a refusal. */
export type HandlerImpl = { [M in Method]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/**
 * The core: owns the database, the writer and the domain services, and exposes the one typed
 * API (commands + events). Host-neutral: the kiosk host, the Electron utility process, tests
 * and the CLI all drive it through `call` and `subscribe`.
 */
export class StationCore {
  readonly db: StationDatabase;
  readonly journal: Journal;
  readonly writer: Writer;
  readonly identity: StationIdentity;
  readonly desk: SamplingDesk;
  readonly upload: UploadService;
  /** Purges personal data past the site's retention period (started with the upload agent). */
  readonly retention: Retention;
  readonly devices: DeviceManager;
  readonly labels: LabelService;
  // What the feed writes is the station's own work on HQ's word, whoever is signed in.
  readonly feed = new FeedApplier((fn) => this.session.asStation(fn));
  readonly operators: Operators;
  /** Who is signed in; the core checks their role on every call (`METHOD_ACCESS`). */
  readonly session: Session;
  readonly siteIdentity: SiteIdentity;
  readonly rounds: Rounds;
  readonly roster: Roster;
  readonly coverage: Coverage;
  readonly gate: Gate;
  readonly visitors: Visitors;
  readonly vehicles: Vehicles;
  /** Resident passes (出入证): issued here or at the site's other stations, checked at the gate. */
  readonly passes: Passes;
  /** Home isolation: households and people in isolation, their schedules, readings. */
  readonly isolation: Isolation;
  /** Boxes of this station's sealed tubes and their hand-over to a transporter. */
  readonly boxes: Boxes;
  /** Door to door: groups, their households, and visits sampled on the desk's tubes. */
  readonly doors: Doors;
  readonly reports: Reports;
  private currentRouter: ScanRouter;
  /** The data folder's lock, or null when another Station holds it (this core then does no start-up work). */
  private readonly lock: DataFolderLock | null;
  private readonly events = new EventEmitter();
  private readonly handlers: HandlerImpl;
  private closed = false;

  constructor(options: CoreOptions) {
    const now = options.now ?? (() => new Date());
    this.lock = DataFolderLock.tryTake(options.dataDir);
    if (!this.lock && (options.exclusive || options.upload?.start)) throw new DataFolderInUseError(options.dataDir, DataFolderLock.holder(options.dataDir));
    try {
      // Files from before encryption at rest are encrypted by the one Station that holds the folder.
      if (this.lock) encryptPlainDataFolder(options.dataDir, options.dataKey);
      this.db = openDatabase(path.join(options.dataDir, 'station.db'), options.dataKey);
    } catch (err) {
      this.lock?.release();
      throw err;
    }
    this.journal = new Journal(this.db);
    this.writer = new Writer(this.db);
    this.identity = ensureStation(this.db, this.journal, now);
    this.currentRouter = new ScanRouter(this.identity.site.config);
    const identity = this.identity;
    this.operators = new Operators(this.db, this.journal, this.identity);
    this.session = new Session({
      db: this.db,
      writer: this.writer,
      operators: this.operators,
      identity: this.identity,
      now,
      onChange: (view) => {
        // A question asked of one operator is not the next one's to answer.
        this.desk.dropPending();
        this.emit('operator.session', view);
        if (view.state === 'active') this.resend();
      },
      // A sentinel's staff controls are the site admin's only.
      signInRoles: () => (this.gate.records.workplace().workplace === 'sentinel' ? ['admin'] : null),
    });
    // Every record carries the operator signed in when it is written.
    const operatorId = () => this.session.operatorId();
    this.rounds = new Rounds(this.db, this.journal, this.identity, operatorId, () => this.siteIdentity.markKey());
    this.siteIdentity = new SiteIdentity(this.db, this.journal, this.identity, operatorId, this.rounds);
    this.desk = new SamplingDesk(this.db, this.journal, this.identity, now, this.rounds, operatorId);
    const context: CoreContext = { db: this.db, dataDir: options.dataDir, dataKey: options.dataKey, writer: this.writer, journal: this.journal, identity: this.identity, operatorId, now };
    this.roster = new Roster({
      ...context,
      markKey: () => this.siteIdentity.markKey(),
      emit: {
        progress: (importId, progress) => this.emit('roster.progress', { importId, progress }),
        changed: (importId, state) => this.emit('roster.changed', { importId, state }),
      },
      onApplied: () => {
        const round = this.rounds.current();
        if (round) this.emit('coverage.changed', { roundId: round.id });
      },
    });
    this.roster.open(this.lock !== null);
    this.feed.register(this.roster.feedHandlers());
    this.coverage = new Coverage(this.db, this.journal, this.identity, this.rounds, this.roster, () => this.siteIdentity.markKey(), operatorId);
    // A key change (or an upgrade) a stop cut short: this desk's marks are made before anything reads them.
    if (this.lock && this.writer.runNow(() => this.coverage.remarkIfPending())) log.info('this desk’s marks made under the key in use');
    this.rounds.onMark = (roundId, mark, delta) => this.coverage.remote(roundId, mark, delta);
    this.feed.register(this.coverage.feedHandlers());
    this.feed.register(this.siteIdentity.feedHandlers());
    this.feed.register(this.rounds.feedHandlers());
    this.feed.register(this.desk.conflicts.feedHandlers());
    this.feed.register(this.operators.feedHandlers());
    this.passes = new Passes(context, this.roster);
    this.boxes = new Boxes(context);
    this.doors = new Doors(context, {
      desk: this.desk,
      roster: this.roster,
      rounds: this.rounds,
      afterScan: (outcome) => this.upload.results.afterScan(outcome),
    });
    this.feed.register(this.passes.feedHandlers());
    this.isolation = new Isolation(context, this.roster, {
      markOf: (idNumber) => {
        const key = personKey({ idNumber, regCode: null, phone: null, name: null });
        return key === null ? null : this.rounds.mark(key);
      },
    });
    this.feed.register(this.isolation.feedHandlers());
    this.feed.register(this.boxes.feedHandlers());
    this.feed.register(this.doors.feedHandlers());
    this.gate = new Gate(context, new GateRecords(context, new PersonRegistry(this.db, this.journal), this.roster, this.rounds), {
      listening: () => this.hasSubscribers(),
      passageChanged: (view) => {
        this.emit('gate.passage', view);
        if (this.gate.records.workplace().workplace === 'sentinel') this.emit('sentinel.verdict', sentinelView(view));
      },
      readingTaken: (reading, passageId) => this.emit('gate.reading', { reading, passageId }),
    });
    this.visitors = new Visitors(context, this.gate, this.roster, { listening: () => this.hasSubscribers(), visitChanged: (view) => this.emit('gate.visit', view) });
    this.vehicles = new Vehicles(context, this.gate, { listening: () => this.hasSubscribers(), vehicleChanged: (view) => this.emit('gate.vehiclePassage', view) });
    this.reports = new Reports(this.db, () => ({ site: this.identity.site.name, station: this.identity.station.name }));
    this.upload = new UploadService(
      {
        ...context,
        feed: this.feed,
        siteIdentity: this.siteIdentity,
        onStatus: (status) => this.emit('upload.status', status),
        onFeed: (effects) => this.afterFeed(effects),
        receiveRoster: (fetchPage) => this.roster.receive(fetchPage),
        receiveSiteDay: async (fetchDay) => {
          const answer = await fetchDay(Reports.today(now()));
          if (!answer) return;
          const asOf = now();
          await this.writer.run(() => this.reports.saveSite(answer, asOf));
          this.emit('report.siteChanged', { day: answer.day, asOf: asOf.toISOString() });
        },
      },
      options.upload,
    );
    this.devices = new DeviceManager(
      {
        db: this.db,
        writer: this.writer,
        journal: this.journal,
        stationId: this.identity.station.id,
        // Read when a test label is printed: HQ may rename the station or the site meanwhile.
        get siteName() {
          return identity.site.name;
        },
        get stationName() {
          return identity.station.name;
        },
        operatorId,
        now,
        // A badge on a device scanner is a sign-in step, also on the lock screen; at a gate the rest is the gate's.
        submitScan: (text, source) => {
          if (this.isBadge(text)) return this.invoke('operator.identify', { text, source });
          const { workplace } = this.gate.records.workplace();
          if (workplace === 'desk') return this.invoke('scan.submit', { text, source });
          // At a door the screen knows whose door it is: it takes the scan as it takes a wedge's.
          if (workplace === 'doors') {
            this.emit('doors.deviceScan', { text, source });
            return Promise.resolve(null);
          }
          // The sentinel's scans are the station's own, signed in or not; the kiosk is told by `sentinel.verdict`.
          if (workplace === 'sentinel') return this.invoke('sentinel.scan', { text, source }).then(() => null);
          return this.invoke('gate.scan', { text, source }).then((result) => {
            this.emit('gate.scanned', { source, result });
            return null;
          });
        },
        emit: (event, payload) => {
          if (event === 'thermometer.reading') this.gate.thermometerReading(payload as Events['thermometer.reading']);
          this.emit(event, payload as Events[typeof event]);
        },
      },
      { ...options.deviceOptions, mode: options.devices },
    );
    this.labels = new LabelService({
      db: this.db,
      identity: this.identity,
      now,
      onJob: (job) => this.emit('label.job', job),
      boxContents: (code) => this.boxes.labelContents(code),
      devicePrinter: () => this.devices.defaultPrinter(),
    });
    this.handlers = {
      ...this.deskHandlers(),
      ...uploadHandlers(this.upload),
      ...deviceHandlers(this.devices),
      ...labelHandlers(this.labels),
      ...roundHandlers(this.rounds, (fn) => this.change(fn), now),
      ...rosterHandlers(this.roster),
      ...operatorHandlers({
        session: this.session,
        operators: this.operators,
        writer: this.writer,
        router: () => this.router,
        now,
        changed: () => this.emit('operators.changed', { count: 1 }),
      }),
      ...coverageHandlers(this.coverage, {
        writer: this.writer,
        now,
        sync: () => ({ asOf: this.upload.store.state().feedPulledAt, enrolled: this.upload.store.link() !== null }),
        changed: (roundId) => this.emit('coverage.changed', { roundId }),
      }),
      ...gateHandlers(this.gate, {
        writer: this.writer,
        session: this.session,
        router: () => this.router,
        passes: this.passes,
        now,
        workplaceChanged: (view) => this.emit('station.workplace', view),
      }, { visitors: this.visitors, vehicles: this.vehicles }),
      ...sentinelHandlers({
        records: this.gate.records,
        gateScan: async (args) => {
          try {
            return { ok: true, value: await this.handlers['gate.scan'](args) };
          } catch (err) {
            if (err instanceof DomainError) return { ok: false, error: err.toApiError() };
            throw err;
          }
        },
        devices: () => this.devices.list(),
        site: () => ({ site: this.identity.site.name, station: this.identity.station.name }),
        now,
        verdict: (view) => this.emit('sentinel.verdict', view),
      }),
      ...passHandlers(this.passes, {
        writer: this.writer,
        labels: this.labels,
        now,
        changed: (count) => this.emit('passes.changed', { count }),
      }),
      ...isolationHandlers(this.isolation, {
        writer: this.writer,
        passes: this.passes,
        now,
        changed: (count) => this.emit('isolation.changed', { count }),
      }),
      ...boxHandlers(this.boxes, {
        writer: this.writer,
        labels: this.labels,
        changed: (code) => this.emit('boxes.changed', { code }),
      }),
      ...reportHandlers(this.reports, { now, syncedAt: () => this.upload.store.state().feedPulledAt }),
      ...doorHandlers(this.doors, {
        writer: this.writer,
        router: () => this.router,
        syncedAt: () => this.upload.store.state().feedPulledAt,
        afterTubeOpened: (o) =>
          void this.labels.afterScan({ kind: 'tube.opened', tubeCode: o.tubeCode, capacity: o.capacity as Capacity, sealedPrevious: o.sealedPrevious, voidedPrevious: o.voidedPrevious }),
        changed: (groupId, desk) => {
          this.emit('doors.changed', { groupId });
          if (desk && this.hasSubscribers()) this.emit('desk.changed', this.desk.state());
        },
      }),
    };
    this.events.setMaxListeners(100);
    this.retention = new Retention(context);
    if (options.upload?.start) {
      this.upload.start();
      this.retention.start();
    }
    void this.devices.start();
  }

  private isBadge(text: string): boolean {
    const classified = this.router.classify(text);
    return classified.ok && classified.scan.kind === 'badge';
  }

  /** Classifies scans by the site's current configuration. */
  get router(): ScanRouter {
    return this.currentRouter;
  }

  /**
   * A site configuration the writer has stored (from HQ): from the next scan on, codes are
   * classified, tubes numbered and the default capacity taken from it. Router and identity are
   * swapped together in one synchronous step, so no scan sees one without the other.
   */
  useSiteConfig(site: StationIdentity['site']): void {
    const router = new ScanRouter(site.config);
    this.identity.site = site;
    this.currentRouter = router;
    log.info({ siteId: site.id }, 'site configuration in use');
    if (this.hasSubscribers()) this.emit('desk.changed', this.desk.state());
  }

  /** What a committed page of the feed changed, acted on: identity and configuration in use, events. */
  private afterFeed(effects: FeedEffects): void {
    if (effects.identity) {
      this.identity.site = effects.identity.site;
      this.identity.station = effects.identity.station;
      log.info({ siteId: effects.identity.site.id, number: effects.identity.station.number }, 'station identity from HQ');
    }
    if (effects.site) this.useSiteConfig(effects.site);
    if (effects.operators > 0) {
      // An operator disabled or locked out elsewhere is signed out here too.
      this.session.recheck();
      this.emit('operators.changed', { count: effects.operators });
    }
    if (effects.site || effects.operators > 0) this.emit('operator.session', this.session.view());
    else if ((effects.identity || effects.conflicts > 0 || effects.rounds > 0) && this.hasSubscribers()) this.emit('desk.changed', this.desk.state());
    if (effects.rounds > 0 || effects.identity) this.emit('rounds.changed', { current: this.rounds.current() });
    if (effects.results + effects.keyPersonLists > 0) this.emit('results.changed', { openRetests: this.upload.results.openCount() });
    if (effects.rosters > 0) this.roster.useCurrent();
    if (effects.passes > 0) this.emit('passes.changed', { count: effects.passes });
    if (effects.isolations > 0) this.emit('isolation.changed', { count: effects.isolations });
    for (const code of effects.receiptBoxes) this.emit('boxes.changed', { code });
    // Another station's visit concerns whichever group has that household: every list is read again.
    if (effects.doors > 0) this.emit('doors.changed', { groupId: '' });
    if (effects.keys) void this.useNewMarkKey();
    if (effects.marks + effects.coverage > 0 || effects.rounds > 0) {
      const round = this.rounds.current();
      if (round) this.emit('coverage.changed', { roundId: round.id });
    }
  }

  /**
   * The site's mark key replaced this station's own (it joined its site): this desk's marks and
   * the roster's are made again under it, so they meet other desks' marks. Both are resumed at
   * the next start if this stops first (a flag stored with the key; the roster file's own key).
   */
  private async useNewMarkKey(): Promise<void> {
    try {
      await this.writer.run(() => this.coverage.remarkIfPending());
      await this.roster.remark();
    } catch (err) {
      log.error({ err }, 'marks could not be made under the new key; tried again at the next start');
    }
  }

  /** Runs a change through the writer, then tells the screens what the desk and the rounds look like now. */
  private async change<T>(fn: () => T): Promise<T> {
    const value = await this.writer.run(fn);
    if (this.hasSubscribers()) {
      this.emit('desk.changed', this.desk.state());
      this.emit('rounds.changed', { current: this.rounds.current() });
    }
    return value;
  }

  private deskHandlers(): Omit<
    HandlerImpl,
    | keyof UploadHandlers
    | keyof DeviceHandlers
    | keyof LabelHandlers
    | keyof RoundHandlers
    | keyof RosterHandlers
    | keyof CoverageHandlers
    | keyof OperatorHandlers
    | keyof GateHandlers
    | keyof SentinelHandlers
    | keyof PassHandlers
    | keyof IsolationHandlers
    | keyof BoxHandlers
    | keyof DoorHandlers
    | keyof ReportHandlers
  > {
    const desk = this.desk;
    const change = async <T>(fn: () => T): Promise<T> => {
      const value = await this.writer.run(fn);
      if (this.hasSubscribers()) this.emit('desk.changed', desk.state());
      return value;
    };
    return {
      'desk.state': async () => desk.state(),
      'desk.setCapacity': async ({ capacity }) => {
        await change(() => desk.setCapacity(capacity));
        return desk.state();
      },
      'scan.submit': async ({ text, source }) => {
        const classified = this.router.classify(text);
        log.info({ source, kind: classified.ok ? classified.scan.kind : classified.error.code }, 'scan');
        if (!classified.ok) throw new DomainError(classified.error.code, classified.error.params);
        const scan = classified.scan;
        // Switching operator: the badge names them, their PIN signs them in.
        if (scan.kind === 'badge') return { kind: 'operator.pinNeeded', operator: this.session.identify(scan.code), badge: scan.code };
        // The tube label prints after the commit and never holds up or undoes the opening.
        return this.labels.afterScan(await change(() => this.upload.results.afterScan(desk.scan(scan))));
      },
      'tube.new': async () => this.labels.afterScan(await change(() => desk.openTube(desk.newTubeCode()))),
      'tube.seal': async () => change(() => desk.sealOpenTube()),
      'tube.void': async ({ tubeCode, reason }) => change(() => desk.voidTube(tubeCode, reason)),
      'tube.search': async ({ query }) => desk.search(query),
      'tube.conflicts': async () => desk.conflicts.all(),
      'desk.bindResident': async ({ ref }) =>
        this.labels.afterScan(await change(() => this.upload.results.afterScan(desk.bindResident(this.roster.resident(ref))))),
      'binding.undo': async ({ reason }) => change(() => this.upload.results.afterUndo(desk.undoLast(reason))),
      'binding.confirm': async ({ token }) => change(() => this.upload.results.afterScan(desk.confirm(token))),
      'binding.cancel': async ({ token }) => {
        desk.cancel(token);
        const state = desk.state();
        this.emit('desk.changed', state);
        return state;
      },
    };
  }

  /** Validates and runs one command. Never throws: refusals and failures come back as data. */
  async call(method: string, args: unknown): Promise<Result<unknown>> {
    if (this.closed) return { ok: false, error: { code: 'internal', params: { reason: 'closed' } } };
    if (!Object.hasOwn(argSchemas, method)) return { ok: false, error: { code: 'request.unknownMethod', params: { method: method.slice(0, 64) } } };
    const m = method as Method;
    const refusal = this.refusal(m);
    if (refusal) return { ok: false, error: refusal };
    const parsed = argSchemas[m].safeParse(args ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: { code: 'request.invalid', params: { method: m, field: issue?.path.join('.') ?? '', detail: issue?.message ?? '' } } };
    }
    try {
      const handler = this.handlers[m] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      if (err instanceof DomainError) return { ok: false, error: err.toApiError() };
      const storage = classifyStorageError(err);
      log.error({ err, method: m }, 'command failed');
      return { ok: false, error: storage ?? { code: 'internal' } };
    }
  }

  /**
   * Who may call `method` now (`METHOD_ACCESS`), checked here for every host, screen, device and
   * in-process caller alike. A scan or a touch of the screen keeps the session from the idle lock.
   */
  private refusal(method: Method): ApiError | null {
    this.session.lockIfIdle();
    const refusal = this.access(method);
    if (!refusal && (method === 'scan.submit' || method === 'gate.scan')) this.session.touch();
    return refusal;
  }

  /** Whether `method` could be called now; nothing else (events are held to it too). */
  private access(method: Method): ApiError | null {
    const access = METHOD_ACCESS[method];
    if (access === 'signIn' || access === 'status') return null;
    if (access === 'sentinel') return this.gate.records.workplace().workplace === 'sentinel' ? null : { code: 'sentinel.notSentinel', params: { method } };
    if (!this.session.open()) return { code: 'session.locked', params: { method } };
    if (access === 'self') return null;
    const operator = this.session.active();
    if (!operator) return { code: 'operator.pinChangeNeeded', params: { method } };
    if (!access.includes(operator.role)) return { code: 'operator.forbidden', params: { method, role: operator.role, needed: access.join(',') } };
    return null;
  }

  /** Typed convenience for in-process callers (tests, CLI, benchmarks). */
  invoke<M extends Method>(method: M, args: ArgsOf<M>): Promise<Result<ValueOf<M>>> {
    return this.call(method, args) as Promise<Result<ValueOf<M>>>;
  }

  /**
   * Tells every subscriber (each screen, whichever host) of an event, unless it carries what
   * nobody could read now (`EVENT_ACCESS`): a locked screen, or a page connected while nobody is
   * signed in, receives no names, tubes or counts, whatever it asks. What it missed is sent
   * again when someone signs in (`resend`).
   */
  emit<E extends EventName>(event: E, payload: Events[E]): void {
    if (this.closed || !this.hasSubscribers()) return;
    const carries = EVENT_ACCESS[event] as Method | ((p: Events[E]) => Method);
    this.session.lockIfIdle();
    if (this.access(typeof carries === 'function' ? carries(payload) : carries)) return;
    this.events.emit('event', { type: 'event', event, payload } as WireEvent);
  }

  /** Signed in (or unlocked): the state events held back while locked, as it is now, for whoever may read it. */
  private resend(): void {
    if (!this.hasSubscribers()) return;
    this.emit('desk.changed', this.desk.state());
    this.emit('rounds.changed', { current: this.rounds.current() });
    this.emit('results.changed', { openRetests: this.upload.results.openCount() });
  }

  hasSubscribers(): boolean {
    return this.events.listenerCount('event') > 0;
  }

  subscribe(listener: (event: WireEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.removeAllListeners();
    this.retention.stop();
    this.gate.close();
    this.session.close();
    this.upload.close();
    this.roster.close();
    // Ports and simulators close in the background; callers that must wait await devices.stop().
    void this.devices.stop();
    void this.labels.close();
    this.writer.stop();
    this.db.close();
    this.lock?.release();
  }
}
