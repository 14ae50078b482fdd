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

/** A refusal for a role names roles by their codes (`collector`, `admin,sampler`); staff read their names. */
export function withRoleWords(t: Translate, error: ApiError): ApiError {
  if (error.code !== 'operator.forbidden' || !error.params) return error;
  const words = (codes: unknown) =>
    String(codes ?? '')
      .split(',')
      .filter(Boolean)
      .map((role) => t(`operators:roles.${role}`, { defaultValue: role }))
      .join(' / ');
  return { ...error, params: { ...error.params, role: words(error.params.role), needed: words(error.params.needed) } };
}

/** A printer fault travels as a code (`paper-out`); staff read the desk's words for it (labels.json). */
export function withFaultWords(t: Translate, error: ApiError): ApiError {
  const fault = error.params?.fault;
  if (typeof fault !== 'string') return error;
  return { ...error, params: { ...error.params, fault: t(`labels:printer.fault.${fault}`, { defaultValue: fault }) } };
}
