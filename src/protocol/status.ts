// The JSON shapes storage nodes and the edge both speak: the success envelope and AIP-193 errors
// (google.rpc.Status with an ErrorInfo detail), as the official services send them.

export const ERROR_DOMAIN = 'walrus-edge';

/** Canonical google.rpc codes by HTTP status, as the official services map them. */
const STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  402: 'FAILED_PRECONDITION',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  409: 'ALREADY_EXISTS',
  413: 'OUT_OF_RANGE',
  416: 'OUT_OF_RANGE',
  429: 'RESOURCE_EXHAUSTED',
  451: 'UNAVAILABLE_FOR_LEGAL_REASONS',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export interface ErrorInfo {
  '@type': 'ErrorInfo';
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

export interface ApiErrorBody {
  error: { status: string; code: number; message: string; details: ErrorInfo[] };
}

export function apiError(
  code: number,
  reason: string,
  message: string,
  metadata: Record<string, string> = {},
  domain = ERROR_DOMAIN,
): ApiErrorBody {
  return {
    error: {
      status: STATUS_BY_HTTP[code] ?? (code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
      code,
      message,
      details: [{ '@type': 'ErrorInfo', reason, domain, metadata }],
    },
  };
}

export function apiSuccess<T>(data: T, code = 200): { success: { code: number; data: T } } {
  return { success: { code, data } };
}
