// One tier of the blob cache: memory, the sibling processes' memory (src/cluster/) and Redis today; the Workers Cache API, R2 and image variants plug
// in behind the same interface. Tiers are asked in order; a hit in a later tier is copied into the
// earlier ones. A tier never fails a request: trouble is a miss.
import type { CachedBlob } from './memory-tier.ts';

export interface CacheTier {
  /** The X-Cache value of a hit in this tier. */
  readonly hitLabel: 'HIT-MEMORY' | 'HIT-PEER' | 'HIT-REDIS';
  /** The blob, unless absent, expired by time, or past its end epoch (`currentEpoch`, when known). */
  get(blobId: string, currentEpoch: number | undefined): Promise<CachedBlob | undefined>;
  /**
   * Stores the blob if this tier takes it; `requests` is how often it was asked for lately (a
   * doorkeeper may want two before admitting a large blob).
   */
  set(blobId: string, blob: CachedBlob, requests: number): Promise<unknown>;
  delete(blobId: string): Promise<void>;
  /** A tier that can be away (Redis): whether it is usable now and how often it failed (/readyz, metrics). */
  health?(): TierHealth;
  /** Entries the tier's store dropped on its own for room, since it started (undefined: cannot tell now). */
  evictedKeys?(): Promise<number | undefined>;
}

export interface TierHealth {
  available: boolean;
  /** Failed operations since start… */
  failures: number;
  /** …by operation. */
  byOperation: Record<string, number>;
}

/**
 * Redis-like tiers also let instances agree on who reconstructs a blob (one fill for all of them), and
 * the processes of one host do the same through their primary (src/cluster/host-fill-claims.ts).
 */
export interface FillClaims {
  /** true = ours, false = someone else's, undefined = cannot tell (go ahead). */
  claim(blobId: string, holder: string, ttlMs: number): Promise<boolean | undefined>;
  /**
   * Called once a fill that asked `claim` is over, whatever the answer was; `result` is the blob it
   * ended with (reconstructed or landed from the holder), undefined if it failed.
   */
  release(blobId: string, holder: string, result?: CachedBlob): Promise<void>;
  /**
   * The blob once the claim's holder has it (without `endEpoch` when it could not be kept: serve it,
   * do not keep it), or undefined when the holder gave up or died, or the wait ran out.
   */
  waitFor(
    blobId: string,
    signal: AbortSignal,
    ttlMs: number,
    currentEpoch: number | undefined,
  ): Promise<CachedBlob | undefined>;
}
