import type { ArgsOf, ValueOf } from '../../api/contract';
import type { DoorHandlers, DoorSampleOutcome } from '../../api/doors';
import type { Writer } from '../db/writer';
import { DomainError } from '../errors';
import { createLogger } from '../log';
import type { ScanRouter } from '../scan/router';
import type { Doors } from './doors';

const log = createLogger('doors');

type Impl = { [M in keyof DoorHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type DoorApiHost = {
  writer: Writer;
  router: () => ScanRouter;
  /** When HQ's feed was last read: other stations' sampling is known as of then. */
  syncedAt(): string | null;
  /** A tube opened at a door: its label prints as the desk's do (after the commit). */
  afterTubeOpened(outcome: Extract<DoorSampleOutcome, { kind: 'tube.opened' }>): void;
  /** A group or a visit changed here (committed); the desk's tubes too when `desk` is set. */
  changed(groupId: string, desk: boolean): void;
};

/** The door-to-door part of the API, backed by the core's Doors. */
export function doorHandlers(doors: Doors, host: DoorApiHost): Impl {
  const change = async <T>(groupId: string, fn: () => T, desk = false): Promise<T> => {
    const value = await host.writer.run(fn);
    host.changed(groupId, desk);
    return value;
  };
  const sampled = async (groupId: string, fn: () => DoorSampleOutcome): Promise<DoorSampleOutcome> => {
    const outcome = await change(groupId, fn, true);
    if (outcome.kind === 'tube.opened') host.afterTubeOpened(outcome);
    return outcome;
  };
  return {
    'door.groups': async ({ all }) => doors.groups(all ?? false),
    'door.setup': async () => doors.setup(),
    'door.assign': async (args) => {
      const group = await host.writer.run(() => doors.assign({ ...args, helperIds: args.helperIds ?? [], tags: args.tags ?? [] }));
      host.changed(group.id, false);
      return group;
    },
    'door.list': async ({ groupId }) => doors.list(groupId, host.syncedAt()),
    'door.household': async ({ groupId, household }) => doors.household(groupId, household),
    'door.openTube': async ({ groupId, household, mode, code }) => {
      if (code !== undefined) {
        const classified = host.router().classify(code);
        if (!classified.ok) throw new DomainError(classified.error.code, classified.error.params);
        if (classified.scan.kind !== 'tube') throw new DomainError('door.scanNotPerson');
      }
      return sampled(groupId, () => doors.openTube({ groupId, household, mode, code: code ?? null }));
    },
    'door.sample': async (args) => sampled(args.groupId, () => doors.sample({ ...args, confirmRepeat: args.confirmRepeat ?? false })),
    'door.scan': async ({ text, source, ...args }) => {
      const classified = host.router().classify(text);
      log.info({ source, kind: classified.ok ? classified.scan.kind : classified.error.code }, 'door scan');
      if (!classified.ok) throw new DomainError(classified.error.code, classified.error.params);
      const scan = classified.scan;
      return sampled(args.groupId, () => doors.scan({ ...args, confirmRepeat: args.confirmRepeat ?? false }, scan));
    },
    'door.notHome': async (args) => change(args.groupId, () => doors.notHome(args)),
    'door.refuse': async (args) => change(args.groupId, () => doors.refuse(args)),
  };
}
