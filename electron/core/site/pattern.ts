import ret, { types, type Token, type Tokens } from 'ret';
import { z } from 'zod';

/**
 * How deeply repetitions that can repeat more than once are nested: `\d{10}` is 1, `(\d+)+` and
 * `(BX\d*)*` are 2. An optional part (`?`, at most once) does not count.
 */
function repetitionDepth(token: Tokens): number {
  const inner = (tokens: readonly Token[]) => tokens.reduce((depth, t) => Math.max(depth, repetitionDepth(t)), 0);
  switch (token.type) {
    case types.ROOT:
    case types.GROUP:
      return Math.max(inner(token.stack ?? []), ...(token.options ?? []).map(inner));
    case types.REPETITION:
      // ret gives an unbounded maximum as null (the type says number).
      return repetitionDepth(token.value) + (token.max === null || token.max > 1 ? 1 : 0);
    default:
      return 0;
  }
}

/**
 * True when the pattern cannot take exponential time on a long scan. A repetition inside a
 * repetition (`(\d+)+`) can split thirty digits in more ways than a desk could try before the next
 * scan: one such pattern from HQ would freeze every desk of the site. Written here on ret's parse
 * tree (the parser fastify's safe-regex2 uses) because safe-regex2 also counts `?`, and would
 * refuse harmless optional groups such as `^\d{1,3}(?:-\d{1,2})?$`. Overlapping alternatives under
 * one repetition (`(a|a)*`) are not caught; scans are capped by `scanMaxLength`.
 */
function notExponential(source: string): boolean {
  try {
    return repetitionDepth(ret(source)) <= 1;
  } catch {
    return false;
  }
}

/** A regular expression given as text in a site's configuration: it must compile, be anchored with ^ and $, and be safe to run on any scan. */
export const patternSchema = z
  .string()
  .min(2)
  .max(200)
  .refine((source) => {
    try {
      new RegExp(source, 'u');
      return source.startsWith('^') && source.endsWith('$');
    } catch {
      return false;
    }
  }, 'must be a valid regular expression anchored with ^ and $')
  .refine(notExponential, 'must not repeat a group that itself repeats (it would take exponential time on a long scan)');
