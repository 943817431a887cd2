// The Walrus Merkle tree (walrus-core merkle.rs): leaf = H(0x00 ‖ data), inner = H(0x01 ‖ left ‖ right),
// an odd level gets an all-zero sibling that is used as is, not hashed.
import { DIGEST_LENGTH, blake2b256 } from './hash.ts';

const LEAF_PREFIX = Uint8Array.of(0);
const INNER_PREFIX = Uint8Array.of(1);
export const EMPTY_NODE = new Uint8Array(DIGEST_LENGTH);

export function leafHash(data: Uint8Array): Uint8Array {
  return blake2b256(LEAF_PREFIX, data);
}

export function innerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return blake2b256(INNER_PREFIX, left, right);
}

/** Root over already-hashed leaves. An empty tree's root is the empty node. */
export function merkleRootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_NODE;
  let level = leafHashes.slice();
  while (level.length > 1) {
    if (level.length % 2 === 1) level.push(EMPTY_NODE);
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(innerHash(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return merkleRootFromLeafHashes(leaves.map(leafHash));
}
