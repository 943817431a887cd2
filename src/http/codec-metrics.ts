// Prometheus view of the codec pool (src/codec/codec-pool.ts): how long sliver checks and decodes run
// in their workers, how many jobs of each kind ran, and how many wait for a worker (a queue that stays
// long means the pool is short of cores). Fed through the pool's observer and read at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CodecObserver } from '../codec/codec-pool.ts';

/** Checks take well under a millisecond at small n and a few at n = 1000. */
const VERIFY_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
/** A decode from slivers 0..P-1 takes tens of milliseconds at n = 1000, from a random P seconds. */
const DECODE_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The pool's observer; `queued` is the pool's queue length, read at scrape time. */
export function codecMetrics(registry: Registry, queued: () => number): CodecObserver {
  const verify = new Histogram({
    name: 'walrus_edge_verify_seconds',
    help: 'Time a codec worker spent checking one sliver against its hash (RS expansion and Merkle root).',
    buckets: VERIFY_SECONDS,
    registers: [registry],
  });
  const decode = new Histogram({
    name: 'walrus_edge_decode_seconds',
    help: 'Time a codec worker spent decoding a blob from primary slivers.',
    buckets: DECODE_SECONDS,
    registers: [registry],
  });
  const tasks = new Counter({
    name: 'walrus_edge_codec_tasks_total',
    help: 'Codec jobs run, by kind: verify (one sliver), decode, blob-id (strict re-encode), encode (an upload).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'walrus_edge_codec_queue_depth',
    help: 'Codec jobs waiting for a worker now (not those running).',
    registers: [registry],
    collect() {
      this.set(queued());
    },
  });
  return {
    jobFinished(kind, ms) {
      if (kind === 'verify') verify.observe(ms / 1000);
      else if (kind === 'decode') decode.observe(ms / 1000);
      tasks.inc({ kind });
    },
  };
}
