import { useState, type FormEvent } from 'react';
import type { DeviceConfig } from '../../../../electron/api/devices';
import { useStationTranslation } from '../../i18n';

/** Where a new device is: a serial port, a HID device, or a network printer. */
export type DeviceSource =
  | { kind: 'serial'; path: string; label: string }
  | { kind: 'hid'; vendorId: number; productId: number; serialNumber: string | null; label: string }
  | { kind: 'network' };

type Kind = DeviceConfig['kind'];

const LANGUAGES = ['zpl', 'tspl', 'epl', 'escpos'] as const;

function slug(text: string): string {
  const base = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `${base || 'device'}-${Date.now().toString(36).slice(-4)}`;
}

type PrinterFields = { language?: (typeof LANGUAGES)[number]; dpi?: 203 | 300; transport?: { kind?: string; host?: string; port?: number; path?: string; baudRate?: number } };

/** Where a configured device is, so editing it keeps its port or USB ids. */
export function sourceOf(config: DeviceConfig): DeviceSource | null {
  if (config.kind === 'scanner' && config.driver === 'hid-pos')
    return { kind: 'hid', vendorId: config.vendorId, productId: config.productId, serialNumber: config.serialNumber, label: config.name };
  if (config.kind === 'printer') {
    const transport = (config.printer as PrinterFields).transport;
    if (transport?.kind === 'tcp') return { kind: 'network' };
    return transport?.kind === 'serial' && transport.path ? { kind: 'serial', path: transport.path, label: transport.path } : null;
  }
  if (config.driver === 'serial') return { kind: 'serial', path: config.path, label: config.path };
  return null;
}

/**
 * Settings for a device picked from the discovered list (or one being changed): staff choose what
 * it is and how it talks; the port or USB ids come from the pick, never typed by hand.
 */
