import fs from 'node:fs';
import { discoverSerialPorts } from './discover';

/**
 * Which paths a device driver may open for writing. A path comes from a stored setting that
 * staff (or anything that can call the API) chose, so it is never trusted: a printer or a port
 * pointed at a file would overwrite it with label bytes.
 *
 * - A serial port is one that discovery lists (resolved through links such as
 *   /dev/serial/by-id), and a character device.
 * - A USB printer is the Linux printer class device, /dev/usb/lp<N>, a character device; on
 *   Windows and macOS USB printers are reached through the OS print queue instead.
 * - `pseudoTerminals`: also a pseudo-terminal (/dev/pts/<N>). For the socat pty pairs of the
 *   training simulators (the app makes those itself) and of the test harness; a setting cannot
 *   ask for it. Even then a path must be a character device: never a file.
 */
export type SerialPathPolicy = { pseudoTerminals?: boolean };

/** Why a device path was refused: a code staff are shown in words. */
export type DevicePathRefusal = 'notADevice' | 'notListed' | 'notUsbPrinter';

export class DevicePathError extends Error {
  readonly code = 'device.pathRefused';
  constructor(
    readonly reason: DevicePathRefusal,
    readonly path: string,
  ) {
    super(`device path refused (${reason}): ${path}`);
  }
}

export const USB_PRINTER_PATH = /^\/dev\/usb\/lp\d{1,3}$/;
const PSEUDO_TERMINAL = /^\/dev\/pts\/\d{1,6}$/;

/**
 * The real path of a serial port the policy allows; throws DevicePathError when it is not one,
 * or the OS error (ENOENT: not plugged in) when it cannot be looked at.
 */
export async function resolveSerialPort(path: string, policy: SerialPathPolicy = {}): Promise<string> {
  if (process.platform === 'win32') {
    const listed = (await discoverSerialPorts()).ports.some((p) => p.path.toUpperCase() === path.toUpperCase());
    if (!listed) throw new DevicePathError('notListed', path);
    return path;
  }
  const real = await fs.promises.realpath(path);
  if (!(await fs.promises.stat(real)).isCharacterDevice()) throw new DevicePathError('notADevice', path);
  if (policy.pseudoTerminals && PSEUDO_TERMINAL.test(real)) return real;
  const discovery = await discoverSerialPorts();
  const listed = await Promise.all(discovery.ports.map((p) => fs.promises.realpath(p.path).catch(() => p.path)));
  if (!listed.includes(real)) throw new DevicePathError('notListed', path);
  return real;
}

/** The real path of a USB printer device (Linux only); same failures as resolveSerialPort. */
export async function resolveUsbPrinter(path: string): Promise<string> {
  if (process.platform !== 'linux') throw new DevicePathError('notUsbPrinter', path);
  const real = await fs.promises.realpath(path);
  if (!USB_PRINTER_PATH.test(real)) throw new DevicePathError('notUsbPrinter', path);
  if (!(await fs.promises.stat(real)).isCharacterDevice()) throw new DevicePathError('notADevice', path);
  return real;
}

/**
 * A device path as it may be saved: refused now when it exists and is not allowed; a path that
 * is not there yet (unplugged) is kept and checked again whenever it is opened.
 */
export async function checkSavedDevicePath(kind: 'serial' | 'usb-printer', path: string, policy: SerialPathPolicy = {}): Promise<void> {
  try {
    if (kind === 'serial') await resolveSerialPort(path, policy);
    else await resolveUsbPrinter(path);
  } catch (err) {
    if (err instanceof DevicePathError) throw err;
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    if (kind === 'usb-printer' && (process.platform !== 'linux' || !USB_PRINTER_PATH.test(path))) throw new DevicePathError('notUsbPrinter', path);
  }
}
