// Every non-success answer of the edge: AIP-193 JSON (DESIGN §5) with the cache policy that status
// deserves (a 404 a few seconds, so a just-uploaded blob is not hidden for long; 5xx and 429 never).
import type { Context } from 'hono';
import { apiError } from '../protocol/status.ts';
import type { ReadFailure } from '../read/read-errors.ts';

export const NOT_FOUND_MAX_AGE_SECONDS = 5;

declare module 'hono' {
  interface ContextVariableMap {
    /** The AIP-193 reason of the error answered, for middleware after the handler (metrics). */
    errorReason: string;
  }
}

export function errorResponse(
  c: Context,
  code: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const cacheControl =
    code === 404
      ? `public, max-age=${NOT_FOUND_MAX_AGE_SECONDS}`
      : code >= 500 || code === 429
        ? 'no-store'
        : 'no-cache';
  c.set('errorReason', reason);
  return c.json(apiError(code, reason, message), code as 400, { 'cache-control': cacheControl, ...headers });
}

/** Reasons and statuses of DESIGN §5 for each read outcome. */
export function readFailureResponse(
  c: Context,
  failure: ReadFailure,
  notFoundReason = 'BLOB_NOT_FOUND',
): Response {
  switch (failure.kind) {
    case 'not-found':
      return errorResponse(
        c,
        404,
        notFoundReason,
        failure.message,
        failure.remembered ? { 'x-cache': 'HIT-NEGATIVE' } : {},
      );
    case 'blocked':
      return errorResponse(c, 451, 'FORBIDDEN_BLOB', failure.message);
    case 'too-large':
      return errorResponse(c, 403, 'BLOB_TOO_LARGE', failure.message);
    case 'invalid-range':
      return errorResponse(c, 416, 'INVALID_BYTE_RANGE', failure.message, {
        'content-range': `bytes */${failure.size}`,
      });
    case 'inconsistent':
      return errorResponse(
        c,
        503,
        'BLOB_UNAVAILABLE',
        `the blob failed its consistency check: ${failure.message}`,
      );
    case 'unavailable':
      return errorResponse(c, 503, 'BLOB_UNAVAILABLE', failure.message, { 'retry-after': '2' });
    case 'busy':
      return errorResponse(c, 429, 'TOO_MANY_RECONSTRUCTIONS', failure.message, { 'retry-after': '1' });
  }
}
