// /metrics for the whole host, whichever worker is asked: the worker asks the primary, the primary
// collects every ready worker's registry as JSON and merges them with prom-client's own
// AggregatorRegistry.aggregate — counters and histograms summed, gauges by the `aggregator` each one
// declares (sum unless said otherwise; e.g. the chain epoch takes the minimum). Checked 2026-12-01:
// prom-client 15.1.3 (this repo's) aggregates so; its clusterMetrics() asks every connected worker,
// including one still starting that cannot answer yet, and fails the whole scrape after 5 s, so the
// collection is ours and asks ready workers only. (prom-client's successor, prometheus/client_js,
// has a new cluster protocol; not used here.)
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { Link } from './link.ts';

/** A scrape waits this long for each worker; one that does not answer is left out (and counted). */
const WORKER_SCRAPE_MS = 3_000;

/** A worker's registry: what it records is its own; what `metrics()` answers is the host's. */
export class HostRegistry extends Registry {
  readonly #primary: Link;

  constructor(primary: Link) {
    super();
    this.#primary = primary;
    primary.answer('metrics.json', () => this.getMetricsAsJSON());
  }

  override async metrics(): Promise<string> {
    return this.#primary.request<string>('metrics.text', null, { timeoutMs: 2 * WORKER_SCRAPE_MS });
  }
}

/** The primary's side: its own few series about the workers, and the merge of everyone's. */
export function hostMetrics(workers: () => { ready: Link[]; starting: number }) {
  const own = new Registry();
  const restarts = new Counter({
    name: 'walrus_edge_cluster_worker_restarts_total',
    help: 'Edge worker processes started again after one exited unasked (HTTP_WORKERS > 1).',
    registers: [own],
  });
  new Gauge({
    name: 'walrus_edge_cluster_workers',
    help: 'Edge worker processes by state: ready (serving) or starting (HTTP_WORKERS > 1).',
    labelNames: ['state'] as const,
    registers: [own],
    collect() {
      const { ready, starting } = workers();
      this.set({ state: 'ready' }, ready.length);
      this.set({ state: 'starting' }, starting);
    },
  });
  const missing = new Gauge({
    name: 'walrus_edge_cluster_scrape_missing_workers',
    help: 'Ready workers that did not answer the last scrape in time (their series are missing from it).',
    registers: [own],
  });
  return {
    restarted: () => restarts.inc(),
    async text(): Promise<string> {
      const { ready } = workers();
      const answers = await Promise.all(
        ready.map((link) =>
          link
            .request<object[]>('metrics.json', null, { timeoutMs: WORKER_SCRAPE_MS })
            .catch(() => undefined),
        ),
      );
      const got = answers.filter((answer) => answer !== undefined);
      missing.set(ready.length - got.length);
      return AggregatorRegistry.aggregate([...got, await own.getMetricsAsJSON()]).metrics();
    },
  };
}
