import fs from 'node:fs';
import path from 'node:path';
import type { DeviceConfig, DiscoveryView } from '../../api/devices';
import { StationCore } from '../../core/core';
import { discoverDevices } from '../../core/devices/discovery';
import { readDeviceSettings } from '../../core/devices/settings';
import { defaultDataDir } from '../../core/paths';
import { nodeHidBoundary } from '../../../native/hid/boundary';
import { parseOptions } from '../args';
import { dataKeyForCli, KEY_OPTIONS, KEY_USAGE } from '../data-key';
import type { CliCommand } from './types';

const hex = (n: number) => n.toString(16).padStart(4, '0');

function describeConfig(d: DeviceConfig): string {
  if (d.kind === 'scanner' && d.driver === 'serial') return `${d.path} ${d.baudRate} baud, ends ${d.terminator}`;
  if (d.kind === 'scanner' && d.driver === 'hid-pos') return `HID ${hex(d.vendorId)}:${hex(d.productId)} ${d.layout}`;
  if (d.kind === 'scanner') return 'keyboard wedge';
  if (d.kind === 'thermometer') return `${d.path} ${d.baudRate} baud, ${d.protocol}, offset ${d.offsetC} °C`;
  return 'label printer';
}

export function formatDevices(found: DiscoveryView, configured: DeviceConfig[] | null, mode: string | null): string {
  const lines: string[] = ['Serial ports:'];
  if (!found.serial.length) lines.push('  (none)');
  for (const p of found.serial) {
    const ids = p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '----:----';
    lines.push(`  ${p.path.padEnd(16)} ${ids}  ${p.manufacturer ?? ''}${p.byId ? `  (${p.byId})` : ''}`.trimEnd());
  }
  lines.push('HID devices:');
  if (!found.hid.length) lines.push('  (none)');
  for (const h of found.hid) {
    const page = h.usagePage === null ? '' : ` page 0x${h.usagePage.toString(16)}`;
    lines.push(`  ${hex(h.vendorId)}:${hex(h.productId)}  ${[h.manufacturer, h.product].filter(Boolean).join(' ')}${page}${h.barcodeScanner ? '  [HID POS scanner]' : ''}  ${h.path}`);
  }
  if (configured) {
    lines.push(`Configured devices (mode: ${mode}):`);
    if (!configured.length) lines.push('  (none)');
    for (const d of configured) lines.push(`  ${d.id.padEnd(16)} ${d.kind.padEnd(12)} ${d.name}: ${describeConfig(d)}${d.enabled ? '' : ' (disabled)'}`);
  }
  for (const w of found.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export const devices: CliCommand = {
  name: 'devices',
  summary: 'list attached serial ports and HID devices, and the configured devices',
  usage: `station devices [--data DIR] [--json] ${KEY_USAGE}`,
  async run(argv) {
    const { values } = parseOptions(argv, { data: { type: 'string' }, json: { type: 'boolean' }, ...KEY_OPTIONS }, this.usage);
    const dataDir = path.resolve(values.data ?? defaultDataDir());
    const found = await discoverDevices(nodeHidBoundary);
    let configured: DeviceConfig[] | null = null;
    let mode: string | null = null;
    // Listing never creates a station: configured devices are shown only when one exists.
    if (fs.existsSync(path.join(dataDir, 'station.db'))) {
      const core = new StationCore({ dataDir, dataKey: await dataKeyForCli(dataDir, values), devices: 'off' });
      try {
        const settings = readDeviceSettings(core.db);
        configured = settings.devices;
        mode = settings.mode;
      } finally {
        await core.devices.stop();
        core.close();
      }
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ ...found, configured, mode }, null, 2)}\n`);
    else process.stdout.write(`${formatDevices(found, configured, mode)}\n`);
    return 0;
  },
};
