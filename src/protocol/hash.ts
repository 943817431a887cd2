// Blake2b-256, the hash of every Walrus commitment. Node's crypto has no blake2b-256; the WebAssembly
// module in wasm/blake2b-merkle.ts computes it with less per-call overhead than a hashing library's
// JS glue (most inputs here are tens of bytes), on Node and in browsers alike.
import { blake2b256Parts } from './wasm/blake2b-merkle.ts';

export const DIGEST_LENGTH = 32;

/** Blake2b-256 over the concatenation of `parts`. */
export function blake2b256(...parts: Uint8Array[]): Uint8Array {
  return blake2b256Parts(parts);
}
