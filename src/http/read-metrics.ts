// Prometheus instruments for blob reconstruction, fed through the reader's ReadObserver hooks (the
// reader itself stays free of any metrics library). No blob IDs in labels: outcomes and kinds only.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ReadObserver } from '../read/blob-reader.ts';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function readMetrics(registry: Registry): ReadObserver {
  const metadata = new Histogram({
    name: 'walrus_edge_metadata_fetch_seconds',
    help: 'Time to fetch and verify blob metadata from storage nodes, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const reads = new Histogram({
    name: 'walrus_edge_reconstruction_seconds',
    help: 'Time from the first sliver request to the last byte of a reconstruction, by outcome.',
    labelNames: ['outcome', 'path'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const slivers = new Counter({
    name: 'walrus_edge_sliver_requests_total',
    help: 'Primary sliver requests to storage nodes by result: ok, failed (no answer or an error), invalid (did not verify).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const spares = new Counter({
    name: 'walrus_edge_spare_sliver_requests_total',
    help: 'Sliver requests beyond the planned systematic ones (hedges and replacements for failures).',
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'walrus_edge_reconstructed_bytes_total',
    help: 'Blob bytes produced by reconstruction.',
    registers: [registry],
  });
  return {
    metadataFetched: (outcome, ms) => metadata.observe({ outcome }, ms / 1000),
    readFinished: (outcome, ms, stats, produced) => {
      reads.observe({ outcome, path: stats?.decoded ? 'decoded' : 'systematic' }, ms / 1000);
      bytes.inc(produced);
      if (!stats) return;
      slivers.inc({ result: 'failed' }, stats.failedRequests);
      slivers.inc({ result: 'invalid' }, stats.invalidSlivers);
      slivers.inc(
        { result: 'ok' },
        Math.max(0, stats.sliverRequests - stats.failedRequests - stats.invalidSlivers),
      );
      spares.inc(stats.spareRequests);
    },
  };
}
