// Blake2b-256, the hash of every Walrus commitment. Node's crypto has no blake2b-256, and hash-wasm's
// WASM build is several times faster than pure JS for the millions of tiny hashes a sliver check needs.
// The hasher is created once with top-level await, so every caller stays synchronous.
import { createBLAKE2b } from 'hash-wasm';

export const DIGEST_LENGTH = 32;

const hasher = await createBLAKE2b(256);

/** Blake2b-256 over the concatenation of `parts`. */
export function blake2b256(...parts: Uint8Array[]): Uint8Array {
  hasher.init();
  for (const part of parts) hasher.update(part);
  return hasher.digest('binary');
}
