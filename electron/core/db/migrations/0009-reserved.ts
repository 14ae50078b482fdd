import type { Migration } from './index';

/**
 * Schema 9 is another change of the same release, merged beside this one: this stand-in keeps
 * the list in order until it is, and is replaced by it.
 */
export const migration0009: Migration = {
  version: 9,
  name: 'reserved',
  up() {},
};
