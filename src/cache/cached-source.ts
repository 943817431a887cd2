// The read stack's cache layer. A hit (memory, then Redis) is a handle over bytes at hand: no storage-
// node request, no reconstruction slot. A miss opens the blob below and keeps it as it is read: a whole
// read joins the blob's one shared fill (streamed to every joiner from its first byte and kept when
// done); a range or a quilt column read is answered at once from the slivers it needs while the whole
// blob fills in the background. The cache holds blobs read with the default consistency; strict and
// skip reads always go below.
import { bytesHandle, isFailure, isWhole, type BlobSource } from '../read/blob-source.ts';
import type { BlobCache } from './blob-cache.ts';
import { ageSeconds } from './memory-tier.ts';

export function cachedSource(
  inner: BlobSource,
  cache: BlobCache,
  /** The network's shard count now, which fixes a cached blob's matrix (quilt columns). */
  nShards: () => Promise<number>,
): BlobSource {
  return {
    async open(request) {
      const { target, consistency } = request;
      if (target.kind !== 'blob' || consistency !== 'default') return inner.open(request);
      const hit = await cache.lookup(target.blobId);
      if (hit)
        return bytesHandle(target.blobId, hit.blob.bytes, await nShards(), hit.tier, ageSeconds(hit.blob));
      const handle = await inner.open(request);
      if (isFailure(handle) || !cache.cacheable(handle.size)) return handle;
      return {
        ...handle,
        read: (span, signal) => {
          if (isWhole(span, handle.size)) return cache.fill(handle, signal);
          cache.fillInBackground(handle);
          return handle.read(span, signal);
        },
        columns: (from, to, signal) => {
          cache.fillInBackground(handle);
          return handle.columns(from, to, signal);
        },
      };
    },
  };
}
