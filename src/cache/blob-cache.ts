// The edge's blob cache: hot blobs in tiers (memory first, then Redis), one reconstruction per blob
// however many requests miss at once — streamed to all of them as it arrives and kept when it is done
// (SharedFill) — "not found" remembered briefly, and entries that never outlive the blob: each carries
// its end epoch, and chain events purge deleted and expired ones. The read stack's cached layer
// (cached-source.ts) is its one user on the request path; the fast path and the admin API ask it too.
import { LRUCache } from 'lru-cache';
import type { BlobLifetime, BlobLifetimes } from '../network/blob-lifetimes.ts';
import { isFailure, type BlobHandle } from '../read/blob-source.ts';
import { failure, type ReadFailure } from '../read/read-errors.ts';
import type { CacheTier, FillClaims, TierHealth } from './cache-tier.ts';
import type { CachedBlob, MemoryTier } from './memory-tier.ts';
import type { NegativeCache } from './negative-cache.ts';
import { SharedFill } from './shared-fill.ts';

export interface BlobCacheOptions {
  memory: MemoryTier;
  negative: NegativeCache;
  /**
   * Larger blobs are never cached (streamed instead). Memory takes what fits its own budget; the
   * other tiers take anything up to this. Default: the memory tier's per-entry cap.
   */
  maxObjectBytes?: number;
  /** Without it nothing is cached: an entry must know when its blob ends. */
  lifetimes: BlobLifetimes;
  /** Background fills (after a range miss) at once; more are skipped, not queued. */
  maxBackgroundFills?: number;
  /** Tiers after memory (Redis), shared by edge instances and kept across restarts. */
  tiers?: CacheTier[];
  /** How instances sharing a tier agree on one reconstruction per blob (Redis claims). */
  claims?: FillClaims;
  /**
   * Blobs up to this size enter memory on their first read; larger ones only on their second (a
   * doorkeeper), so one scan of cold large blobs cannot flush the hot set. Default 256 KiB.
   */
  admitAtOnceBytes?: number;
}

export type CacheHitLabel = CacheTier['hitLabel'];

/** A variant's cache key: its body's ID, then what makes it (blob IDs never hold a `~`). */
export function variantKey(etag: string, variant: string): string {
  return `${variantPrefix(etag)}${variant}`;
}

function variantPrefix(etag: string): string {
  return `${etag}~`;
}

/** How long a reconstruction claim holds, and how long others wait on it before trying themselves. */
const CLAIM_MS = 30_000;
/** Claims tried (and waited on) before a fill goes ahead unclaimed. */
const CLAIM_ROUNDS = 3;
/** A variant's making is not any one request's: nobody cancels the wait for it. */
const NEVER_ABORTED = new AbortController().signal;

export class BlobCache {
  readonly memory: MemoryTier;
  /** "Not found" remembered briefly (the read stack's negative layer); certified blobs leave it. */
  readonly negative: NegativeCache;
  readonly #lifetimes: BlobLifetimes;
  /** Memory first, then the shared tiers. */
  readonly #tiers: CacheTier[];
  readonly #claims: FillClaims | undefined;
  /** Fills in progress by blob ID, with the work that settles once the bytes are kept (or not). */
  readonly #inFlight = new Map<string, { fill: SharedFill; settled: Promise<void> }>();
  readonly #maxBackgroundFills: number;
  readonly #admitAtOnceBytes: number;
  readonly #maxObjectBytes: number;
  /** Misses per blob ID lately (the doorkeeper): a large blob is admitted once asked for twice. */
  readonly #misses = new LRUCache<string, number>({ max: 100_000 });
  #backgroundFills = 0;
  #epoch: number | undefined;
  /** When this instance began hearing chain events (deletions, epochs); undefined = not following. */
  #followingSince: number | undefined;
  /** Names this instance's claims. */
  readonly #instance = crypto.randomUUID();
  #fills = 0;
  /** Whole reads that joined a fill already running (instead of starting one). */
  #fillJoins = 0;
  /** Entries dropped because the chain said so: the blob was deleted, or its end epoch began. */
  readonly #purges = { deleted: 0, expired: 0 };

  constructor(options: BlobCacheOptions) {
    this.memory = options.memory;
    this.negative = options.negative;
    this.#lifetimes = options.lifetimes;
    this.#claims = options.claims;
    this.#maxBackgroundFills = options.maxBackgroundFills ?? 4;
    this.#admitAtOnceBytes = options.admitAtOnceBytes ?? 256 * 1024;
    this.#maxObjectBytes = options.maxObjectBytes ?? options.memory.maxEntryBytes;
    this.#tiers = [this.#memoryTier(), ...(options.tiers ?? [])];
  }

