// L1: whole blobs in process memory, an LRU bounded in bytes with a per-object cap, so one huge blob
// cannot evict the hot set. Entries carry when they were stored (for Age) and may carry an expiry.
import { LRUCache } from 'lru-cache';

export interface CachedBlob {
  bytes: Uint8Array;
  /** ms since 1970, for the Age header. */
  storedAt: number;
  /** ms since 1970 after which the entry must not be served (the blob's end of life), if known. */
  expiresAt?: number;
  /** The epoch at which the blob expires on chain (exclusive), if known. */
  endEpoch?: number;
}

/** Whole seconds since the entry was stored (the Age header). */
export function ageSeconds(blob: CachedBlob, now = Date.now()): number {
  return Math.max(0, Math.floor((now - blob.storedAt) / 1000));
}

export interface MemoryTierOptions {
  maxBytes: number;
  maxEntryBytes: number;
}

export class MemoryTier {
  readonly maxEntryBytes: number;
  readonly #lru: LRUCache<string, CachedBlob>;
  /** Pinned by the operator: never evicted, outside the LRU's budget. */
  readonly #pinned = new Map<string, CachedBlob>();
  #hits = 0;
  #misses = 0;
  /** Entries the LRU dropped to make room (not deletions, purges or replacements). */
  #evictions = 0;

  constructor({ maxBytes, maxEntryBytes }: MemoryTierOptions) {
    this.maxEntryBytes = Math.min(maxEntryBytes, maxBytes);
    this.#lru = new LRUCache<string, CachedBlob>({
      maxSize: maxBytes,
      maxEntrySize: this.maxEntryBytes,
      // Zero-length blobs still cost an entry.
      sizeCalculation: (blob) => Math.max(1, blob.bytes.length),
      // 'evict' is lru-cache's reason for an entry dropped for the size budget; deletes are 'delete'.
      dispose: (_blob, _id, reason) => {
        if (reason === 'evict') this.#evictions++;
      },
    });
  }

  get(blobId: string, now = Date.now()): CachedBlob | undefined {
    const blob = this.#pinned.get(blobId) ?? this.#lru.get(blobId);
    if (blob && blob.expiresAt !== undefined && blob.expiresAt <= now) {
      this.delete(blobId);
      this.#misses++;
      return undefined;
    }
    if (blob) this.#hits++;
    else this.#misses++;
    return blob;
  }

  /** As `get`, but not counted as a lookup: another process of the host asking (src/cluster/). */
  peek(blobId: string, now = Date.now()): CachedBlob | undefined {
    const blob = this.#pinned.get(blobId) ?? this.#lru.get(blobId);
    return blob && (blob.expiresAt === undefined || blob.expiresAt > now) ? blob : undefined;
  }

  /** False when the blob is larger than one entry may be. */
  set(blobId: string, blob: CachedBlob): boolean {
    if (blob.bytes.length > this.maxEntryBytes) return false;
    this.#lru.set(blobId, blob);
    return true;
  }

  delete(blobId: string): boolean {
    const pinned = this.#pinned.delete(blobId);
    return this.#lru.delete(blobId) || pinned;
  }

  /** Keeps a blob in memory until it is purged or expires, whatever the LRU decides. */
  pin(blobId: string, blob: CachedBlob): void {
    this.#lru.delete(blobId);
    this.#pinned.set(blobId, blob);
  }

  /** Drops every entry the predicate selects; returns how many. */
  purgeWhere(predicate: (blobId: string, blob: CachedBlob) => boolean): number {
    const doomed = [...this.#lru.entries(), ...this.#pinned.entries()]
      .filter(([id, blob]) => predicate(id, blob))
      .map(([id]) => id);
    for (const id of doomed) this.delete(id);
    return doomed.length;
  }

  stats() {
    const pinnedBytes = [...this.#pinned.values()].reduce((sum, blob) => sum + blob.bytes.length, 0);
    return {
      entries: this.#lru.size + this.#pinned.size,
      bytes: this.#lru.calculatedSize + pinnedBytes,
      pinned: this.#pinned.size,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }
}
