// The Walrus Merkle tree (walrus-core merkle.rs): leaf = H(0x00 ‖ data), inner = H(0x01 ‖ left ‖ right),
// an odd level gets an all-zero sibling that is used as is, not hashed. Trees are built by the engine
// of blake2b-merkle.ts (with WebAssembly, a whole level per call, not a JS call per node).
import { blake2bMerkle } from './blake2b-merkle.ts';
import { DIGEST_LENGTH } from './hash.ts';

export const EMPTY_NODE = new Uint8Array(DIGEST_LENGTH);

export function leafHash(data: Uint8Array): Uint8Array {
  return blake2bMerkle().hash([data], 0);
}

export function innerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return blake2bMerkle().hash([left, right], 1);
}

/** Root over already-hashed leaves. An empty tree's root is the empty node. */
export function merkleRootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_NODE;
  if (leafHashes.length === 1) return leafHashes[0]!;
  if (leafHashes.every((hash) => hash.length === DIGEST_LENGTH))
    return blake2bMerkle().leafHashesRoot(leafHashes);
  // Leaf "hashes" of other lengths are hashed as given, node by node.
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
  if (leaves.length === 0) return EMPTY_NODE;
  return blake2bMerkle().leavesRoot(leaves);
}