export function DeviceForm({ source, initial, onSave, onCancel }: { source: DeviceSource; initial?: DeviceConfig; onSave: (device: DeviceConfig) => void; onCancel: () => void }) {
  const { t } = useStationTranslation('devices');
  const kinds: Kind[] = initial ? [initial.kind] : source.kind === 'hid' ? ['scanner'] : source.kind === 'network' ? ['printer'] : ['scanner', 'thermometer', 'printer'];
  const printer: PrinterFields = initial?.kind === 'printer' ? (initial.printer as PrinterFields) : {};
  const [kind, setKind] = useState<Kind>(kinds[0]!);
  const [name, setName] = useState(initial?.name ?? (source.kind === 'network' ? t('kind.printer') : source.label));
  const [baudRate, setBaudRate] = useState(initial && 'baudRate' in initial ? initial.baudRate : (printer.transport?.baudRate ?? 9600));
  const [terminator, setTerminator] = useState<'cr' | 'lf' | 'crlf' | 'none'>(initial && 'terminator' in initial ? initial.terminator : 'cr');
  const [aimPrefix, setAimPrefix] = useState(initial && 'aimPrefix' in initial ? initial.aimPrefix : false);
  const [layout, setLayout] = useState<'aim-header' | 'symbology-trailer'>(initial && 'layout' in initial ? initial.layout : 'aim-header');
  const [protocol, setProtocol] = useState<'ascii' | 'ir9' | 'modbus'>(initial?.kind === 'thermometer' ? initial.protocol : 'ir9');
  const [language, setLanguage] = useState<(typeof LANGUAGES)[number]>(printer.language ?? 'zpl');
  const [dpi, setDpi] = useState<203 | 300>(printer.dpi ?? 203);
  const [host, setHost] = useState(printer.transport?.host ?? '');
  const [tcpPort, setTcpPort] = useState(printer.transport?.port ?? 9100);

  const build = (): DeviceConfig => {
    const common = { id: initial?.id ?? slug(name), name: name.trim() || t(`kind.${kind}`), enabled: initial?.enabled ?? true };
    if (source.kind === 'hid') return { ...common, kind: 'scanner', driver: 'hid-pos', vendorId: source.vendorId, productId: source.productId, serialNumber: source.serialNumber, layout };
    if (kind === 'printer') {
      const transport = source.kind === 'network' ? { kind: 'tcp', host: host.trim(), port: tcpPort } : { kind: 'serial', path: source.path, baudRate };
      return { ...common, kind: 'printer', driver: 'printer', printer: { language, dpi, transport } };
    }
    if (source.kind !== 'serial') throw new Error('a serial device needs a port');
    if (kind === 'thermometer') {
      // Calibration and burst settings are kept: the offset changes only through calibration.
      const kept = initial?.kind === 'thermometer' ? initial : { offsetC: 0, toleranceC: 0.2, samples: 3, gapMs: 1500 };
      return { ...common, kind: 'thermometer', driver: 'serial', path: source.path, baudRate, protocol, offsetC: kept.offsetC, toleranceC: kept.toleranceC, samples: kept.samples, gapMs: kept.gapMs };
    }
    return { ...common, kind: 'scanner', driver: 'serial', path: source.path, baudRate, terminator, idleMs: initial && 'idleMs' in initial ? initial.idleMs : 60, aimPrefix };
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSave(build());
  };

  return (
    <form className="device-form" onSubmit={submit} data-testid="device-form">
      <h3 className="panel-heading">{t('form.heading')}</h3>
      {source.kind !== 'network' ? <p className="device-form-source">{source.label}</p> : null}
      <label>
        {t('form.kind')}
        <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} data-testid="device-form-kind">
          {kinds.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('form.name')}
        <input value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
      </label>
      {source.kind === 'serial' ? (
        <label>
          {t('form.baudRate')}
          <select value={baudRate} onChange={(e) => setBaudRate(Number(e.target.value))}>
            {[9600, 19200, 38400, 57600, 115200].map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {source.kind === 'serial' && kind === 'scanner' ? (
        <>
          <label>
            {t('form.terminator')}
            <select value={terminator} onChange={(e) => setTerminator(e.target.value as typeof terminator)}>
              {(['cr', 'lf', 'crlf', 'none'] as const).map((v) => (
                <option key={v} value={v}>
                  {t(`form.terminators.${v}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="device-form-check">
            <input type="checkbox" checked={aimPrefix} onChange={(e) => setAimPrefix(e.target.checked)} />
            {t('form.aimPrefix')}
          </label>
        </>
      ) : null}
      {source.kind === 'hid' ? (
        <label>
          {t('form.layout')}
          <select value={layout} onChange={(e) => setLayout(e.target.value as typeof layout)}>
            {(['aim-header', 'symbology-trailer'] as const).map((v) => (
              <option key={v} value={v}>
                {t(`form.layouts.${v}`)}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {kind === 'thermometer' ? (
        <label>
          {t('form.protocol')}
          <select value={protocol} onChange={(e) => setProtocol(e.target.value as typeof protocol)}>
            {(['ascii', 'ir9', 'modbus'] as const).map((v) => (
              <option key={v} value={v}>
                {t(`form.protocols.${v}`)}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {kind === 'printer' ? (
        <>
          <label>
            {t('form.language')}
            <select value={language} onChange={(e) => setLanguage(e.target.value as typeof language)}>
              {LANGUAGES.map((v) => (
                <option key={v} value={v}>
                  {v.toUpperCase()}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('form.dpi')}
            <select value={dpi} onChange={(e) => setDpi(Number(e.target.value) === 300 ? 300 : 203)}>
              <option value={203}>203 dpi</option>
              <option value={300}>300 dpi</option>
            </select>
          </label>
        </>
      ) : null}
      {source.kind === 'network' ? (
        <>
          <label>
            {t('form.host')}
            <input value={host} required maxLength={255} onChange={(e) => setHost(e.target.value)} placeholder="192.168.1.50" />
          </label>
          <label>
            {t('form.tcpPort')}
            <input type="number" min={1} max={65535} value={tcpPort} onChange={(e) => setTcpPort(Number(e.target.value))} />
          </label>
        </>
      ) : null}
      <div className="actions">
        <button type="submit" className="btn btn-primary" data-testid="device-form-save">
          {t('form.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  );
}
