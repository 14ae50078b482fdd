import type { ApiError, ErrorCode } from '../api/contract';

/** A rule the request broke; it crosses the API as `{ ok: false, error }` and changes nothing. */
export class DomainError extends Error {
  constructor(readonly code: ErrorCode, readonly params?: ApiError['params']) {
    super(code);
  }

  toApiError(): ApiError {
    return this.params ? { code: this.code, params: this.params } : { code: this.code };
  }
}
