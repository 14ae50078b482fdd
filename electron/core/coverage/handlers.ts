import type { ArgsOf, ValueOf } from '../../api/contract';
import type { CoverageHandlers } from '../../api/coverage';
import type { Writer } from '../db/writer';
import { DomainError } from '../errors';
import type { Coverage } from './coverage';
import { UNTESTED_LIST_MIME, untestedListFileName, untestedListRow, writeUntestedList } from './untested-list';

type Impl = { [M in keyof CoverageHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** The most rows one export holds: a street office's whole list; per building it is a few hundred. */
const MAX_EXPORT_ROWS = 200_000;

export type CoverageHost = {
  writer: Writer;
  now: () => Date;
  /** When HQ's feed was last read, and whether the station is enrolled at all. */
  sync(): { asOf: string | null; enrolled: boolean };
  changed(roundId: string): void;
};

/** The coverage part of the API, backed by the core's Coverage. */
export function coverageHandlers(coverage: Coverage, host: CoverageHost): Impl {
  const fresh = async (roundId: string | undefined): Promise<string> => {
    const id = coverage.resolveRound(roundId);
    // Checked again in the writer: the roster in use changes only between writer jobs.
    const stale = () => !coverage.fresh(id) && coverage.countable();
    if (stale()) {
      await host.writer.run(() => {
        if (stale()) coverage.recount(id, host.now().toISOString());
      });
    }
    return id;
  };
  return {
    'coverage.view': async ({ roundId }) => {
      const id = await fresh(roundId);
      const { asOf, enrolled } = host.sync();
      return coverage.view(id, asOf, enrolled);
    },
    'coverage.residents': async (args) =>
      coverage.residents({ ...args, state: args.state ?? 'all', offset: args.offset ?? 0, limit: args.limit ?? 200 }),
    'coverage.exempt': async ({ roundId, ref, reason, note }) => {
      const value = await host.writer.run(() => coverage.exempt(roundId, ref, reason, note ?? '', host.now().toISOString()));
      host.changed(roundId);
      return value;
    },
    'coverage.unexempt': async ({ roundId, ref }) => {
      const value = await host.writer.run(() => coverage.unexempt(roundId, ref, host.now().toISOString()));
      host.changed(roundId);
      return value;
    },
    'coverage.export': async ({ roundId, building, unit, format }) => {
      const id = coverage.resolveRound(roundId);
      const rows: ReturnType<typeof untestedListRow>[] = [];
      for (const r of coverage.untested(id, building, unit)) {
        if (rows.length >= MAX_EXPORT_ROWS) throw new DomainError('coverage.tooMany', { max: MAX_EXPORT_ROWS });
        rows.push(untestedListRow(r));
      }
      const bytes = await writeUntestedList(rows, format);
      return {
        fileName: untestedListFileName(coverage.roundName(id), building, unit, format),
        mimeType: UNTESTED_LIST_MIME[format],
        base64: bytes.toString('base64'),
        rows: rows.length,
      };
    },
  };
}
