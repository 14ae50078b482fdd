import type { ArgsOf, ValueOf } from '../../api/contract';
import type { RosterHandlers } from '../../api/roster';
import type { Roster } from './roster';

type Impl = { [M in keyof RosterHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** The roster part of the API, backed by the core's Roster. */
export function rosterHandlers(roster: Roster): Impl {
  return {
    'roster.summary': async () => roster.summary(),
    'roster.upload': async ({ fileName, size }) => roster.beginUpload(fileName, size),
    'roster.uploadChunk': async ({ uploadId, offset, data }) => roster.appendUpload(uploadId, offset, data),
    'roster.read': async ({ uploadId, mapping, encoding }) => roster.read(uploadId, mapping, encoding),
    'roster.import': async ({ importId }) => roster.importView(importId),
    'roster.problems': async ({ importId, offset, limit }) => roster.problems(importId, offset, limit),
    'roster.changes': async ({ importId, kind, offset, limit }) => roster.changes(importId, kind, offset, limit),
    'roster.apply': async ({ importId }) => roster.apply(importId),
    'roster.discard': async ({ importId }) => roster.discard(importId),
    'roster.search': async ({ query }) => roster.search(query),
  };
}
