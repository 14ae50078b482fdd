import fs from 'node:fs';
import path from 'node:path';
import { SerialPort } from 'serialport';

export type SerialPortInfo = {
  path: string;
  vendorId: string | null;
  productId: string | null;
  manufacturer: string | null;
  serialNumber: string | null;
  /** A stable name under /dev/serial/by-id when udev made one: survives re-plugging. */
  byId: string | null;
};

export type SerialDiscovery = { ports: SerialPortInfo[]; warnings: string[] };

const DEVICE_NAME = /^tty(USB|ACM|S|AMA|WCH|XRUSB)\d+$/;

/** Serial ports by stable name: works without udevadm as long as udev made the links. */
function byIdLinks(): Map<string, string> {
  const dir = '/dev/serial/by-id';
  const links = new Map<string, string>();
  try {
    for (const name of fs.readdirSync(dir)) {
      const link = path.join(dir, name);
      links.set(fs.realpathSync(link), link);
    }
  } catch {
    // No by-id folder: no udev, or nothing plugged in.
  }
  return links;
}

/**
 * Lists serial ports. serialport's own listing runs `udevadm`; when that is missing or fails,
 * the ports are read from /dev instead (without vendor ids) and the failure becomes a warning.
 */
export async function discoverSerialPorts(): Promise<SerialDiscovery> {
  const warnings: string[] = [];
  const links = byIdLinks();
  try {
    const listed = await SerialPort.list();
    return {
      warnings,
      ports: listed.map((p) => ({
        path: p.path,
        vendorId: p.vendorId ?? null,
        productId: p.productId ?? null,
        manufacturer: p.manufacturer ?? null,
        serialNumber: p.serialNumber ?? null,
        byId: links.get(p.path) ?? null,
      })),
    };
  } catch (err) {
    warnings.push(`serial.listFailed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200));
  }
  let names: string[] = [];
  try {
    names = fs.readdirSync('/dev').filter((n) => DEVICE_NAME.test(n) && !/^ttyS\d+$/.test(n));
  } catch {
    warnings.push('serial.devUnreadable');
  }
  return {
    warnings,
    ports: names.map((n) => {
      const p = `/dev/${n}`;
      return { path: p, vendorId: null, productId: null, manufacturer: null, serialNumber: null, byId: links.get(p) ?? null };
    }),
  };
}
