import type { ApiError } from '../../../electron/api/contract';

/** The slice of i18next's `t` the translator needs (kept narrow so it is testable in Node). */
export type Translate = (keys: string | string[], options?: Record<string, unknown>) => string;

/**
 * Words for an error from the core: `errors.<code>` is looked up in every namespace, since each
 * domain (desk, devices, upload…) keeps its own errors next to its other texts.
 */
export function translateError(t: Translate, namespaces: readonly string[], error: ApiError): string {
  const keys = [...namespaces.map((ns) => `${ns}:errors.${error.code}`), 'common:errors.unknown'];
  // `errorCode`, not `code`: many errors carry a `code` param of their own (a tube code).
  return t(keys, { ...error.params, errorCode: error.code });
}
