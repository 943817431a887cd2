// The outcomes of a read that are not bytes, as values (not exceptions), so every caller must handle
// each one; the HTTP layer maps them to AIP-193 errors (DESIGN §5).

export type ReadFailure =
  /** `remembered`: answered from the negative cache, without asking the storage nodes. */
  | { kind: 'not-found'; message: string; remembered?: boolean }
  | { kind: 'blocked'; message: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'too-large'; message: string; size: number; limit: number }
  | { kind: 'invalid-range'; message: string; size: number }
  | { kind: 'inconsistent'; message: string }
  /** Every reconstruction slot and queue place is taken: come back shortly (429). */
  | { kind: 'busy'; message: string };

export function failure<K extends ReadFailure['kind']>(
  kind: K,
  message: string,
  extra: object = {},
): ReadFailure {
  return { kind, message, ...extra } as ReadFailure;
}
