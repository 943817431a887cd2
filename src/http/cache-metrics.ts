// Prometheus view of the blob cache, read from its stats at scrape time (no per-request bookkeeping).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BlobCache } from '../cache/blob-cache.ts';

export function registerCacheMetrics(registry: Registry, cache: BlobCache): void {
  new Gauge({
    name: 'walrus_edge_cache_memory_bytes',
    help: 'Bytes of blobs held in the memory tier (pinned ones included).',
    registers: [registry],
    collect() {
      this.set(cache.stats().memory.bytes);
    },
  });
  new Gauge({
    name: 'walrus_edge_cache_memory_entries',
    help: 'Blobs held in the memory tier.',
    registers: [registry],
    collect() {
      this.set(cache.stats().memory.entries);
    },
  });
  new Counter({
    name: 'walrus_edge_cache_memory_lookups_total',
    help: 'Memory-tier lookups by result (hit | miss).',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      const { hits, misses } = cache.stats().memory;
      this.reset();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
    },
  });
  new Counter({
    name: 'walrus_edge_cache_fills_total',
    help: 'Reconstructions started to fill the cache (one per blob however many requests waited).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cache.stats().fills);
    },
  });
  new Counter({
    name: 'walrus_edge_cache_chain_purges_total',
    help: 'Entries dropped on chain events, by reason (deleted | expired at its end epoch).',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      const { deleted, expired } = cache.stats().purges;
      this.reset();
      this.inc({ reason: 'deleted' }, deleted);
      this.inc({ reason: 'expired' }, expired);
    },
  });
  new Gauge({
    name: 'walrus_edge_cache_chain_epoch',
    help: 'The epoch the cache has heard of from the chain (stuck = its event follower is behind).',
    registers: [registry],
    collect() {
      const { epoch } = cache.stats();
      if (epoch !== null) this.set(epoch);
    },
  });
  // Redis series exist only where Redis is configured.
  if (!cache.stats().redis) return;
  new Gauge({
    name: 'walrus_edge_cache_redis_up',
    help: '1 when the Redis tier is connected and its circuit breaker closed, else 0.',
    registers: [registry],
    collect() {
      this.set(cache.stats().redis?.available ? 1 : 0);
    },
  });
  new Counter({
    name: 'walrus_edge_cache_redis_failures_total',
    help: 'Redis operations that failed or timed out (each opens the circuit breaker for a while).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cache.stats().redis?.failures ?? 0);
    },
  });
}