  /** Follows chain events (deletions, epoch changes) until the returned function is called. */
  start(): () => void {
    this.#followingSince = Date.now();
    return this.#lifetimes.follow({
      deleted: (blobId) => {
        this.#purges.deleted++;
        this.purge(blobId);
      },
      // A blob certified just now must not stay hidden behind a remembered "not found".
      certified: (blobId) => this.negative.delete(blobId),
      epoch: (epoch) => {
        this.#epoch = epoch;
        this.#purges.expired += this.memory.purgeWhere(
          (_id, blob) => blob.endEpoch !== undefined && blob.endEpoch <= epoch,
        );
      },
    });
  }

  /**
   * A memory hit, synchronously (the fast path); never one past its end epoch. Uncounted: another
   * process of the host asking (src/cluster/peer-tier.ts), not a lookup of this one.
   */
  hit(blobId: string, { counted = true } = {}): CachedBlob | undefined {
    const blob = counted ? this.memory.get(blobId) : this.memory.peek(blobId);
    if (blob && this.#epoch !== undefined && blob.endEpoch !== undefined && blob.endEpoch <= this.#epoch) {
      this.memory.delete(blobId);
      return undefined;
    }
    return blob;
  }

  /**
   * A request's lookup: tier by tier, copying a later tier's hit into the earlier ones; a miss is
   * counted. A fill whose last byte is in but which is still being kept (its lifetime is asked of the
   * chain after the last byte) is a memory hit too: the bytes are here, and a request in that moment
   * must not open the blob at the nodes again.
   */
  async lookup(blobId: string): Promise<{ blob: CachedBlob; tier: CacheHitLabel } | undefined> {
    const found = await this.#find(blobId);
    if (found) return found;
    const finished = this.#inFlight.get(blobId)?.fill;
    if (finished?.done) return { blob: { bytes: finished.bytes, storedAt: Date.now() }, tier: 'HIT-MEMORY' };
    this.#misses.set(blobId, this.#requests(blobId) + 1);
    return undefined;
  }

  async #find(blobId: string): Promise<{ blob: CachedBlob; tier: CacheHitLabel } | undefined> {
    for (const [index, tier] of this.#tiers.entries()) {
      const blob = await tier.get(blobId, this.#epoch);
      if (!blob) continue;
      if (index > 0 && !(await this.#stillLive(blobId, blob, tier))) return undefined;
      // Promoted: it was asked for again, so past the doorkeeper.
      for (const earlier of this.#tiers.slice(0, index)) await earlier.set(blobId, blob, 2);
      return { blob, tier: tier.hitLabel };
    }
    return undefined;
  }

  /**
   * A shared tier may hold a blob that was deleted, or has expired, while this instance was not
   * listening (no edge was running, or this one had not heard its first epoch yet): such an entry is
   * checked against the chain once before it is served — and promoted into memory, which events guard
   * from then on. Entries stored since this instance began listening were guarded by its events.
   */
  async #stillLive(blobId: string, blob: CachedBlob, tier: CacheTier): Promise<boolean> {
    const heardSince =
      this.#followingSince !== undefined &&
      this.#epoch !== undefined &&
      blob.storedAt >= this.#followingSince;
    if (heardSince) return true;
    const lifetime = await this.#lifetimes.lifetime(blobId).then(
      (life) => life ?? null,
      () => undefined,
    );
    // The chain cannot tell right now: not served from here (the nodes can still answer).
    if (lifetime === undefined) return false;
    if (lifetime === null || (this.#epoch !== undefined && lifetime.endEpoch <= this.#epoch)) {
      this.#purges[lifetime === null ? 'deleted' : 'expired']++;
      await tier.delete(blobId);
      return false;
    }
    return true;
  }

  /** Whether a blob of this size is cached at all (in memory if it fits there, in the other tiers). */
  cacheable(size: number): boolean {
    return size <= this.#maxObjectBytes;
  }

  purge(blobId: string): void {
    this.negative.delete(blobId);
    for (const tier of this.#tiers) void tier.delete(blobId);
    // Its variants in memory go too (those in shared tiers are only ever served after the blob itself
    // was opened through the read stack, which now finds it gone; their TTL ends them).
    const prefix = variantPrefix(blobId);
    this.memory.purgeWhere((key) => key.startsWith(prefix));
  }

  /**
   * A variant of a body (an image transform, a compressed copy) by its key (`variantKey`), tier by
   * tier as blobs are. Not checked against the chain: a variant is served only after its blob was
   * opened through the read stack, which checks that.
   */
  async variant(key: string): Promise<{ blob: CachedBlob; tier: CacheHitLabel } | undefined> {
    const inMemory = this.variantInMemory(key);
    if (inMemory) return { blob: inMemory, tier: 'HIT-MEMORY' };
    const shared = this.#tiers.slice(1);
    for (const [index, tier] of shared.entries()) {
      const blob = await tier.get(key, undefined);
      if (!blob) continue;
      this.memory.set(key, blob);
      for (const earlier of shared.slice(0, index)) await earlier.set(key, blob, 2);
      return { blob, tier: tier.hitLabel };
    }
    return undefined;
  }

  /** A variant in memory, synchronously (the fast path); not counted among the blob lookups. */
  variantInMemory(key: string): CachedBlob | undefined {
    return this.memory.peek(key);
  }

  /** Keeps a variant in every tier that takes it (memory within its per-entry cap). */
  async keepVariant(key: string, blob: CachedBlob): Promise<void> {
    if (blob.bytes.length > this.#maxObjectBytes) return;
    this.memory.set(key, blob);
    for (const tier of this.#tiers.slice(1)) await tier.set(key, blob, 2);
  }

  /**
   * Makes a variant once for every instance that shares the claims (the host's workers, the edges
   * sharing Redis), as a fill is made once: the claim's holder makes it and keeps it; the others wait
   * for its bytes. `make` says what to keep, if anything: when the holder keeps nothing (the variant is
   * served as stored, or was refused), a waiter makes its own and comes to the same outcome.
   */
  async variantOnce<T>(
    key: string,
    make: () => Promise<{ outcome: T; keep?: CachedBlob }>,
  ): Promise<{ landed: CachedBlob } | { made: T }> {
    const claims = this.#claims;
    let kept: CachedBlob | undefined;
    try {
      const landed = await this.#landedElsewhere(
        claims,
        key,
        NEVER_ABORTED,
        undefined,
        async () => (await this.variant(key))?.blob,
      );
      if (landed) {
        this.memory.set(key, landed);
        return { landed };
      }
      const { outcome, keep } = await make();
      if (keep) {
        await this.keepVariant(key, keep);
        kept = keep;
      }
      return { made: outcome };
    } finally {
      if (claims) void claims.release(key, this.#instance, kept);
    }
  }

  /**
   * The whole blob through one reconstruction shared by every concurrent caller, streamed to each from
   * its first byte on, and kept when it is done (if it fits and its end epoch is known). A caller that
   * aborts stops waiting; the work goes on for the others and stops only when none is left.
   */
  fill(handle: BlobHandle, signal: AbortSignal): Promise<ReadableStream<Uint8Array> | ReadFailure> {
    if (this.#inFlight.has(handle.blobId)) this.#fillJoins++;
    return this.#fillFor(handle).fill.join(signal);
  }

  /** Fills in the background (after a range miss), if a slot is free; never blocks the caller. */
  fillInBackground(handle: BlobHandle): void {
    if (this.#inFlight.has(handle.blobId)) return;
    if (this.#backgroundFills >= this.#maxBackgroundFills || !this.cacheable(handle.size)) return;
    this.#backgroundFills++;
    const { fill, settled } = this.#fillFor(handle);
    const release = fill.hold();
    void settled.finally(() => {
      release();
      this.#backgroundFills--;
    });
  }

  /** Lets the blob past the doorkeeper at once (the operator asked for it). */
  admitNow(blobId: string): void {
    this.#misses.set(blobId, 2);
  }

  /**
   * A blob this edge just published, likely to be read soon: kept in every tier (Redis too, so the
   * other instances serve it) until its end epoch, as a fill would keep it. No-op if not cacheable.
   */
  async warm(blobId: string, bytes: Uint8Array, endEpoch: number): Promise<void> {
    this.admitNow(blobId);
    await this.#keep(blobId, bytes, { endEpoch });
  }

  /** Keeps the blob in memory until it is purged or expires, whatever the LRU decides. */
  pin(blobId: string, bytes: Uint8Array): void {
    this.memory.pin(blobId, this.memory.get(blobId) ?? { bytes, storedAt: Date.now() });
  }

  stats() {
    return {
      memory: this.memory.stats(),
      redis: this.#health(),
      fills: this.#fills,
      fillJoins: this.#fillJoins,
      purges: { ...this.#purges },
      epoch: this.#epoch ?? null,
    };
  }

  #health(): TierHealth | null {
    return this.#tiers.find((tier) => tier.health)?.health?.() ?? null;
  }

  /** Keys the shared tier's store (Redis) evicted on its own, since it started; undefined if unknown. */
  async sharedTierEvictions(): Promise<number | undefined> {
    return this.#tiers.find((tier) => tier.evictedKeys)?.evictedKeys?.();
  }

  #requests(blobId: string): number {
    return this.#misses.get(blobId) ?? 0;
  }

  /** The blob's fill in progress, or a new one started now. */
  #fillFor(handle: BlobHandle): { fill: SharedFill; settled: Promise<void> } {
    const running = this.#inFlight.get(handle.blobId);
    if (running) return running;
    const fill = new SharedFill();
    const settled = this.#run(fill, handle)
      .catch(() => fill.fail(failure('unavailable', 'the cache fill failed')))
      .finally(() => {
        if (this.#inFlight.get(handle.blobId) === flight) this.#inFlight.delete(handle.blobId);
      });
    const flight = { fill, settled };
    this.#inFlight.set(handle.blobId, flight);
    return flight;
  }

  async #run(fill: SharedFill, handle: BlobHandle): Promise<void> {
    const { blobId } = handle;
    // A fill that finished a moment ago, here or on another instance, may already have stored it.
    const stored = await this.#find(blobId);
    if (stored) return this.#serve(fill, stored.blob.bytes);
    // Across instances (and the processes of a host): one claims the reconstruction, the others wait
    // for its result. A holder that gives up or dies leaves it to the waiters: they look again, and
    // one of them claims it next.
    const claims = this.cacheable(handle.size) ? this.#claims : undefined;
    let result: CachedBlob | undefined;
    try {
      const landed = await this.#landedElsewhere(
        claims,
        blobId,
        fill.signal,
        this.#epoch,
        async () => (await this.#find(blobId))?.blob,
      );
      if (landed) {
        result = landed;
        if (landed.endEpoch !== undefined) this.memory.set(blobId, landed);
        return this.#serve(fill, landed.bytes);
      }
      this.#fills++;
      const body = await handle.read(undefined, fill.signal);
      if (isFailure(body)) return fill.fail(body);
      // The lifetime is needed only to keep the bytes: asked once the first bytes are out (so its chain
      // requests do not compete with the first slivers), awaited after the last byte.
      const lifetime = this.#lifetimes.lifetime(blobId).catch(() => undefined);
      try {
        for await (const chunk of body) fill.push(chunk);
      } catch {
        return fill.fail(failure('unavailable', 'the reconstruction failed part-way'));
      }
      fill.finish();
      // Awaited: instances waiting on our claim look for the blob the moment the claim is released.
      result = (await this.#keep(blobId, fill.bytes, await lifetime)) ?? {
        bytes: fill.bytes,
        storedAt: Date.now(),
      };
    } finally {
      if (claims) void claims.release(blobId, this.#instance, result);
    }
  }

  /**
   * Claims `key` for this instance, in rounds: while another holds it, waits for the holder's result,
   * then looks again (`lookAgain`) before claiming once more. The entry that landed meanwhile, or
   * undefined when this instance is to make it: claimed, no claims, the claims cannot tell, the
   * rounds ran out, or `signal` aborted.
   */
  async #landedElsewhere(
    claims: FillClaims | undefined,
    key: string,
    signal: AbortSignal,
    epoch: number | undefined,
    lookAgain: () => Promise<CachedBlob | undefined>,
  ): Promise<CachedBlob | undefined> {
    let claimed = await claims?.claim(key, this.#instance, CLAIM_MS);
    for (let round = 1; claims && claimed === false; round++) {
      const landed =
        (await claims.waitFor(key, signal, CLAIM_MS, epoch)) ??
        (signal.aborted ? undefined : await lookAgain());
      if (landed) return landed;
      if (signal.aborted || round === CLAIM_ROUNDS) break;
      claimed = await claims.claim(key, this.#instance, CLAIM_MS);
    }
    return undefined;
  }

  #serve(fill: SharedFill, bytes: Uint8Array): void {
    fill.push(bytes);
    fill.finish();
  }

  /** Keeps the blob in every tier, if its lifetime allows; returns the entry kept. */
  async #keep(
    blobId: string,
    bytes: Uint8Array,
    lifetime: BlobLifetime | undefined,
  ): Promise<CachedBlob | undefined> {
    const now = Date.now();
    const endEpoch = lifetime?.endEpoch;
    if (
      endEpoch === undefined ||
      (this.#epoch !== undefined && endEpoch <= this.#epoch) ||
      (lifetime?.endsAtMs !== undefined && lifetime.endsAtMs <= now) ||
      !this.cacheable(bytes.length)
    )
      return undefined;
    // Entries end with the blob: by epoch (events) and, where epochs follow a clock, by time too.
    const entry: CachedBlob = { bytes, storedAt: now, endEpoch, expiresAt: lifetime?.endsAtMs };
    const requests = this.#requests(blobId);
    for (const tier of this.#tiers) await tier.set(blobId, entry, requests);
    return entry;
  }

  /** Memory as a tier: the epoch check of `hit`, and the doorkeeper for large blobs. */
  #memoryTier(): CacheTier {
    return {
      hitLabel: 'HIT-MEMORY',
      get: async (blobId) => this.hit(blobId),
      set: async (blobId, blob, requests) => {
        if (blob.bytes.length <= this.#admitAtOnceBytes || requests >= 2) this.memory.set(blobId, blob);
      },
      delete: async (blobId) => void this.memory.delete(blobId),
    };
  }
}
