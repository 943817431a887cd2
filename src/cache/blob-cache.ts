// The edge's blob cache: hot blobs served from memory (L1), one reconstruction per blob however many
// requests miss at once (single-flight, abort-safe), "not found" remembered briefly, and entries that
// never outlive the blob: each carries its end epoch, and chain events purge deleted and expired ones.
import { LRUCache } from 'lru-cache';
import { readAllBytes } from '../protocol/bytes.ts';
import type { BlobLifetimes } from '../network/blob-lifetimes.ts';
import type { BlobMetadataResult, BlobReader } from '../read/blob-reader.ts';
import { failure, type ReadFailure } from '../read/read-errors.ts';
import type { CachedBlob, MemoryTier } from './memory-tier.ts';
import type { NegativeCache } from './negative-cache.ts';
import type { RedisTier } from './redis-tier.ts';
import { SingleFlight } from './single-flight.ts';

export interface BlobCacheOptions {
  reader: BlobReader;
  memory: MemoryTier;
  negative: NegativeCache;
  /**
   * Larger blobs are never cached (streamed instead). Memory takes what fits its own budget; Redis
   * takes anything up to this. Default: the memory tier's per-entry cap.
   */
  maxObjectBytes?: number;
  /** Without it nothing is cached: an entry must know when its blob ends. */
  lifetimes: BlobLifetimes;
  /** Background fills (after a range miss) at once; more are skipped, not queued. */
  maxBackgroundFills?: number;
  /** L2, shared by edge instances and kept across restarts; absent = memory only. */
  redis?: RedisTier;
  /**
   * Blobs up to this size enter memory on their first read; larger ones only on their second (a
   * doorkeeper), so one scan of cold large blobs cannot flush the hot set. Default 256 KiB.
   */
  admitAtOnceBytes?: number;
}

export type CacheTier = 'HIT-MEMORY' | 'HIT-REDIS';

/** How long a reconstruction claim holds, and how long others wait on it before trying themselves. */
const CLAIM_MS = 30_000;

export class BlobCache {
  readonly memory: MemoryTier;
  readonly #negative: NegativeCache;
  readonly #reader: BlobReader;
  readonly #lifetimes: BlobLifetimes;
  readonly #redis: RedisTier | undefined;
  readonly #flights = new SingleFlight<Uint8Array | ReadFailure>();
  readonly #maxBackgroundFills: number;
  readonly #admitAtOnceBytes: number;
  readonly #maxObjectBytes: number;
  /** Misses per blob ID lately (the doorkeeper): a large blob is admitted once asked for twice. */
  readonly #misses = new LRUCache<string, number>({ max: 100_000 });
  #backgroundFills = 0;
  #epoch: number | undefined;
  /** Names this instance's claims in Redis. */
  readonly #instance = crypto.randomUUID();
  #fills = 0;
  /** Entries dropped because the chain said so: the blob was deleted, or its end epoch began. */
  readonly #purges = { deleted: 0, expired: 0 };

  constructor(options: BlobCacheOptions) {
    this.memory = options.memory;
    this.#negative = options.negative;
    this.#reader = options.reader;
    this.#lifetimes = options.lifetimes;
    this.#redis = options.redis;
    this.#maxBackgroundFills = options.maxBackgroundFills ?? 4;
    this.#admitAtOnceBytes = options.admitAtOnceBytes ?? 256 * 1024;
    this.#maxObjectBytes = options.maxObjectBytes ?? options.memory.maxEntryBytes;
  }

