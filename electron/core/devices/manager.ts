import type { Result, ScanOutcome } from '../../api/contract';
import {
  deviceConfigSchema,
  type DeviceConfig,
  type DeviceEvents,
  type DeviceMode,
  type DevicesView,
  type DeviceStatus,
  type DeviceView,
  type DiscoveryView,
  type TestPrintView,
  type ThermometerReadingView,
} from '../../api/devices';
import { nodeHidBoundary, type HidBoundary } from '../../../native/hid/boundary';
import { PrinterError, type Printer } from '../../../native/printer';
import { checkSavedDevicePath, DevicePathError, type SerialPathPolicy } from '../../../native/serial/device-path';
import { HidScanner } from '../../../native/scanner/hid-scanner';
import { SerialScanner } from '../../../native/scanner/serial-scanner';
import { Thermometer } from '../../../native/thermometer/thermometer';
import type { StationDatabase } from '../db/database';
import type { Writer } from '../db/writer';
import { DomainError } from '../errors';
import type { Journal } from '../journal';
import { createLogger } from '../log';
import { discoverDevices } from './discovery';
import { parsePrinterConfig, testLabel, WatchedPrinter } from './printer';
import { readDeviceSettings, writeDeviceSettings } from './settings';
import { startSimulation, type Simulation, type SimulatedDevice } from './simulation';

const log = createLogger('devices');

/** What the device manager needs from the core; kept small so it can be tested on its own. */
export type DeviceHost = {
  db: StationDatabase;
  writer: Writer;
  journal: Journal;
  stationId: string;
  siteName: string;
  stationName: string;
  operatorId: () => string;
  now: () => Date;
  /** The same path a scan typed at the desk takes; null when the gate took it (and told the screens itself). */
  submitScan: (text: string, source: 'serial' | 'hid') => Promise<Result<ScanOutcome> | null>;
  emit: <E extends keyof DeviceEvents>(event: E, payload: DeviceEvents[E]) => void;
};

export type DeviceManagerOptions = {
  /** Overrides the stored mode (hosts, tests). */
  mode?: DeviceMode;
  /** The node-hid boundary; tests put a fake here. */
  hid?: HidBoundary;
  /** Reconnect backoff; the default keeps a re-plug under 2 s. */
  retryMs?: number;
  maxRetryMs?: number;
  /** How often printers are asked for their status. */
  printerPollMs?: number;
  /**
   * Test only (the app never sets it): configured serial devices and USB printers may also be
   * pseudo-terminals, the socat pty pairs the tests drive. Never a file, even then.
   */
  pseudoTerminals?: boolean;
};

/** The device file a configuration opens, and what it must be; null for network, HID and OS-queue devices. */
function devicePathOf(config: DeviceConfig): { kind: 'serial' | 'usb-printer'; path: string } | null {
  if (config.kind !== 'printer') return 'path' in config ? { kind: 'serial', path: config.path } : null;
  const transport = parsePrinterConfig(config.printer).transport;
  if (transport.kind === 'serial') return { kind: 'serial', path: transport.path };
  if (transport.kind === 'usb-device') return { kind: 'usb-printer', path: transport.path };
  return null;
}

/** The wedge scanner is read by the renderer; it is always listed so staff see every scanner. */
const WEDGE: DeviceConfig = { id: 'wedge', name: '键盘扫码枪', enabled: true, kind: 'scanner', driver: 'wedge' };

type Driver = SerialScanner | HidScanner | Thermometer | WatchedPrinter;

type RunningDevice = {
  config: DeviceConfig;
  simulated: SimulatedDevice | null;
  status: DeviceStatus;
  lastReading: ThermometerReadingView | null;
  driver: Driver | null;
};

/**
 * Owns the station's devices: opens what is configured (or the simulators), turns scans into
 * `scan.submit` calls and readings into events, and reports every status change. Nothing a device
 * does (vanishing, garbage, a busy port, a missing library) can throw out of here into the core.
 */
