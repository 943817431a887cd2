// Blake2b-256 and the Walrus Merkle tree (walrus-core merkle.rs: leaf = H(0x00 ‖ data), inner =
// H(0x01 ‖ left ‖ right), an odd level padded with an all-zero node used as is), by one of two engines
// behind one interface, as rs2.ts does for Reed-Solomon: the WebAssembly kernel of
// wasm/blake2b-merkle.ts (default; compiled on first use), or @noble/hashes in blake2b-merkle-js.ts
// where WebAssembly cannot be compiled from bytes at run time (Cloudflare Workers) — bit-exact, slower
// per node — and as the cross-check in the tests.
import { jsBlake2bMerkle } from './blake2b-merkle-js.ts';
import { wasmBlake2bMerkle } from './wasm/blake2b-merkle.ts';

export type HashEngine = 'wasm' | 'js';

export interface Blake2bMerkle {
  readonly engine: HashEngine;
  /** Blake2b-256 of the concatenation of `parts`, after the byte `prefix` (0-255) if given. */
  hash(parts: readonly Uint8Array[], prefix?: number): Uint8Array;
  /**
   * Root over `count` leaves of `symbolSize` bytes that `write` puts into a view of exactly
   * count·symbolSize bytes (leaf i at i·symbolSize), valid during the call; the WASM engine hands out
   * its own memory, saving a copy when the leaves are computed (e.g. Reed-Solomon recovery symbols).
   * `write` must not hash. An empty tree's root is the all-zero node (a new array).
   */
  symbolsRootInPlace(count: number, symbolSize: number, write: (leaves: Uint8Array) => void): Uint8Array;
  /** Root over `leaves` of any sizes. An empty tree's root is the all-zero node (a new array). */
  leavesRoot(leaves: readonly Uint8Array[]): Uint8Array;
  /**
   * Root over already-hashed leaves, each exactly 32 bytes (throws RangeError otherwise). An empty
   * tree's root is the all-zero node; the result is always a new array.
   */
  leafHashesRoot(leafHashes: readonly Uint8Array[]): Uint8Array;
}

/** The engine to use: `prefer`, except that 'wasm' falls back to 'js' where it cannot be compiled. */
export function blake2bMerkle(prefer: HashEngine = 'wasm'): Blake2bMerkle {
  return prefer === 'js' ? jsBlake2bMerkle : (wasmBlake2bMerkle() ?? jsBlake2bMerkle);
}

/**
 * Merkle root over `symbols`, a concatenation of equal-size leaves of `symbolSize` bytes. An empty
 * tree's root is the all-zero node (a new array).
 */
export function symbolsMerkleRoot(
  symbols: Uint8Array,
  symbolSize: number,
  engine: HashEngine = 'wasm',
): Uint8Array {
  if (symbolSize < 1 || symbols.length % symbolSize !== 0) {
    throw new RangeError(`${symbols.length} bytes are not a whole number of ${symbolSize}-byte symbols`);
  }
  const count = symbols.length / symbolSize;
  return blake2bMerkle(engine).symbolsRootInPlace(count, symbolSize, (leaves) => leaves.set(symbols));
}
