import { it } from 'vitest';
import type { DeviceEvents } from '../../electron/api/devices';
import type { WireEvent } from '../../electron/api/wire';
import { StationCore } from '../../electron/core/core';
import { openPeer, writeAll } from '../../native/scanner/simulator';
import { SerialLink } from '../../native/serial/link';
import { encodeIr9, encodeModbusReply, asciiLineDecoder, ir9Decoder, modbusDecoder, type ThermometerDecoder } from '../../native/thermometer/codecs';
import { freshFolder } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { ptyFixture, until } from '../helpers/pty';
import { ms, report, summarize } from '../helpers/stats';

const FRAMES = 200_000;
/** Chunks the size a USB CDC device usually delivers. */
const CHUNK = 64;

function framesPerSecond(decoder: ThermometerDecoder, stream: Buffer): { perSecond: number; decoded: number } {
  let decoded = 0;
  const start = performance.now();
  for (let at = 0; at < stream.length; at += CHUNK) decoded += decoder.push(stream.subarray(at, at + CHUNK)).length;
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: decoded / seconds, decoded };
}

it('devices: thermometer frames parsed per second', () => {
  const values = Array.from({ length: FRAMES }, (_, i) => 35 + (i % 50) / 10);
  const modbus = { address: 1, register: 0, scale: 10 };
  const streams = {
    'ascii line (T=36.5C)': Buffer.from(values.map((v) => `T=${v.toFixed(1)}C\r\n`).join(''), 'latin1'),
    'IR 9-byte frame (66 66)': Buffer.concat(values.map((v) => encodeIr9(v))),
    'Modbus RTU reply (CRC16)': Buffer.concat(values.map((v) => encodeModbusReply(modbus, v))),
  };
  const decoders = { 'ascii line (T=36.5C)': asciiLineDecoder(), 'IR 9-byte frame (66 66)': ir9Decoder(), 'Modbus RTU reply (CRC16)': modbusDecoder(modbus) };
  const rows: [string, string][] = [];
  for (const [name, stream] of Object.entries(streams)) {
    const r = framesPerSecond(decoders[name as keyof typeof decoders], stream);
    if (r.decoded !== FRAMES) throw new Error(`${name}: decoded ${r.decoded} of ${FRAMES}`);
    rows.push([name, `${Math.round(r.perSecond).toLocaleString('en')} frames/s (${FRAMES.toLocaleString('en')} frames in ${CHUNK}-byte chunks)`]);
  }
  report('thermometer decoding', rows);
});

it('devices: serial scanner last byte to binding committed', async () => {
  const pty = await ptyFixture();
  const core = new StationCore({ ...freshFolder('station-bench-'), devices: 'real', deviceOptions: { pseudoTerminals: true } });
  // The outcome's arrival time is taken in the event itself, not by polling.
  let waiting: ((outcome: { at: number; event: DeviceEvents['scan.outcome'] }) => void) | null = null;
  core.subscribe((e: WireEvent) => {
    if (e.event === 'scan.outcome') waiting?.({ at: performance.now(), event: e.payload as DeviceEvents['scan.outcome'] });
  });
  try {
    await core.invoke('desk.setCapacity', { capacity: 20 });
    const saved = await core.invoke('devices.save', {
      device: { id: 'bench-scanner', name: 'Bench scanner', enabled: true, kind: 'scanner', driver: 'serial', path: pty.devicePath, baudRate: 115200, terminator: 'cr', idleMs: 60, aimPrefix: false },
    });
    if (!saved.ok) throw new Error(JSON.stringify(saved.error));
    await until(() => core.devices.list().devices.some((d) => d.config.id === 'bench-scanner' && d.status.state === 'connected'), 5000, 'scanner connected');
    const peer = await openPeer(pty.peerPath, 115200);

    const scan = async (text: string): Promise<number> => {
      const arrived = new Promise<{ at: number; event: DeviceEvents['scan.outcome'] }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no scan outcome')), 5000);
        waiting = (o) => {
          clearTimeout(timer);
          waiting = null;
          resolve(o);
        };
      });
      await writeAll(peer, Buffer.from(`${text}\r`, 'latin1'));
      // The last byte is in the pty once the write has drained.
      const start = performance.now();
      const outcome = await arrived;
      if (!outcome.event.result.ok) throw new Error(JSON.stringify(outcome.event.result.error));
      return outcome.at - start;
    };

    const latencies: number[] = [];
    let person = 0;
    for (let t = 1; t <= 15; t++) {
      await scan(tubeCode(t));
      for (let p = 0; p < 20; p++) latencies.push(await scan(idNumber(++person)));
    }
    const bindings = core.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'binding.created'`).get() as { n: number };
    if (bindings.n !== person) throw new Error(`journal has ${bindings.n} bindings, expected ${person}`);
    const s = summarize(latencies);
    report('serial scanner: last byte written to the pty -> binding committed (scan.outcome event)', [
      ['bindings', String(s.n)],
      ['p50', ms(s.p50)],
      ['p99', ms(s.p99)],
      ['max', ms(s.max)],
      ['note', 'includes the pty hop, framing, scan.submit, the durable commit (fsync) and the event'],
    ]);
    await new Promise<void>((resolve) => peer.close(() => resolve()));
  } finally {
    await core.devices.stop();
    core.close();
    await pty.close();
  }
});

it('devices: re-plug to reconnected', async () => {
  const pty = await ptyFixture();
  const link = new SerialLink({ path: pty.devicePath, baudRate: 9600, pathPolicy: { pseudoTerminals: true } });
  link.start();
  try {
    await until(() => link.status.state === 'connected', 5000, 'connected');
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      await pty.unplug();
      await until(() => link.status.state !== 'connected', 5000, 'unplug noticed');
      await pty.plug();
      const start = performance.now();
      const connected = new Promise<void>((resolve) => {
        const onStatus = (s: { state: string }) => {
          if (s.state !== 'connected') return;
          link.off('status', onStatus);
          resolve();
        };
        link.on('status', onStatus);
      });
      await connected;
      samples.push(performance.now() - start);
    }
    const s = summarize(samples);
    report('serial device re-plugged (pty pair reopened) -> port open again (promise: under 2 s)', [
      ['re-plugs', String(s.n)],
      ['p50', ms(s.p50)],
      ['p99', ms(s.p99)],
      ['max', ms(s.max)],
    ]);
  } finally {
    await link.stop();
    await pty.close();
  }
});
