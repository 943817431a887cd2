// /metrics for the whole host, whichever worker is asked: the worker asks the primary, the primary
// collects every ready worker's registry as JSON and merges them with prom-client's own
// AggregatorRegistry.aggregate — counters and histograms summed, gauges by the `aggregator` each one
// declares (sum unless said otherwise; e.g. the chain epoch takes the minimum). Checked 2026-12-01:
// prom-client 15.1.3 (this repo's) aggregates so; its clusterMetrics() asks every connected worker,
// including one still starting that cannot answer yet, and fails the whole scrape after 5 s, so the
// collection is ours and asks ready workers only. (prom-client's successor, prometheus/client_js,
// has a new cluster protocol; not used here.)
// A host counter must never go down, or Prometheus reads a reset and rate() jumps by the counter's
// whole value: a worker that exits (crashed, replaced) leaves its counters and histograms as of the
// last scrape in a retired baseline that every later merge adds, and a worker that does not answer a
// scrape in time is merged as it last answered. What a worker counted after its last scrape is lost
// with it — an undercount, never a reset.
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
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
  /** Each worker's registry as it last answered. */
  const latest = new Map<Link, Snapshot>();
  /**
   * What exited workers had counted, summed. A promise, set the moment a worker is retired: a scrape
   * that starts while the sum is being made waits for it instead of missing the worker altogether.
   */
  let retired: Promise<Snapshot> = Promise.resolve([]);
  return {
    restarted: () => restarts.inc(),
    /** A worker exited: what it counted stays in the host's counters. */
    retire(link: Link): void {
      const last = latest.get(link);
      latest.delete(link);
      if (!last) return;
      // prom-client's types call `type` an enum; at run time it is the exposition's name ('counter', …).
      const monotonic = last.filter((metric) => ['counter', 'histogram'].includes(String(metric.type)));
      retired = retired.then((sum) => AggregatorRegistry.aggregate([sum, monotonic]).getMetricsAsJSON());
    },
    async text(): Promise<string> {
      const { ready } = workers();
      const answers = await Promise.all(
        ready.map((link) =>
          link.request<Snapshot>('metrics.json', null, { timeoutMs: WORKER_SCRAPE_MS }).then(
            (answer) => {
              latest.set(link, answer);
              return answer;
            },
            () => undefined,
          ),
        ),
      );
      missing.set(answers.filter((answer) => answer === undefined).length);
      const merged = ready.flatMap((link, i) => {
        const answer = answers[i] ?? latest.get(link);
        return answer ? [answer] : [];
      });
      return AggregatorRegistry.aggregate([...merged, await retired, await own.getMetricsAsJSON()]).metrics();
    },
  };
}

type Snapshot = MetricObjectWithValues<MetricValue<string>>[];
