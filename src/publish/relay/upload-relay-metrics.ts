// Prometheus metrics of the upload relay (prom-client), fed by the route's onRelay events: outcomes by
// reason (a fixed set, never blob IDs), duration, and the bytes relayed.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { UploadRelayEvent } from './upload-relay.ts';

export function uploadRelayMetrics(registry: Registry): (event: UploadRelayEvent) => void {
  const requests = new Counter({
    name: 'walrus_edge_upload_relay_requests_total',
    help: 'POST /v1/blob-upload-relay by outcome: ok, or the refusal reason',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'walrus_edge_upload_relay_duration_seconds',
    help: 'Time from request to answer of POST /v1/blob-upload-relay, by ok or failed',
    labelNames: ['result'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const relayed = new Counter({
    name: 'walrus_edge_upload_relay_bytes_total',
    help: 'Unencoded bytes of blobs the relay sent to the storage nodes and certified',
    registers: [registry],
  });
  return (event) => {
    requests.inc({ outcome: event.outcome });
    duration.observe({ result: event.outcome === 'ok' ? 'ok' : 'failed' }, event.seconds);
    if (event.outcome === 'ok') relayed.inc(event.bytes);
  };
}
