// Did the client pay the relay's tip for exactly this blob? The client's register transaction carries,
// as its first input, the auth payload sha256(blob) ‖ sha256(nonce) ‖ u64 LE size, and transfers the
// tip to the relay's address; the upload then names the transaction (`tx_id`) and reveals the nonce.
//
// Mirrors MystenLabs/walrus crates/walrus-upload-relay (controller.rs `validate_auth_package`,
// tip/check.rs, utils.rs `auth_package_checks`, error.rs `into_response`), read at commit 3c1cacc1
// (2026-08-20) on 2026-12-01: freshness (at most 10 h old, 30 s ahead: the example config's values),
// then the tip (the first SUI balance change of the relay's address decides: 402 if short or absent),
// then the payload (nonce, then length, then digest: 401), in that order. The official relay answers
// plain text; we answer AIP-193 JSON with these statuses and a reason per check.
import {
  balanceChangeOf,
  lookUpTransaction,
  type TransactionSource,
} from '../../network/sui/transaction-lookup.ts';
import { base64ToBytes } from '../../protocol/base64.ts';
import { tipFor, type RelayTip } from './relay-tip.ts';

/** What the tip check reads from Sui: one transaction, with its inputs and balance changes. */
export type TipTransactionSource = TransactionSource;

export interface TipFailure {
  status: 400 | 401 | 402 | 503;
  reason: string;
  message: string;
}

export interface TipCheckInput {
  sui: TipTransactionSource;
  tip: Extract<RelayTip, { required: true }>;
  txDigest: string;
  nonce: Uint8Array;
  blob: Uint8Array;
  nShards: number;
  /** Oldest a tip transaction may be, and how far ahead of our clock (the full node's clock skew). */
  maxAgeMs?: number;
  maxFutureMs?: number;
  now?: () => number;
  signal?: AbortSignal;
}

/** The official relay's example configuration: tx_freshness_threshold_secs 36000, tx_max_future_threshold 30 s. */
export const DEFAULT_TIP_MAX_AGE_MS = 10 * 3600 * 1000;
export const DEFAULT_TIP_MAX_FUTURE_MS = 30 * 1000;
const SUI_TYPE = '0x2::sui::SUI';
/** blob digest [32] ‖ nonce digest [32] ‖ unencoded length u64 LE: walrus-sdk `HashedAuthPackage` in BCS. */
const AUTH_PAYLOAD_LENGTH = 72;

const fail = (status: TipFailure['status'], reason: string, message: string): TipFailure => ({
  status,
  reason,
  message,
});

export async function checkTip(input: TipCheckInput): Promise<TipFailure | undefined> {
  const found = await lookUpTransaction({
    sui: input.sui,
    digest: input.txDigest,
    include: { transaction: true, balanceChanges: true },
    signal: input.signal,
  });
  if (!found.ok) {
    if (found.problem === 'invalid-digest') return fail(400, 'INVALID_TX_ID', found.message);
    if (found.problem === 'not-found') {
      return fail(
        400,
        'TIP_TRANSACTION_NOT_FOUND',
        `the tip transaction ${input.txDigest} is not known to Sui`,
      );
    }
    return fail(503, 'SUI_UNAVAILABLE', `the tip transaction could not be read from Sui: ${found.message}`);
  }
  const tx = found.transaction;

  const now = (input.now ?? Date.now)();
  if (tx.timestampMs === null) {
    return fail(
      400,
      'TIP_TRANSACTION_NOT_EXECUTED',
      'the tip transaction has no timestamp: it has not been executed',
    );
  }
  if (tx.timestampMs - now > (input.maxFutureMs ?? DEFAULT_TIP_MAX_FUTURE_MS)) {
    return fail(
      400,
      'TIP_TRANSACTION_IN_FUTURE',
      'the transaction is in the future by more than the allowed threshold',
    );
  }
  if (now - tx.timestampMs > (input.maxAgeMs ?? DEFAULT_TIP_MAX_AGE_MS)) {
    return fail(400, 'TIP_TRANSACTION_TOO_OLD', 'the received transaction is too old');
  }

  const expected = tipFor(input.tip.tip, input.blob.length, input.nShards);
  // A failed transaction moved no tip (only gas), so it falls through to NO_TIP_SENT.
  const change = found.succeeded
    ? balanceChangeOf(tx.balanceChanges, input.tip.address, SUI_TYPE)
    : undefined;
  if (change === undefined) return fail(402, 'NO_TIP_SENT', 'no tip was transferred to the relay account');
  if (change < expected) {
    return fail(
      402,
      'INSUFFICIENT_TIP',
      `the tip is insufficient: balance change ${change}; expected ${expected}`,
    );
  }

  if (!tx.transaction) {
    return fail(401, 'INVALID_TIP_TRANSACTION', 'the tip transaction is not a ptb or could not be read');
  }
  const first = tx.transaction.inputs[0];
  const pure = first && 'Pure' in first ? first.Pure : undefined;
  if (!pure) {
    return fail(
      401,
      'MISSING_AUTH_PACKAGE',
      'the auth package is missing from the first input slot of the PTB',
    );
  }
  return checkAuthPayload(base64ToBytes(pure.bytes), input.blob, input.nonce);
}

/** The official order: the nonce first (cheap, and it stops whoever merely saw the transaction), then the length, then the digest. */
export async function checkAuthPayload(
  payload: Uint8Array,
  blob: Uint8Array,
  nonce: Uint8Array,
): Promise<TipFailure | undefined> {
  if (payload.length !== AUTH_PAYLOAD_LENGTH) {
    return fail(401, 'INVALID_AUTH_PACKAGE', 'the auth package was found but could not be read');
  }
  const nonceDigest = await sha256(nonce);
  if (!equalBytes(payload.subarray(32, 64), nonceDigest)) {
    return fail(401, 'INVALID_NONCE_HASH', 'the provided nonce hash in the ptb is invalid');
  }
  const length = new DataView(payload.buffer, payload.byteOffset + 64, 8).getBigUint64(0, true);
  if (length !== BigInt(blob.length)) {
    return fail(
      401,
      'BLOB_LENGTH_MISMATCH',
      'the provided blob length and the blob length resulting from the uploaded blob do not match',
    );
  }
  if (!equalBytes(payload.subarray(0, 32), await sha256(blob))) {
    return fail(
      401,
      'BLOB_DIGEST_MISMATCH',
      'the provided blob digest and the blob digest resulting from the uploaded blob do not match',
    );
  }
  return undefined;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
