// Prometheus view of the blob cache and what sits around it (single-flight joins, Redis errors and
// evictions), read from stats at scrape time wherever it can be (no per-request bookkeeping).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BlobCache } from '../cache/blob-cache.ts';

const REDIS_ERRORS = 'walrus_edge_redis_errors_total';

const REDIS_ERRORS_HELP =
  'Redis operations that failed or timed out, by operation: cache_get, cache_set, cache_delete, fill_claim, fill_release, fill_wait (the cache tier; each also opens its circuit breaker), jwt_claim, jwt_release (the JWT replay guard).';

/**
 * Counts a failure of the JWT replay guard's Redis into the registry's one Redis error counter. The
 * cache's metrics (registerCacheMetrics, which runs first wherever Redis is configured) created it;
 * without Redis for the cache it is created here.
 */
export function redisErrorCounter(registry: Registry): Counter<'operation'> {
  return (
    (registry.getSingleMetric(REDIS_ERRORS) as Counter<'operation'> | undefined) ??
    new Counter({
      name: REDIS_ERRORS,
      help: REDIS_ERRORS_HELP,
      labelNames: ['operation'] as const,
      registers: [registry],
    })
  );
}

/** The cache tier's operations as the Redis error counter names them. */
const TIER_OPERATIONS: Record<string, string> = {
  get: 'cache_get',
  set: 'cache_set',
  delete: 'cache_delete',
  claim: 'fill_claim',
  release: 'fill_release',
  wait: 'fill_wait',
};

/**
 * Requests that joined work already in flight instead of starting their own: layer="open" (the
 * blob's metadata fetch, read/single-flight-source.ts), layer="fill" (its whole reconstruction, the
 * cache's shared fill). Returns the open layer's hook; the fill layer is read from the cache's stats.
 */
export function singleFlightMetrics(registry: Registry, cache: BlobCache): { joined(): void } {
  let opens = 0;
  new Counter({
    name: 'walrus_edge_single_flight_joins_total',
    help: 'Requests that joined work already in flight for the same blob, by layer: open (metadata fetch) | fill (whole reconstruction into the cache).',
    labelNames: ['layer'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ layer: 'open' }, opens);
      this.inc({ layer: 'fill' }, cache.stats().fillJoins);
    },
  });
  return { joined: () => void opens++ };
}

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
    // Of several processes (HTTP_WORKERS), the one furthest behind.
    aggregator: 'min',
    collect() {
      const { epoch } = cache.stats();
      if (epoch !== null) this.set(epoch);
    },
  });
  new Counter({
    name: 'walrus_edge_cache_evictions_total',
    help: 'Cache entries this edge dropped to make room, by tier: memory (the LRU, for its byte budget; not purges or deletes). Redis evicts on its own: walrus_edge_cache_redis_evicted_keys.',
    labelNames: ['tier'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ tier: 'memory' }, cache.stats().memory.evictions);
    },
  });
  // Redis series exist only where Redis is configured.
  if (cache.stats().redis === null) return;
  // Server-wide and since Redis started, so not this edge's to count: a gauge of Redis's own number
  // (rate() over it gives evictions per second; a Redis restart reads as a counter reset). Every
  // instance and worker reports the same value: aggregated by max, never summed.
  new Gauge({
    name: 'walrus_edge_cache_redis_evicted_keys',
    help: "Keys Redis itself evicted for maxmemory since it started (INFO stats evicted_keys; the sum over a Cluster's masters): server-wide, the same for every edge sharing it (take max, not sum).",
    aggregator: 'max',
    registers: [registry],
    async collect() {
      const evicted = await cache.sharedTierEvictions();
      if (evicted !== undefined) this.set(evicted);
    },
  });
  new Gauge({
    name: 'walrus_edge_cache_redis_up',
    help: '1 when the Redis tier is connected and its circuit breaker closed, else 0.',
    registers: [registry],
    // Of several processes (HTTP_WORKERS), 0 if any of them cannot use Redis.
    aggregator: 'min',
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
  // The cache tier's failures by operation, added as they grow (no reset: the JWT replay guard
  // increments the same counter directly).
  const counted: Record<string, number> = {};
  new Counter({
    name: REDIS_ERRORS,
    help: REDIS_ERRORS_HELP,
    labelNames: ['operation'] as const,
    registers: [registry],
    collect() {
      for (const [operation, failures] of Object.entries(cache.stats().redis?.byOperation ?? {})) {
        const added = failures - (counted[operation] ?? 0);
        const label = TIER_OPERATIONS[operation] ?? `cache_${operation}`;
        if (added > 0 || counted[operation] === undefined) this.inc({ operation: label }, added);
        counted[operation] = failures;
      }
    },
  });
}
