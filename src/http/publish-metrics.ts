// Prometheus instruments for publishing: uploads by route and outcome, the bytes they carried, their
// whole duration, each phase of the pipeline (through the publisher's PublishObserver, so the
// publisher stays free of any metrics library), and the upload queue. No blob IDs in labels.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PublishObserver } from '../publish/publish-outcome.ts';
import type { ReconstructionLimiter } from '../read/limiter.ts';
import type { PublishRecorder } from './routes/publish-routes.ts';

const SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function publishMetrics(
  registry: Registry,
  uploads: Pick<ReconstructionLimiter, 'active' | 'queued'>,
): { recorder: PublishRecorder; observer: PublishObserver } {
  const requests = new Counter({
    name: 'walrus_edge_publish_uploads_total',
    help: 'PUT /v1/blobs and /v1/quilts requests by route and outcome (newly-created, already-certified, too-large, busy, insufficient-confirmations, ...).',
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
  return {
    recorder: {
      upload(route, outcome, read, seconds) {
        requests.inc({ route, outcome });
        bytes.inc({ route, outcome }, read);
        durations.observe({ route, outcome }, seconds);
      },
    },
    observer: { phase: (phase, ms) => phases.observe({ phase }, ms / 1000) },
  };
}
