// Blake2b-256, the hash of every Walrus commitment. Node's crypto has no blake2b-256; the engines of
// blake2b-merkle.ts compute it (WebAssembly where it can be compiled, with less per-call overhead than
// a hashing library's JS glue for the tens of bytes most inputs have here; @noble/hashes elsewhere).
import { blake2bMerkle } from './blake2b-merkle.ts';

export const DIGEST_LENGTH = 32;

/** Blake2b-256 over the concatenation of `parts`. */
export function blake2b256(...parts: Uint8Array[]): Uint8Array {
  return blake2bMerkle().hash(parts);
}
