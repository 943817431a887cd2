// Which shard holds which sliver pair, and which sliver index each pair's halves carry (DESIGN §2).
import { blobIdRotation } from './blob-id.ts';

export type SliverType = 'primary' | 'secondary';

/** Shard storing sliver pair `pairIndex` of a blob: (pair + blobId mod n) mod n. */
export function shardForPair(pairIndex: number, blobId: Uint8Array, n: number): number {
  return (pairIndex + blobIdRotation(blobId, n)) % n;
}

/** Sliver pair stored on `shard` for a blob; the inverse of shardForPair. */
export function pairForShard(shard: number, blobId: Uint8Array, n: number): number {
  return (shard - blobIdRotation(blobId, n) + n) % n;
}

/** Index of the sliver a pair carries: primary = pair index, secondary = n - 1 - pair index. */
export function sliverIndex(pairIndex: number, type: SliverType, n: number): number {
  return type === 'primary' ? pairIndex : n - 1 - pairIndex;
}

/** Sliver pair that carries sliver `index` of `type` (the mapping is its own inverse). */
export function pairForSliver(index: number, type: SliverType, n: number): number {
  return sliverIndex(index, type, n);
}
