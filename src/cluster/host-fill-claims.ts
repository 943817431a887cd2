// One reconstruction per blob per host: the cache's fill claims of a worker, asked of the primary
// first (fill-leases.ts) and then, by the host's leader only, of the claims shared with other hosts
// (Redis), so that a host's workers contend for a blob once among themselves and the host once with
// the others. A follower gets the leader's bytes relayed by the primary; without an answer from the
// primary a worker goes on as if it were alone.
import type { FillClaims } from '../cache/cache-tier.ts';
import type { CachedBlob } from '../cache/memory-tier.ts';
import type { Link } from './link.ts';

/** How long a worker waits for the primary to say who leads (it answers from memory at once). */
const CLAIM_ANSWER_MS = 2_000;

export function hostFillClaims(primary: Link, shared: FillClaims | undefined): FillClaims {
  /** Blobs this worker leads for the host. */
  const leading = new Set<string>();
  return {
    async claim(blobId, holder, ttlMs) {
      if (!leading.has(blobId)) {
        const answer = await primary
          .request<'lead' | 'follow'>('fill.claim', { blobId, termMs: ttlMs }, { timeoutMs: CLAIM_ANSWER_MS })
          .catch(() => undefined);
        if (answer === 'follow') return false;
        if (answer === 'lead') leading.add(blobId);
        else if (!shared) return undefined;
      }
      return shared ? shared.claim(blobId, holder, ttlMs) : true;
    },

    async waitFor(blobId, signal, ttlMs, currentEpoch) {
      // The host's leader, waiting on another host's reconstruction.
      if (leading.has(blobId)) return shared?.waitFor(blobId, signal, ttlMs, currentEpoch);
      const landed = await primary
        .request<CachedBlob | undefined>('fill.wait', { blobId }, { timeoutMs: ttlMs, signal })
        .catch(() => undefined);
      if (landed?.endEpoch !== undefined && currentEpoch !== undefined && landed.endEpoch <= currentEpoch)
        return undefined;
      return landed;
    },

    async release(blobId, holder, result) {
      // Followers get the bytes (relayed by the primary) the moment the leader is done.
      if (leading.delete(blobId)) primary.note('fill.release', { blobId, blob: result });
      await shared?.release(blobId, holder, result);
    },
  };
}
