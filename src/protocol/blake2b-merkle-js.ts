// The portable engine of blake2b-merkle.ts: Blake2b-256 from @noble/hashes and the tree in plain JS,
// for runtimes that may not compile WebAssembly from bytes (Cloudflare Workers). Same results as the
// WASM kernel, byte for byte (tested on random inputs in test/protocol/rs2.test.ts).
import { blake2b } from '@noble/hashes/blake2.js';
import type { Blake2bMerkle } from './blake2b-merkle.ts';

const DIGEST = 32;
const EMPTY_NODE = new Uint8Array(DIGEST);

function hash(parts: readonly Uint8Array[], prefix?: number): Uint8Array {
  const hasher = blake2b.create({ dkLen: DIGEST });
  if (prefix !== undefined) hasher.update(Uint8Array.of(prefix));
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}

/** Reduces a level of ≥ 1 digests to the root, padding odd levels with the all-zero node. */
function reduce(level: readonly Uint8Array[]): Uint8Array {
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hash([level[i]!, level[i + 1] ?? EMPTY_NODE], 1));
    level = next;
  }
  return level[0]!;
}

function leavesRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(DIGEST);
  return reduce(leaves.map((leaf) => hash([leaf], 0)));
}

export const jsBlake2bMerkle: Blake2bMerkle = {
  engine: 'js',
  hash,
  symbolsRootInPlace(count, symbolSize, write) {
    const symbols = new Uint8Array(count * symbolSize);
    write(symbols);
    return leavesRoot(
      Array.from({ length: count }, (_, i) => symbols.subarray(i * symbolSize, (i + 1) * symbolSize)),
    );
  },
  leavesRoot,
  leafHashesRoot(leafHashes) {
    if (leafHashes.length === 0) return new Uint8Array(DIGEST);
    leafHashes.forEach((leafHash, i) => {
      if (leafHash.length !== DIGEST)
        throw new RangeError(`leaf hash ${i} has ${leafHash.length} bytes, not 32`);
    });
    // A copy: a single leaf hash is its own root, and callers may keep or change their input.
    return reduce(leafHashes).slice();
  },
};