export class DeviceManager {
  private mode: DeviceMode = 'off';
  private running = new Map<string, RunningDevice>();
  private simulation: Simulation | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly host: DeviceHost,
    private readonly options: DeviceManagerOptions = {},
  ) {}

  /** Opens the devices; resolves when every driver has been started (not necessarily connected). */
  start(): Promise<void> {
    return this.serial(() => this.open());
  }

  /** Closes every device and simulator. After this, no scan or event leaves the manager. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.serial(() => this.closeAll());
  }

  /** The devices as they are once any start or restart under way has finished. */
  async settledList(): Promise<DevicesView> {
    await this.queue;
    return this.list();
  }

  list(): DevicesView {
    return { mode: this.mode, devices: [...this.running.values()].map((d) => this.view(d)) };
  }

  discover(): Promise<DiscoveryView> {
    return discoverDevices(this.options.hid ?? nodeHidBoundary);
  }

  async save(device: DeviceConfig): Promise<DevicesView> {
    const config = deviceConfigSchema.parse(device);
    if (config.kind === 'printer') {
      try {
        config.printer = parsePrinterConfig(config.printer);
      } catch (err) {
        const issue = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
        throw new DomainError('request.invalid', { method: 'devices.save', field: ['device', 'printer', ...(issue?.path ?? [])].map(String).join('.'), detail: issue?.message ?? 'invalid' });
      }
    }
    if (this.running.get(config.id)?.simulated || config.id === WEDGE.id) throw new DomainError('device.unsupported', { id: config.id });
    await this.checkPath(config);
    await this.host.writer.run(() => {
      const settings = readDeviceSettings(this.host.db);
      const others = settings.devices.filter((d) => d.id !== config.id);
      writeDeviceSettings(this.host.db, { ...settings, devices: [...others, config] });
    });
    await this.restart();
    return this.list();
  }

  async remove(id: string): Promise<DevicesView> {
    const found = await this.host.writer.run(() => {
      const settings = readDeviceSettings(this.host.db);
      const rest = settings.devices.filter((d) => d.id !== id);
      if (rest.length === settings.devices.length) return false;
      writeDeviceSettings(this.host.db, { ...settings, devices: rest });
      return true;
    });
    if (!found) throw new DomainError('device.notFound', { id });
    await this.restart();
    return this.list();
  }

  async setMode(mode: DeviceMode): Promise<DevicesView> {
    await this.host.writer.run(() => writeDeviceSettings(this.host.db, { ...readDeviceSettings(this.host.db), mode }));
    this.options.mode = undefined;
    await this.restart();
    return this.list();
  }

  /**
   * A new calibration offset, stored with the device and journalled in the same transaction so
   * every change (who, when, from what, to what, why) stays in the audit trail.
   */
  async calibrate(id: string, offsetC: number, reason: string): Promise<DeviceView> {
    const device = this.running.get(id);
    if (device?.config.kind !== 'thermometer') throw new DomainError('device.notFound', { id });
    const previousOffsetC = device.config.offsetC;
    await this.host.writer.run(() => {
      if (!device.simulated) {
        const settings = readDeviceSettings(this.host.db);
        const stored = settings.devices.find((d) => d.id === id);
        if (stored?.kind !== 'thermometer') throw new DomainError('device.notFound', { id });
        writeDeviceSettings(this.host.db, { ...settings, devices: settings.devices.map((d) => (d.id === id ? { ...stored, offsetC } : d)) });
      }
      this.host.journal.append({
        stationId: this.host.stationId,
        kind: 'device.calibrated',
        entityId: id,
        operatorId: this.host.operatorId(),
        at: this.host.now().toISOString(),
        payload: { previousOffsetC, offsetC, reason, simulated: Boolean(device.simulated) },
      });
    });
    device.config = { ...device.config, offsetC };
    if (device.driver instanceof Thermometer) device.driver.setOffset(offsetC);
    return this.view(device);
  }

  async simulate(id: string, action: { scan?: string; celsius?: number }): Promise<DeviceView> {
    const device = this.running.get(id);
    if (!device) throw new DomainError('device.notFound', { id });
    const sim = device.simulated;
    if (!sim) throw new DomainError('device.notSimulated', { id });
    if (device.status.state !== 'connected') throw new DomainError('device.offline', { id });
    if (action.scan !== undefined && sim.scan) await sim.scan(action.scan);
    else if (action.celsius !== undefined && sim.measure) await sim.measure(action.celsius);
    else throw new DomainError('device.unsupported', { id });
    return this.view(device);
  }

  /** Renders a sample tube label and, unless `dryRun`, prints it; the preview is the printed raster. */
  async testPrint(id: string, dryRun: boolean): Promise<TestPrintView> {
    const device = this.running.get(id);
    if (device?.config.kind !== 'printer') throw new DomainError('device.notFound', { id });
    const watched = device.driver instanceof WatchedPrinter ? device.driver : null;
    if (!watched) throw new DomainError('device.offline', { id });
    const { plan, previewPng } = testLabel(watched.printer.config.dpi, {
      code: 'TEST-0000',
      siteName: this.host.siteName,
      stationName: this.host.stationName,
      pool: '10:1',
      date: this.host.now().toISOString().slice(0, 10),
    });
    if (dryRun) return { previewPng, printed: false, status: device.status };
    try {
      await watched.printer.print({ label: plan });
    } catch (err) {
      const fault = err instanceof PrinterError ? err.fault : 'transport-error';
      throw new DomainError('device.printFailed', { id, fault });
    }
    return { previewPng, printed: true, status: await watched.poll() };
  }

  /**
   * The printer labels go to: the first enabled, connected printer (else the first one at all).
   * For the label commands (print on tube open, reprint).
   */
  defaultPrinter(): Printer | null {
    const printers = [...this.running.values()].filter((d) => d.driver instanceof WatchedPrinter);
    const chosen = printers.find((d) => d.status.state === 'connected') ?? printers[0];
    return chosen?.driver instanceof WatchedPrinter ? chosen.driver.printer : null;
  }

  /** A path that exists and is not a device Station may open is refused before it is stored. */
  private async checkPath(config: DeviceConfig): Promise<void> {
    const target = devicePathOf(config);
    if (!target) return;
    try {
      await checkSavedDevicePath(target.kind, target.path, this.pathPolicy(null));
    } catch (err) {
      if (err instanceof DevicePathError) throw new DomainError('device.pathRefused', { id: config.id, reason: err.reason });
      throw err;
    }
  }

  /** Simulated devices are the app's own pty pairs; configured ones are real ports unless a test says otherwise. */
  private pathPolicy(simulated: SimulatedDevice | null): SerialPathPolicy {
    return { pseudoTerminals: simulated !== null || this.options.pseudoTerminals === true };
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch((err: unknown) => log.error({ err }, 'device manager step failed'));
    return this.queue;
  }

  private restart(): Promise<void> {
    return this.serial(async () => {
      await this.closeAll();
      await this.open();
    });
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const settings = readDeviceSettings(this.host.db);
    this.mode = this.options.mode ?? settings.mode;
    const configured = settings.devices;
    const entries: { config: DeviceConfig; simulated: SimulatedDevice | null }[] = [];
    if (!configured.some((d) => d.kind === 'scanner' && d.driver === 'wedge')) entries.push({ config: WEDGE, simulated: null });
    if (this.mode === 'simulated') {
      this.simulation = await startSimulation();
      // Training touches no real device: no real labels or tubes are used up.
      for (const s of this.simulation.devices) entries.push({ config: s.config, simulated: s });
    } else {
      for (const c of configured) entries.push({ config: c, simulated: null });
    }
    if (this.stopped) return this.closeAll();
    for (const entry of entries) this.startDevice(entry.config, entry.simulated);
  }

  private startDevice(config: DeviceConfig, simulated: SimulatedDevice | null): void {
    const device: RunningDevice = { config, simulated, status: { state: 'off' }, lastReading: null, driver: null };
    this.running.set(config.id, device);
    if (config.kind === 'scanner' && config.driver === 'wedge') return this.setStatus(device, { state: 'keyboard' });
    if (this.mode === 'off' || !config.enabled) return this.setStatus(device, { state: 'off' });
    if (simulated?.unavailable) return this.setStatus(device, { state: 'error', reason: simulated.unavailable });
    const retry = { retryMs: this.options.retryMs, maxRetryMs: this.options.maxRetryMs };
    try {
      if (config.kind === 'scanner' && config.driver === 'serial') {
        const d = new SerialScanner({ ...config, ...retry, pathPolicy: this.pathPolicy(simulated) });
        d.on('scan', (s) => this.onScan(device, s.text, 'serial'));
        device.driver = d;
      } else if (config.kind === 'scanner' && config.driver === 'hid-pos') {
        const boundary = simulated && this.simulation ? this.simulation.hid : (this.options.hid ?? nodeHidBoundary);
        const d = new HidScanner({ boundary, match: config, layout: config.layout, ...retry });
        d.on('scan', (s) => this.onScan(device, s.text, 'hid'));
        device.driver = d;
      } else if (config.kind === 'thermometer') {
        const d = new Thermometer({
          ...config,
          ...retry,
          pathPolicy: this.pathPolicy(simulated),
          stabilizer: { offsetC: config.offsetC, toleranceC: config.toleranceC, samples: config.samples, gapMs: config.gapMs },
        });
        d.on('reading', (r) => this.onReading(device, r.celsius, r.at));
        device.driver = d;
      } else {
        const d = new WatchedPrinter(parsePrinterConfig(config.printer), this.options.printerPollMs, this.pathPolicy(simulated));
        d.on('status', (s) => this.setStatus(device, s));
        device.driver = d;
        d.start();
        return;
      }
      const driver = device.driver;
      driver.on('status', (s: { state: DeviceStatus['state']; reason?: string }) => this.setStatus(device, s.reason ? { state: s.state, reason: s.reason } : { state: s.state }));
      driver.start();
    } catch (err) {
      log.error({ err, device: config.id }, 'device failed to start');
      this.setStatus(device, { state: 'error', reason: 'device.startFailed' });
    }
  }

  private async closeAll(): Promise<void> {
    const devices = [...this.running.values()];
    this.running.clear();
    for (const d of devices) await d.driver?.stop().catch((err: unknown) => log.warn({ err }, 'device stop failed'));
    const sim = this.simulation;
    this.simulation = null;
    await sim?.close();
  }

  // ---- device events -----------------------------------------------------------------------

  private onScan(device: RunningDevice, text: string, source: 'serial' | 'hid'): void {
    if (this.stopped || this.running.get(device.config.id) !== device) return;
    this.host.submitScan(text, source).then(
      (result) => {
        if (!this.stopped && result) this.host.emit('scan.outcome', { id: device.config.id, source, result });
      },
      (err: unknown) => log.error({ err, device: device.config.id }, 'scan submit failed'),
    );
  }

  private onReading(device: RunningDevice, celsius: number, at: number): void {
    if (this.stopped || this.running.get(device.config.id) !== device) return;
    device.lastReading = { celsius, at: new Date(at).toISOString() };
    this.host.emit('thermometer.reading', { id: device.config.id, celsius, at: device.lastReading.at });
  }

  private setStatus(device: RunningDevice, status: DeviceStatus): void {
    device.status = status;
    if (this.stopped || this.running.get(device.config.id) !== device) return;
    this.host.emit('device.status', { id: device.config.id, kind: device.config.kind, status });
  }

  private view(d: RunningDevice): DeviceView {
    return { config: d.config, status: d.status, simulated: d.simulated !== null, lastReading: d.lastReading };
  }
}
