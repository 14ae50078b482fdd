import type { ArgsOf, ValueOf } from '../../api/contract';
import type { GateHandlers, GateSettingsView, WorkplaceView } from '../../api/gate';
import type { Writer } from '../db/writer';
import { DomainError } from '../errors';
import { createLogger } from '../log';
import type { Session } from '../operators/session';
import type { Passes } from '../passes/passes';
import type { ScanRouter } from '../scan/router';
import type { Gate } from './gate';
import { siteHour } from './settings';
import type { Vehicles } from './vehicles';
import type { Visitors } from './visitors';

const log = createLogger('gate');

type Impl = { [M in keyof GateHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type GateApiHost = {
  writer: Writer;
  session: Session;
  router: () => ScanRouter;
  /** Resident passes: who a scanned pass names, or why it is refused. */
  passes: Pick<Passes, 'holder'>;
  now: () => Date;
  /** What the station works as, or the gate's direction, changed. */
  workplaceChanged(view: WorkplaceView): void;
};

/** The gate part of the API, backed by the core's Gate, its visitors and its vehicle lane. */
export function gateHandlers(gate: Gate, host: GateApiHost, lanes: { visitors: Visitors; vehicles: Vehicles }): Impl {
  const records = gate.records;
  const { visitors, vehicles } = lanes;
  const today = () => siteHour(host.now().getTime()).day;
  const settings = (): GateSettingsView => ({ ...records.workplace(), ...records.settings() });
  const changePlace = async (fn: () => WorkplaceView): Promise<WorkplaceView> => {
    const view = await host.writer.run(fn);
    records.adopt(view);
    host.workplaceChanged(view);
    return view;
  };
  return {
    'station.workplace': async () => records.workplace(),
    'station.setWorkplace': async ({ workplace }) => changePlace(() => records.setWorkplace(workplace, host.now())),
    'gate.settings': async () => settings(),
    'gate.setDirection': async ({ direction }) => {
      await changePlace(() => records.setDirection(direction));
      return settings();
    },
    'gate.scan': async ({ text, source, direction }) => {
      gate.requireGate();
      const classified = host.router().classify(text);
      log.info({ source, kind: classified.ok ? classified.scan.kind : classified.error.code }, 'gate scan');
      if (classified.ok && classified.scan.kind === 'badge') {
        // Switching operator at the gate, as at the desk: the badge names them, their PIN signs them in.
        return { kind: 'operator.pinNeeded', operator: host.session.identify(classified.scan.code), badge: classified.scan.code };
      }
      if (!classified.ok) {
        // Someone stood there with a code that identified nobody (an empty scan is the scanner's, not theirs).
        if (classified.error.code !== 'scan.empty') gate.presentedNobody();
        throw new DomainError(classified.error.code, classified.error.params);
      }
      if (classified.scan.kind === 'pass') {
        const { code, intact } = classified.scan;
        const check = () => host.passes.holder(code, intact, host.now());
        const holder = (() => {
          try {
            return check();
          } catch (err) {
            // Someone stood there with a pass that let nobody through: it parts the readings around it.
            gate.presentedNobody();
            throw err;
          }
        })();
        const person = { idNumber: holder.idNumber, regCode: null, name: holder.name, phone: null };
        const passage = await gate.pass(person, 'pass', direction ?? records.workplace().direction, { id: holder.passId, household: holder.household, recheck: check });
        return { kind: 'gate.passage', passage };
      }
      if (classified.scan.kind !== 'person') {
        gate.presentedNobody();
        throw new DomainError('gate.notAPerson', { kind: classified.scan.kind });
      }
      const passage = await gate.pass(classified.scan.person, classified.scan.format, direction ?? records.workplace().direction);
      return { kind: 'gate.passage', passage };
    },
    'gate.passage': async ({ id }) => records.view(id),
    'gate.recent': async ({ limit }) => records.recent(limit),
    'gate.reading': async ({ passageId, celsius }) => {
      gate.requireGate();
      return gate.manualReading(passageId, celsius);
    },
    'gate.remeasure': async ({ passageId }) => {
      gate.requireGate();
      return gate.remeasure(passageId);
    },
    'gate.refer': async (args) => {
      await host.writer.run(() => records.refer(args, host.now()));
      return gate.changed(args.passageId);
    },
    'gate.keyPersonAction': async (args) => {
      await host.writer.run(() => records.keyPersonAction(args, host.now()));
      return gate.changed(args.passageId);
    },
    'gate.counts': async ({ day }) => {
      const now = host.now();
      const d = day ?? siteHour(now.getTime()).day;
      return { ...records.counts(d, now), visitors: visitors.counts(d, now), vehicles: vehicles.counts(d, now) };
    },
    'gate.households': async ({ query }) => visitors.households(query),
    'gate.registerVisitor': async (args) => visitors.register(args),
    'gate.visitorLeave': async ({ visitId }) => visitors.leave(visitId),
    'gate.visitors': async ({ state, day }) => visitors.list(state, day ?? today(), host.now()),
    'gate.vehicle': async (args) => vehicles.pass(args),
    'gate.vehicles': async ({ state, day }) => vehicles.list(state, day ?? today(), host.now()),
  };
}
