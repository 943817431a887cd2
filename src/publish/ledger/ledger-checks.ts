// What both ledger backends share beyond SQL: the checks they make before they write (so that they
// refuse the same inputs), and how they read an audit's rows and an existing Idempotency-Key claim.
import type { Balance, IdempotencyClaim, IdempotentResponse } from './ledger.ts';

/** The largest amount the ledger takes: SQLite's largest integer (the WAL supply is 5·10^18 FROST). */
const MAX_FROST = 2n ** 63n - 1n;

/** Throws a RangeError unless `amount` is whole FROST in [min, MAX_FROST]. */
export function checkFrost(amount: bigint, what: string, min: 0n | 1n): void {
  if (typeof amount !== 'bigint') throw new RangeError(`${what} must be a bigint of FROST`);
  if (amount < min || amount > MAX_FROST) {
    throw new RangeError(`${what} must be ${min === 1n ? 'positive' : '≥ 0'} and at most ${MAX_FROST} FROST`);
  }
}

/** abandonStaleIdempotency forgets nothing unless told whose or how old: {} is a mistake, not "all". */
export function checkStaleFilter(filter: { owner?: string; claimedBefore?: Date }): void {
  if (filter.owner === undefined && filter.claimedBefore === undefined) {
    throw new TypeError('abandonStaleIdempotency needs an owner or a claimedBefore date');
  }
}

/** An account's own limits are positive whole numbers (absent means the edge's defaults). */
export function checkLimits(account: { maxUploadBytes?: number; uploadsPerMinute?: number }): void {
  for (const [name, value] of Object.entries({
    maxUploadBytes: account.maxUploadBytes,
    uploadsPerMinute: account.uploadsPerMinute,
  })) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`${name} must be a positive integer`);
    }
  }
}

/** history's limit: a whole number of entries, 0 or more (absent: all of them). */
export function checkHistoryLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError('the history limit must be a whole number ≥ 0');
  }
}

/** Whether an account's stored totals differ from what its entries add up to (audit keeps those). */
export function storedDiffersFromDerived({
  stored,
  derived,
}: {
  stored: Balance;
  derived: Balance;
}): boolean {
  return stored.balanceFrost !== derived.balanceFrost || stored.heldFrost !== derived.heldFrost;
}

/** What an existing Idempotency-Key claim means for a request with `fingerprint`. */
export function existingClaim(
  claim: { fingerprint: string; state: string; response: () => IdempotentResponse },
  fingerprint: string,
): IdempotencyClaim {
  if (claim.fingerprint !== fingerprint) return { kind: 'mismatch' };
  if (claim.state === 'claimed') return { kind: 'in-progress' };
  return { kind: 'done', response: claim.response() };
}
