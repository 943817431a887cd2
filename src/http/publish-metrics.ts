// Prometheus instruments for publishing: uploads by route and outcome, the bytes they carried, their
// whole duration, each phase of the pipeline (through the publisher's PublishObserver, so the
// publisher stays free of any metrics library), the upload queue, and the sliver distribution (the
// distributor's DistributionObserver: nodes' outcomes, retries, bytes sent, time to quorum,
// stragglers). No blob IDs or node names in labels.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PublishObserver } from '../publish/publish-outcome.ts';
import type { DistributionObserver } from '../publish/sliver-distributor.ts';
import type { ReconstructionLimiter } from '../read/limiter.ts';
import type { PublishRecorder } from './routes/publish-routes.ts';

const SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function publishMetrics(
  registry: Registry,
  uploads: Pick<ReconstructionLimiter, 'active' | 'queued'>,
): { recorder: PublishRecorder; observer: PublishObserver; distribution: DistributionObserver } {
  const requests = new Counter({
    name: 'walrus_edge_publish_uploads_total',
    help: 'PUT /v1/blobs and /v1/quilts requests by route and outcome (newly-created, already-certified, bad-request, refused-by-authorizer, outside-grant, too-large, busy, insufficient-confirmations, chain-failed, ...).',
    labelNames: ['route', 'outcome'] as const,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'walrus_edge_publish_bytes_total',
    help: 'Request body bytes read by the publisher, by route and outcome.',
    labelNames: ['route', 'outcome'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'walrus_edge_publish_seconds',
    help: 'Whole upload requests, from the first header to the answer, by route and outcome.',
    labelNames: ['route', 'outcome'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const phases = new Histogram({
    name: 'walrus_edge_publish_phase_seconds',
    help: 'Phases of an upload: encode, status (already certified?), register, upload (slivers and confirmations), certify.',
    labelNames: ['phase'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  new Gauge({
    name: 'walrus_edge_publish_uploads_in_progress',
    help: 'Uploads holding one of the PUBLISH_MAX_CONCURRENT slots now.',
    registers: [registry],
    collect() {
      this.set(uploads.active);
    },
  });
  new Gauge({
    name: 'walrus_edge_publish_uploads_queued',
    help: 'Uploads waiting for a slot now (at most PUBLISH_MAX_QUEUED; beyond it, 429).',
    registers: [registry],
    collect() {
      this.set(uploads.queued);
    },
  });
  const nodes = new Counter({
    name: 'walrus_edge_publish_node_uploads_total',
    help: "Storage nodes' parts of distributions by how they ended (confirmed, invalid-confirmation, failed, timed-out, not-needed, cancelled).",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'walrus_edge_publish_node_retries_total',
    help: 'Requests to storage nodes retried after a transient failure, by kind (metadata, sliver, confirmation).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const sent = new Counter({
    name: 'walrus_edge_publish_sent_bytes_total',
    help: 'Metadata and sliver bytes sent to storage nodes (retries included).',
    registers: [registry],
  });
  const quorum = new Histogram({
    name: 'walrus_edge_publish_quorum_seconds',
    help: 'Time from the start of a distribution until valid confirmations covered a quorum of shards.',
    buckets: SECONDS,
    registers: [registry],
  });
  const distributions = new Histogram({
    name: 'walrus_edge_publish_distribution_seconds',
    help: 'Whole distributions (slivers out, certificate or not), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  const cost = new Counter({
    name: 'walrus_edge_publish_cost_frost_total',
    help: 'WAL (FROST) paid to the network for the registrations the publisher bought (storage for the epochs asked and the write fee; gas is walrus_edge_publish_gas_mist_total).',
    registers: [registry],
  });
  const stragglers = new Counter({
    name: 'walrus_edge_publish_straggler_uploads_total',
    help: 'Uploads to slow nodes continued in the background after the certificate, by how they ended.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    distribution: {
      nodeFinished: (outcome) => nodes.inc({ outcome }),
      requestRetried: (kind) => retries.inc({ kind }),
      bytesSent: (bytes) => sent.inc(bytes),
      quorumReached: (ms) => quorum.observe(ms / 1000),
      distributionFinished: (outcome, ms) => distributions.observe({ outcome }, ms / 1000),
      stragglerFinished: (outcome) => stragglers.inc({ outcome }),
    },
    recorder: {
      upload(route, outcome, read, seconds) {
        requests.inc({ route, outcome });
        bytes.inc({ route, outcome }, read);
        durations.observe({ route, outcome }, seconds);
      },
    },
    observer: {
      phase: (phase, ms) => phases.observe({ phase }, ms / 1000),
      // A counter is a float: exact to 2^53 FROST (9 million WAL) per process lifetime.
      registered: (frost) => cost.inc(Number(frost)),
    },
  };
}
