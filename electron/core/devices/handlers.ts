import type { ArgsOf, ValueOf } from '../../api/contract';
import type { DeviceHandlers } from '../../api/devices';
import type { DeviceManager } from './manager';

type Impl = { [M in keyof DeviceHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** The devices part of the API, backed by the core's DeviceManager. */
export function deviceHandlers(devices: DeviceManager): Impl {
  return {
    'devices.list': async () => devices.settledList(),
    'devices.discover': async () => devices.discover(),
    'devices.save': async ({ device }) => devices.save(device),
    'devices.remove': async ({ id }) => devices.remove(id),
    'devices.setMode': async ({ mode }) => devices.setMode(mode),
    'devices.calibrate': async ({ id, offsetC, reason }) => devices.calibrate(id, offsetC, reason),
    'devices.simulate': async ({ id, scan, celsius }) => devices.simulate(id, { scan, celsius }),
    'devices.testPrint': async ({ id, dryRun }) => devices.testPrint(id, dryRun),
  };
}