  /** Follows chain events (deletions, epoch changes) until the returned function is called. */
  start(): () => void {
    return this.#lifetimes.follow({
      deleted: (blobId) => {
        this.#purges.deleted++;
        this.purge(blobId);
      },
      // A blob certified just now must not stay hidden behind a remembered "not found".
      certified: (blobId) => this.#negative.delete(blobId),
      epoch: (epoch) => {
        this.#epoch = epoch;
        this.#purges.expired += this.memory.purgeWhere(
          (_id, blob) => blob.endEpoch !== undefined && blob.endEpoch <= epoch,
        );
      },
    });
  }

  hit(blobId: string): CachedBlob | undefined {
    const blob = this.memory.get(blobId);
    if (blob && this.#epoch !== undefined && blob.endEpoch !== undefined && blob.endEpoch <= this.#epoch) {
      this.memory.delete(blobId);
      return undefined;
    }
    return blob;
  }

  /** A request's lookup: memory first, then Redis (promoting what it finds); a miss is counted. */
  async lookup(blobId: string): Promise<{ blob: CachedBlob; tier: CacheTier } | undefined> {
    const found = await this.#find(blobId);
    if (!found) this.#misses.set(blobId, (this.#misses.get(blobId) ?? 0) + 1);
    return found;
  }

  async #find(blobId: string): Promise<{ blob: CachedBlob; tier: CacheTier } | undefined> {
    const inMemory = this.hit(blobId);
    if (inMemory) return { blob: inMemory, tier: 'HIT-MEMORY' };
    const inRedis = await this.#redis?.get(blobId, this.#epoch);
    if (!inRedis) return undefined;
    this.memory.set(blobId, inRedis);
    return { blob: inRedis, tier: 'HIT-REDIS' };
  }

  knownMissing(blobId: string): boolean {
    return this.#negative.has(blobId);
  }

  noteMissing(blobId: string): void {
    this.#negative.add(blobId);
  }

  /** Whether a blob of this size is cached at all (in memory if it fits there, in Redis). */
  cacheable(size: number): boolean {
    return size <= this.#maxObjectBytes;
  }

  purge(blobId: string): void {
    this.memory.delete(blobId);
    this.#negative.delete(blobId);
    void this.#redis?.delete(blobId);
  }

  /** Reconstructions this cache has started (each fill of a blob counts once, however many waited). */
  get fills(): number {
    return this.#fills;
  }

  /**
   * The whole blob through one reconstruction, shared by every concurrent caller; stored in memory
   * when it fits and its end epoch is known. A caller that aborts stops waiting; the work goes on for
   * the others and stops only when none is left.
   */
  fill(meta: BlobMetadataResult, signal?: AbortSignal): Promise<Uint8Array | ReadFailure> {
    return this.#flights.run(
      meta.blobId,
      async (flightSignal) => {
        // A flight that finished a moment ago, here or on another instance, may already have stored it.
        const stored = await this.#find(meta.blobId);
        if (stored) return stored.blob.bytes;
        // Across instances: one claims the reconstruction in Redis, the others wait for its result.
        const claimed = this.cacheable(meta.size)
          ? await this.#redis?.claim(meta.blobId, this.#instance, CLAIM_MS)
          : undefined;
        if (claimed === false) {
          const landed = await this.#redis!.waitFor(meta.blobId, flightSignal, CLAIM_MS, this.#epoch);
          if (landed) {
            this.memory.set(meta.blobId, landed);
            return landed.bytes;
          }
        }
        try {
          return await this.#reconstruct(meta, flightSignal);
        } finally {
          if (claimed) void this.#redis!.release(meta.blobId, this.#instance);
        }
      },
      signal,
    );
  }

  async #reconstruct(meta: BlobMetadataResult, flightSignal: AbortSignal): Promise<Uint8Array | ReadFailure> {
    this.#fills++;
    const [result, lifetime] = await Promise.all([
      this.#reader.stream(meta, { signal: flightSignal }),
      this.#lifetimes.lifetime(meta.blobId).catch(() => undefined),
    ]);
    if (result.kind !== 'ok') return result;
    let bytes: Uint8Array;
    try {
      bytes = await readAllBytes(result.body);
    } catch {
      return failure('unavailable', 'the reconstruction failed part-way');
    }
    const now = Date.now();
    const endEpoch = lifetime?.endEpoch;
    if (
      endEpoch !== undefined &&
      (this.#epoch === undefined || endEpoch > this.#epoch) &&
      (lifetime?.endsAtMs === undefined || lifetime.endsAtMs > now)
    ) {
      // Entries end with the blob: by epoch (events) and, where epochs follow a clock, by time too.
      const entry: CachedBlob = { bytes, storedAt: now, endEpoch, expiresAt: lifetime?.endsAtMs };
      if (this.#admit(meta.blobId, bytes.length)) this.memory.set(meta.blobId, entry);
      // Awaited: instances waiting on our claim look for it the moment the claim is released.
      if (this.cacheable(bytes.length)) await this.#redis?.set(meta.blobId, entry);
    }
    return bytes;
  }

  /**
   * The operator's warm-up: reconstructs the blob now (once, shared with any concurrent miss) and
   * keeps it, pinned in memory if asked. Resolves to what happened.
   */
  async warm(
    meta: BlobMetadataResult,
    pin: boolean,
  ): Promise<'cached' | 'pinned' | 'too-large' | ReadFailure['kind']> {
    if (!this.cacheable(meta.size) && !pin) return 'too-large';
    // The operator asked for it: past the doorkeeper at once.
    this.#misses.set(meta.blobId, 2);
    const bytes = await this.fill(meta);
    if (!(bytes instanceof Uint8Array)) return bytes.kind;
    if (!pin) return 'cached';
    const entry = this.memory.get(meta.blobId) ?? { bytes, storedAt: Date.now() };
    this.memory.pin(meta.blobId, entry);
    return 'pinned';
  }

  stats() {
    return {
      memory: this.memory.stats(),
      redis: this.#redis ? { available: this.#redis.available, failures: this.#redis.failures } : null,
      fills: this.#fills,
      purges: { ...this.#purges },
      epoch: this.#epoch ?? null,
    };
  }

  #admit(blobId: string, size: number): boolean {
    return size <= this.#admitAtOnceBytes || (this.#misses.get(blobId) ?? 0) >= 2;
  }

  /** Fills in the background (after a range miss), if a slot is free; never blocks the caller. */
  fillInBackground(meta: BlobMetadataResult): void {
    if (this.#backgroundFills >= this.#maxBackgroundFills || !this.cacheable(meta.size)) return;
    this.#backgroundFills++;
    void this.fill(meta)
      .catch(() => undefined)
      .finally(() => this.#backgroundFills--);
  }
}
