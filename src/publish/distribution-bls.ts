// BLS12-381 min-pk for checking confirmations while uploading: the official Rust implementation (via
// @mysten/walrus-wasm), about four times faster here than @noble/curves (protocol/bls.ts, which the
// Web-standard core and the devnet use). It runs on the event loop that also serves reads, and with
// noble one certificate check of 14 signatures blocked it for ≈150 ms (≈40 ms with this).
import { bls12381_min_pk_aggregate, bls12381_min_pk_verify_aggregate } from '@mysten/walrus-wasm';

/** One signature combining all; throws when one is not a valid curve point. */
export function aggregateSignatures(signatures: Uint8Array[]): Uint8Array {
  return signatures.length === 1 ? signatures[0]! : bls12381_min_pk_aggregate(signatures);
}

/** Whether `signature` (one node's or an aggregate) is by all of `publicKeys` over `message`. */
export function verifiesAggregate(
  signature: Uint8Array,
  message: Uint8Array,
  publicKeys: Uint8Array[],
): boolean {
  if (publicKeys.length === 0) return false;
  try {
    return bls12381_min_pk_verify_aggregate(publicKeys, message, signature);
  } catch {
    // Malformed points are an invalid signature, not a crash.
    return false;
  }
}
