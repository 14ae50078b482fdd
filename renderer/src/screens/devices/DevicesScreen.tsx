import { useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import type { DeviceConfig, DeviceMode, DevicesView, DeviceView, DiscoveryView, TestPrintView } from '../../../../electron/api/devices';
import { useStation } from '../../app/station';
import { useStationTranslation } from '../../i18n';
import { deviceReasonText } from '../../labels/words';
import { DeviceForm, sourceOf, type DeviceSource } from './DeviceForm';
import { useDevices } from './useDevices';
import './devices.css';

/** The gate's alarm threshold (DESIGN: 37.3 °C); a reading at or above it is shown as high. */
const FEVER_C = 37.3;

const hex = (n: number) => n.toString(16).padStart(4, '0');

/**
 * Devices: what the station has, how each one is doing, the thermometer's live reading, adding a
 * device from what is plugged in, calibration, test print, and the training-mode controls.
 */
export function DevicesScreen() {
  const { t, errorText } = useStationTranslation('devices');
  const client = useStation();
  const { devices, replace } = useDevices();
  const [error, setError] = useState<string | null>(null);

  const run = async <T,>(call: Promise<{ ok: true; value: T } | { ok: false; error: ApiError }>): Promise<T | null> => {
    const result = await call;
    if (!result.ok) {
      setError(errorText(result.error));
      return null;
    }
    setError(null);
    return result.value;
  };

  const setMode = async (mode: DeviceMode) => {
    const next = await run(client.call('devices.setMode', { mode }));
    if (next) replace(next);
  };

  if (!devices) return <div className="loading">{t('common:connection.connectingBanner')}</div>;

  return (
    <div className="devices" data-testid="devices-screen">
      <section className="devices-main">
        <div className="devices-head">
          <h2 className="panel-heading">{t('list.heading')}</h2>
          <label className="devices-mode">
            {t('mode.label')}
            <select value={devices.mode} onChange={(e) => void setMode(e.target.value as DeviceMode)} data-testid="devices-mode">
              {(['real', 'simulated', 'off'] as const).map((m) => (
                <option key={m} value={m}>
                  {t(`mode.${m}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error ? (
          <p className="devices-error" role="alert">
            {error}
          </p>
        ) : null}
        {devices.devices.length === 0 ? <p className="members-empty">{t('list.empty')}</p> : null}
        <ul className="device-list">
          {devices.devices.map((d) => (
            <DeviceCard key={d.config.id} device={d} run={run} onListChange={replace} />
          ))}
        </ul>
      </section>
      <aside className="devices-side">
        <Discovery run={run} onSaved={replace} />
      </aside>
    </div>
  );
}

type Run = <T>(call: Promise<{ ok: true; value: T } | { ok: false; error: ApiError }>) => Promise<T | null>;

function DeviceCard({ device, run, onListChange }: { device: DeviceView; run: Run; onListChange: (next: DevicesView) => void }) {
  const { t } = useStationTranslation('devices');
  const client = useStation();
  const { config, status } = device;
  const [editing, setEditing] = useState(false);
  const editSource = device.simulated ? null : sourceOf(config);
  const save = async (next: DeviceConfig) => {
    const list = await run(client.call('devices.save', { device: next }));
    if (list) {
      onListChange(list);
      setEditing(false);
    }
  };
  if (editing && editSource) {
    return (
      <li className="device-card" data-testid={`device-${config.id}`} data-state={status.state}>
        <DeviceForm source={editSource} initial={config} onSave={(d) => void save(d)} onCancel={() => setEditing(false)} />
      </li>
    );
  }
  const tone = status.state === 'connected' || status.state === 'keyboard' ? 'ok' : status.state === 'connecting' || status.state === 'off' ? 'wait' : 'bad';
  const reading = device.lastReading;
  return (
    <li className={`device-card device-${tone}`} data-testid={`device-${config.id}`} data-state={status.state}>
      <div className="device-title">
        <strong>{config.name}</strong>
        <span className="device-kind">
          {t(`kind.${config.kind}`)} · {t(`driver.${config.driver}`)}
          {device.simulated ? <em className="device-sim"> · {t('list.simulated')}</em> : null}
        </span>
      </div>
      <div className={`device-status device-status-${tone}`} data-testid={`device-status-${config.id}`}>
        <span className="device-status-dot" aria-hidden="true" />
        {t(`state.${status.state}`)}
        {status.reason ? <span className="device-reason"> — {deviceReasonText(t, status.reason)}</span> : null}
      </div>
      <p className="device-detail">{describe(config)}</p>
      {config.kind === 'thermometer' ? (
        <div className={`device-reading ${reading && reading.celsius >= FEVER_C ? 'is-fever' : ''}`} data-testid={`reading-${config.id}`}>
          <span className="device-reading-label">{t('list.lastReading')}</span>
          <span className="device-reading-value">{reading ? t('reading', { celsius: reading.celsius.toFixed(1) }) : t('list.noReading')}</span>
          {reading && reading.celsius >= FEVER_C ? <span className="device-fever">{t('list.fever')}</span> : null}
        </div>
      ) : null}
      {device.simulated && (config.kind === 'scanner' || config.kind === 'thermometer') ? <SimulateControls device={device} run={run} /> : null}
      {config.kind === 'thermometer' ? <Calibration device={device} run={run} /> : null}
      {config.kind === 'printer' ? <TestPrint device={device} run={run} /> : null}
      {editSource ? (
        <button type="button" className="btn" onClick={() => setEditing(true)} data-testid={`edit-${config.id}`}>
          {t('list.edit')}
        </button>
      ) : null}
      {!device.simulated && config.id !== 'wedge' ? (
        <button
          type="button"
          className="btn btn-danger-outline"
          onClick={() => void run(client.call('devices.remove', { id: config.id })).then((next) => next && onListChange(next))}
        >
          {t('list.remove')}
        </button>
      ) : null}
    </li>
  );
}

function describe(config: DeviceConfig): string {
  if (config.kind === 'scanner' && config.driver === 'hid-pos') return `USB ${hex(config.vendorId)}:${hex(config.productId)}`;
  if (config.kind === 'scanner' && config.driver === 'wedge') return '';
  if (config.kind === 'printer') {
    const p = config.printer as { language?: string; dpi?: number; transport?: { kind?: string; host?: string; port?: number; path?: string } };
    const where = p.transport?.kind === 'tcp' ? `${p.transport.host}:${p.transport.port ?? 9100}` : (p.transport?.path ?? p.transport?.kind ?? '');
    return `${String(p.language ?? '').toUpperCase()} ${p.dpi ?? ''} dpi · ${where}`;
  }
  return `${config.path} · ${config.baudRate}`;
}

function SimulateControls({ device, run }: { device: DeviceView; run: Run }) {
  const { t } = useStationTranslation('devices');
  const client = useStation();
  const [text, setText] = useState('');
  const [celsius, setCelsius] = useState('36.6');
  const id = device.config.id;
  if (device.config.kind === 'thermometer') {
    const submit = (e: FormEvent) => {
      e.preventDefault();
      const value = Number(celsius);
      if (Number.isFinite(value)) void run(client.call('devices.simulate', { id, celsius: value }));
    };
    return (
      <form className="device-inline" onSubmit={submit}>
        <label>
          {t('simulate.celsiusLabel')}
          <input type="number" step="0.1" min={20} max={45} value={celsius} onChange={(e) => setCelsius(e.target.value)} data-testid={`simulate-celsius-${id}`} />
        </label>
        <button type="submit" className="btn" data-testid={`simulate-measure-${id}`}>
          {t('simulate.measure')}
        </button>
      </form>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) void run(client.call('devices.simulate', { id, scan: text.trim() })).then((r) => r && setText(''));
  };
  return (
    <form className="device-inline" onSubmit={submit}>
      <label>
        {t('simulate.scanLabel')}
        <input value={text} maxLength={2048} onChange={(e) => setText(e.target.value)} data-testid={`simulate-text-${id}`} />
      </label>
      <button type="submit" className="btn" data-testid={`simulate-scan-${id}`}>
        {t('simulate.scan')}
      </button>
    </form>
  );
}

function Calibration({ device, run }: { device: DeviceView; run: Run }) {
  const { t } = useStationTranslation('devices');
  const client = useStation();
  const current = device.config.kind === 'thermometer' ? device.config.offsetC : 0;
  const [offset, setOffset] = useState(String(current));
  const [reason, setReason] = useState('');
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = Number(offset);
    if (!Number.isFinite(value) || !reason.trim()) return;
    const result = await run(client.call('devices.calibrate', { id: device.config.id, offsetC: value, reason: reason.trim() }));
    setDone(result !== null);
    if (result) setReason('');
  };
  return (
    <details className="device-more">
      <summary>{t('calibrate.heading')}</summary>
      <form className="device-inline" onSubmit={(e) => void submit(e)}>
        <label>
          {t('calibrate.offset')}
          <input type="number" step="0.1" min={-5} max={5} value={offset} onChange={(e) => setOffset(e.target.value)} />
        </label>
        <label>
          {t('calibrate.reason')}
          <input value={reason} required maxLength={200} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="submit" className="btn">
          {t('calibrate.apply')}
        </button>
        {done ? <span className="device-ok">{t('calibrate.done')}</span> : null}
      </form>
    </details>
  );
}

function TestPrint({ device, run }: { device: DeviceView; run: Run }) {
  const { t } = useStationTranslation('devices');
  const client = useStation();
  const [result, setResult] = useState<TestPrintView | null>(null);
  const go = async (dryRun: boolean) => setResult((await run(client.call('devices.testPrint', { id: device.config.id, dryRun }))) ?? result);
  return (
    <div className="device-print">
      <div className="actions">
        <button type="button" className="btn" onClick={() => void go(true)} data-testid={`preview-${device.config.id}`}>
          {t('testPrint.preview')}
        </button>
        <button type="button" className="btn btn-primary" onClick={() => void go(false)} data-testid={`test-print-${device.config.id}`}>
          {t('testPrint.print')}
        </button>
      </div>
      {result ? (
        <figure className="device-preview">
          <img src={result.previewPng} alt={t('testPrint.preview')} data-testid={`preview-image-${device.config.id}`} />
          {result.printed && result.status.state === 'error' && result.status.reason ? (
            // The job went out but the printer reports a fault (paper out…): it did not print.
            <figcaption className="devices-error" role="alert" data-testid={`test-print-fault-${device.config.id}`}>
              {t('testPrint.notPrinted', { fault: deviceReasonText(t, result.status.reason) })}
            </figcaption>
          ) : result.printed ? (
            <figcaption className="device-ok">{t('testPrint.printed')}</figcaption>
          ) : null}
        </figure>
      ) : null}
    </div>
  );
}

function Discovery({ run, onSaved }: { run: Run; onSaved: (next: DevicesView) => void }) {
  const { t } = useStationTranslation('devices');
  const client = useStation();
  const [found, setFound] = useState<DiscoveryView | null>(null);
  const [searching, setSearching] = useState(false);
  const [picked, setPicked] = useState<DeviceSource | null>(null);

  const search = async () => {
    setSearching(true);
    setFound(await run(client.call('devices.discover', {})));
    setSearching(false);
  };
  const save = async (device: DeviceConfig) => {
    const next = await run(client.call('devices.save', { device }));
    if (next) {
      onSaved(next);
      setPicked(null);
    }
  };

  if (picked) return <DeviceForm source={picked} onSave={(d) => void save(d)} onCancel={() => setPicked(null)} />;

  return (
    <div className="discovery" data-testid="discovery">
      <h3 className="panel-heading">{t('discover.heading')}</h3>
      <div className="actions">
        <button type="button" className="btn btn-primary" onClick={() => void search()} disabled={searching} data-testid="discover">
          {searching ? t('discover.searching') : t('discover.refresh')}
        </button>
        <button type="button" className="btn" onClick={() => setPicked({ kind: 'network' })}>
          {t('form.addNetworkPrinter')}
        </button>
      </div>
      {found ? (
        <>
          <h4>{t('discover.serial')}</h4>
          {found.serial.length === 0 ? <p className="members-empty">{t('discover.none')}</p> : null}
          <ul className="discovery-list">
            {found.serial.map((p) => {
              const label = `${p.path}${p.manufacturer ? ` · ${p.manufacturer}` : ''}${p.vendorId ? ` · ${p.vendorId}:${p.productId ?? ''}` : ''}`;
              return (
                <li key={p.path}>
                  <span>{label}</span>
                  <button type="button" className="btn" onClick={() => setPicked({ kind: 'serial', path: p.byId ?? p.path, label })}>
                    {t('discover.pick')}
                  </button>
                </li>
              );
            })}
          </ul>
          <h4>{t('discover.hid')}</h4>
          {found.hid.length === 0 ? <p className="members-empty">{t('discover.none')}</p> : null}
          <ul className="discovery-list">
            {found.hid.map((h) => {
              const label = `${[h.manufacturer, h.product].filter(Boolean).join(' ') || t('discover.unknownVendor')} · ${hex(h.vendorId)}:${hex(h.productId)}`;
              return (
                <li key={h.path}>
                  <span>
                    {label}
                    {h.barcodeScanner ? <em> · {t('discover.barcodeScanner')}</em> : null}
                  </span>
                  <button type="button" className="btn" onClick={() => setPicked({ kind: 'hid', vendorId: h.vendorId, productId: h.productId, serialNumber: h.serialNumber, label })}>
                    {t('discover.pick')}
                  </button>
                </li>
              );
            })}
          </ul>
          {found.warnings.length ? <p className="devices-warning">{t('discover.warnings', { detail: found.warnings.join('; ') })}</p> : null}
        </>
      ) : null}
    </div>
  );
}
