// Quilt patches through the blob cache. A patch read is a read of a few of its quilt's columns: a
// quilt already cached (memory or Redis) answers every patch from its bytes, with no storage-node
// request; a quilt not cached answers from its columns at once and is filled whole in the background,
// like a range miss, so the next patch of it is a hit. Lifetimes, purges and admission are the quilt
// blob's own.
import type { BlobReader } from '../read/blob-reader.ts';
import { quiltFromBytes, quiltOnNodes, type QuiltOpener } from '../read/quilt-reader.ts';
import { failure } from '../read/read-errors.ts';
import type { BlobCache } from './blob-cache.ts';
import { ageSeconds } from './memory-tier.ts';

export function cachedQuiltOpener(
  cache: BlobCache,
  blobs: BlobReader,
  /** The network's shard count, which fixes a cached quilt's layout. */
  nShards: () => Promise<number>,
): QuiltOpener {
  return async (quiltId, signal) => {
    const hit = await cache.lookup(quiltId);
    if (hit) {
      return quiltFromBytes(quiltId, hit.blob.bytes, await nShards(), hit.tier, ageSeconds(hit.blob));
    }
    if (cache.knownMissing(quiltId)) return failure('not-found', 'the quilt was not found moments ago');
    const meta = await blobs.metadata(quiltId, signal);
    if (meta.kind !== 'ok') {
      if (meta.kind === 'not-found') cache.noteMissing(quiltId);
      return meta;
    }
    cache.fillInBackground(meta);
    return quiltOnNodes(blobs, meta);
  };
}
