// The prebound series (src/http/prebound-metrics.ts) must be indistinguishable from prom-client's own
// counters and histograms: fed the same observations, the registry writes the same exposition text,
// and prom-client's AggregatorRegistry (what a cluster's /metrics sums) gives the same totals.
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { preboundCounter, preboundHistogram } from '../../src/http/prebound-metrics.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const labelNames = ['route', 'cache'] as const;
const observations: [{ route: string; cache: string }, number][] = [
  [{ route: '/v1/blobs/:blobId', cache: 'memory' }, 0.0004],
  [{ route: '/v1/blobs/:blobId', cache: 'memory' }, 0.001],
  [{ route: '/v1/blobs/:blobId', cache: 'miss' }, 0.25],
  [{ route: '/v1/blobs/:blobId', cache: 'memory' }, 0.05],
  [{ route: '/status', cache: 'none' }, 3],
  [{ route: '/v1/blobs/:blobId', cache: 'miss' }, 0.0099],
];

/** A registry with prom-client's own metrics or the prebound ones, fed the same observations. */
function fed(kind: 'prom-client' | 'prebound', values = observations): Registry {
  const registry = new Registry();
  const config = { labelNames, registers: [registry] };
  if (kind === 'prom-client') {
    const counter = new Counter({ name: 'bytes_total', help: 'Bytes.', ...config });
    const histogram = new Histogram({ name: 'seconds', help: 'Seconds.', buckets: BUCKETS, ...config });
    const plain = new Counter({ name: 'hits_total', help: 'Hits.', registers: [registry] });
    for (const [labels, value] of values) {
      counter.inc(labels, value * 1000);
      histogram.observe(labels, value);
      plain.inc();
    }
  } else {
    const counter = preboundCounter({ name: 'bytes_total', help: 'Bytes.', ...config });
    const histogram = preboundHistogram({ name: 'seconds', help: 'Seconds.', buckets: BUCKETS, ...config });
    const plain = preboundCounter({
      name: 'hits_total',
      help: 'Hits.',
      labelNames: [],
      registers: [registry],
    });
    for (const [labels, value] of values) {
      counter.series(labels).inc(value * 1000);
      histogram.series(labels).observe(value);
      plain.series({}).inc();
    }
  }
  return registry;
}

describe('prebound counters and histograms', () => {
  it('expose exactly what prom-client exposes for the same observations', async () => {
    expect(await fed('prebound').metrics()).toBe(await fed('prom-client').metrics());
  });

  it('export a labelless counter at 0 before anything happens, as prom-client does', async () => {
    expect(await fed('prebound', []).metrics()).toBe(await fed('prom-client', []).metrics());
  });

  it("sum across a cluster's workers as prom-client's own metrics do", async () => {
    const halves = [observations.slice(0, 3), observations.slice(3)];
    const summed = async (kind: 'prom-client' | 'prebound') =>
      AggregatorRegistry.aggregate(
        await Promise.all(halves.map((half) => fed(kind, half).getMetricsAsJSON())),
      ).metrics();
    expect(await summed('prebound')).toBe(await summed('prom-client'));
  });

  it('give the same series object for the same label values, whatever their order', () => {
    const counter = preboundCounter({ name: 'c_total', help: 'C.', labelNames, registers: [] });
    const one = counter.series({ route: '/a', cache: 'miss' });
    expect(counter.series({ cache: 'miss', route: '/a' })).toBe(one);
    expect(counter.series({ route: '/a', cache: 'none' })).not.toBe(one);
  });
});
