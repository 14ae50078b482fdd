import type { DiscoveryView } from '../../api/devices';
import { BARCODE_SCANNER_USAGE_PAGE, HidUnavailableError, type HidBoundary } from '../../../native/hid/boundary';
import { discoverSerialPorts } from '../../../native/serial/discover';

/**
 * What is plugged in: serial ports and HID devices with vendor/product ids, for staff to pick
 * from. Each half fails on its own (no udevadm, no libusb) and says so in `warnings`.
 */
export async function discoverDevices(hid: HidBoundary): Promise<DiscoveryView> {
  const serial = await discoverSerialPorts();
  const warnings = [...serial.warnings];
  let hidDevices: DiscoveryView['hid'] = [];
  try {
    hidDevices = (await hid.devices()).map((d) => ({
      path: d.path,
      vendorId: d.vendorId,
      productId: d.productId,
      manufacturer: d.manufacturer,
      product: d.product,
      serialNumber: d.serialNumber,
      usagePage: d.usagePage,
      barcodeScanner: d.usagePage === BARCODE_SCANNER_USAGE_PAGE,
    }));
  } catch (err) {
    const reason = err instanceof HidUnavailableError ? err.reason : err instanceof Error ? err.message : String(err);
    warnings.push(`hid.unavailable: ${reason}`.slice(0, 200));
  }
  return { serial: serial.ports, hid: hidDevices, warnings };
}
