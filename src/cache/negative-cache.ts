// Remembers "not found" for a few seconds, so a flood of requests for a missing blob costs one quorum
// of node lookups, while a blob uploaded right after is hidden for no longer than the TTL.
import { LRUCache } from 'lru-cache';

export class NegativeCache {
  readonly #entries: LRUCache<string, true>;

  constructor(ttlMs: number, maxEntries = 100_000) {
    this.#entries = new LRUCache<string, true>({ max: maxEntries, ttl: Math.max(1, ttlMs) });
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  add(id: string): void {
    this.#entries.set(id, true);
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }
}
