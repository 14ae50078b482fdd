import type { ArgsOf, ValueOf } from '../../api/contract';
import type { RoundHandlers } from '../../api/rounds';
import type { Rounds } from './rounds';

type Impl = { [M in keyof RoundHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** The rounds part of the API; `change` runs a change through the writer and tells the screens. */
export function roundHandlers(rounds: Rounds, change: <T>(fn: () => T) => Promise<T>, now: () => Date): Impl {
  return {
    'round.list': async () => rounds.list(),
    'round.start': async (args) => change(() => rounds.start(args, now().toISOString())),
    'round.close': async ({ roundId }) => change(() => rounds.close(roundId, now().toISOString())),
  };
}
