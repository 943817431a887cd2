// The memory of the host's other workers as a cache tier of this one: a blob another worker holds is
// copied over (through the primary) instead of reconstructed again, so a host reconstructs a blob
// once, not once per worker, with or without Redis. Each worker still keeps its own memory tier (the
// copy lands there); a purge here is a purge there too.
import type { BlobCache } from '../cache/blob-cache.ts';
import type { CacheTier } from '../cache/cache-tier.ts';
import type { CachedBlob } from '../cache/memory-tier.ts';
import type { Link } from './link.ts';

/** A miss waits this long at most for the other workers (they answer from memory). */
const PEER_LOOKUP_MS = 1_000;

export interface PeerTier extends CacheTier {
  /** Lets the other workers find blobs in this worker's cache, and purge them from it. */
  share(cache: BlobCache): void;
}

export function peerTier(primary: Link): PeerTier {
  return {
    hitLabel: 'HIT-PEER',
    async get(blobId, currentEpoch) {
      const blob = await primary
        .request<CachedBlob | undefined>('peer.get', { blobId }, { timeoutMs: PEER_LOOKUP_MS })
        .catch(() => undefined);
      if (
        !blob ||
        (blob.endEpoch !== undefined && currentEpoch !== undefined && blob.endEpoch <= currentEpoch)
      )
        return undefined;
      return blob;
    },
    // Nothing to store: each worker keeps what it reads in its own memory, where the others find it.
    async set() {},
    async delete(blobId) {
      primary.note('peer.purge', { blobId });
    },
    share(cache) {
      primary.answer<{ blobId: string }>(
        'peer.has',
        ({ blobId }) => cache.hit(blobId, { counted: false }) !== undefined,
      );
      primary.answer<{ blobId: string }>('peer.give', ({ blobId }) => cache.hit(blobId, { counted: false }));
      // Only this worker's memory and negative cache: the shared tiers were purged by the sender.
      primary.hear<{ blobId: string }>('peer.purge', ({ blobId }) => {
        cache.memory.delete(blobId);
        cache.negative.delete(blobId);
      });
    },
  };
}
