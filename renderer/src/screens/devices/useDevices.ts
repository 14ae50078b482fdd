import { useCallback, useEffect, useRef, useState } from 'react';
import type { DevicesView } from '../../../../electron/api/devices';
import { useConnection, useStation } from '../../app/station';

/**
 * The station's devices as the core reports them: listed whenever the link comes up, then kept
 * live by `device.status` and `thermometer.reading` events.
 */
export function useDevices(): { devices: DevicesView | null; refresh: () => void; replace: (next: DevicesView) => void } {
  const client = useStation();
  const connection = useConnection();
  const [devices, setDevices] = useState<DevicesView | null>(null);
  const latest = useRef<DevicesView | null>(null);
  useEffect(() => {
    latest.current = devices;
  }, [devices]);

  const refresh = useCallback(() => {
    void client.call('devices.list', {}).then((result) => {
      if (result.ok) setDevices(result.value);
    });
  }, [client]);

  useEffect(() => {
    if (connection === 'online') refresh();
  }, [connection, refresh]);

  useEffect(() => {
    const offStatus = client.on('device.status', ({ id, status }) => {
      // A device the list does not know yet (mode switched, device added elsewhere): ask again.
      if (latest.current && !latest.current.devices.some((d) => d.config.id === id)) return refresh();
      setDevices((current) => (current ? { ...current, devices: current.devices.map((d) => (d.config.id === id ? { ...d, status } : d)) } : current));
    });
    const offReading = client.on('thermometer.reading', ({ id, celsius, at }) => {
      setDevices((current) =>
        current ? { ...current, devices: current.devices.map((d) => (d.config.id === id ? { ...d, lastReading: { celsius, at } } : d)) } : current,
      );
    });
    return () => {
      offStatus();
      offReading();
    };
  }, [client, refresh]);

  return { devices, refresh, replace: setDevices };
}
