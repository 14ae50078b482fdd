/**
 * The unattended sentinel (数字哨兵): a gate with nobody signed in. Its scans go through the
 * gate's own `gate.scan` (the same passage, verdict and reading rule), and what comes back is cut
 * down to what the person in front of the kiosk may see and hear (`SentinelView`): their name,
 * the temperature and what to do. Why a passage stops (a key-person list, a result, isolation)
 * is never shown or said there: it is "please contact staff", and the gate keeper reads the
 * reason on their own screen.
 */
import type { ApiError, ArgsOf, Result, ValueOf } from '../../api/contract';
import type { GatePassageView, GateScanOutcome } from '../../api/gate';
import type { SentinelHandlers, SentinelPrompt, SentinelState, SentinelView } from '../../api/sentinel';
import type { DevicesView } from '../../api/devices';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { createLogger } from '../log';
import type { GateRecords } from './records';

const log = createLogger('sentinel');

type Impl = { [M in keyof SentinelHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** What the person is told about their passage. */
export function promptOf(passage: GatePassageView): SentinelPrompt {
  const { verdict, temperature } = passage;
  if (temperature.state === 'fever') return 'fever';
  if (temperature.state === 'remeasure') return 'remeasure';
  // Anything that stops or needs a check (a key person, a result, an outsider, the entry rule) is staff's, said as such.
  if (verdict.reasons.some((r) => r !== 'temperature.awaiting')) return 'staff';
  if (temperature.state === 'awaiting') return 'measure';
  return 'pass';
}

/**
 * The kiosk's view of a passage: nothing but the name, the temperature and what to do. Its id
 * names the passage's state, so the same state told twice (the scan's answer and its event) is
 * spoken once.
 */
export function sentinelView(passage: GatePassageView): SentinelView {
  const prompt = promptOf(passage);
  const latest = passage.temperature.readings.at(-1);
  return {
    id: `${passage.id}:${prompt}:${passage.temperature.readings.length}`,
    passageId: passage.id,
    at: passage.at,
    name: passage.person.name,
    prompt,
    // While a reading is awaited the screen is neither green nor red: amber, "please measure".
    level: prompt === 'measure' ? 'check' : passage.verdict.level,
    final: prompt !== 'measure' && prompt !== 'remeasure',
    temperature: passage.temperature.state,
    celsius: latest?.celsius ?? null,
  };
}

/** A scan that made no passage: a pass refused, or a code that is nobody's. */
export function refusedView(error: ApiError, at: Date): SentinelView {
  const prompt: SentinelPrompt = error.code.startsWith('gate.pass') ? 'passInvalid' : 'unreadable';
  return { id: newId(), passageId: null, at: at.toISOString(), name: null, prompt, level: prompt === 'passInvalid' ? 'stop' : 'check', final: true, temperature: null, celsius: null };
}

export type SentinelHost = {
  records: GateRecords;
  /** The gate's own scan (`gate.scan`), called without a session: the sentinel's scans are the station's. */
  gateScan(args: ArgsOf<'gate.scan'>): Promise<Result<GateScanOutcome>>;
  devices(): DevicesView;
  site(): { site: string; station: string };
  now(): Date;
  /** Tells the kiosk (`sentinel.verdict`). */
  verdict(view: SentinelView): void;
};

export function requireSentinel(records: GateRecords): void {
  if (records.workplace().workplace !== 'sentinel') throw new DomainError('sentinel.notSentinel');
}

function thermometerState(devices: DevicesView): SentinelState['thermometer'] {
  const thermometers = devices.devices.filter((d) => d.config.kind === 'thermometer' && d.config.enabled);
  if (thermometers.length === 0) return 'none';
  return thermometers.some((d) => d.status.state === 'connected') ? 'connected' : 'disconnected';
}

export function sentinelHandlers(host: SentinelHost): Impl {
  return {
    'sentinel.state': async () => {
      const { workplace, direction } = host.records.workplace();
      return { active: workplace === 'sentinel', direction, ...host.site(), feverC: host.records.settings().feverC, thermometer: thermometerState(host.devices()) };
    },
    'sentinel.scan': async ({ text, source }) => {
      requireSentinel(host.records);
      const result = await host.gateScan({ text, source });
      if (!result.ok) {
        const view = refusedView(result.error, host.now());
        log.info({ source, prompt: view.prompt, refused: result.error.code }, 'sentinel scan refused');
        host.verdict(view);
        return view;
      }
      if (result.value.kind !== 'gate.passage') {
        // A staff badge is a sign-in step (`operator.identify`, as the screen and the device scanners do): nothing is said to the queue.
        throw new DomainError('request.invalid', { method: 'sentinel.scan', field: 'text', detail: 'a staff badge: sign in with it' });
      }
      // The passage was told to the kiosk as it was made (the gate's `passageChanged`).
      const view = sentinelView(result.value.passage);
      log.info({ source, prompt: view.prompt, passageId: view.passageId }, 'sentinel scan');
      return view;
    },
  };
}
