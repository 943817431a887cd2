// Prometheus view of the media work: image transforms and compressed copies — made, served from a
// cache tier, or given up on (and why) — how long the making takes, the bytes in and out of the
// compressor, and the transform pool's queue. Labels are bounded: formats, encodings, outcomes.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { preboundCounter, type CounterSeries } from '../http/prebound-metrics.ts';

export type TransformResult = 'made' | 'cached' | 'fallback' | 'refused' | 'busy';
export type CompressionResult = 'made' | 'cached' | 'not-smaller';

export interface MediaObserver {
  transform(result: TransformResult, format: string, seconds?: number): void;
  /** One result and format's count, held by the fast path so that counting a hit is one addition. */
  transformSeries(result: TransformResult, format: string): CounterSeries;
  compression(
    result: CompressionResult,
    encoding: string,
    bytesIn?: number,
    bytesOut?: number,
    seconds?: number,
  ): void;
  /** The same, for compressed copies. */
  compressionSeries(result: CompressionResult, encoding: string): CounterSeries;
}

/** A resize-and-encode of a photo takes tens of milliseconds to seconds (AVIF). */
const TRANSFORM_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const COMPRESSION_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function mediaMetrics(
  registry: Registry,
  pool: () => { active: number; queued: number },
): MediaObserver {
  // Pre-bound (src/http/prebound-metrics.ts): the fast path counts every cached variant and copy it sends.
  const transforms = preboundCounter({
    name: 'walrus_edge_image_transforms_total',
    help: 'Image variant requests by result (made now, cached in a tier, fallback to the stored image, refused by a limit, busy pool) and output format.',
    labelNames: ['result', 'format'] as const,
    registers: [registry],
  });
  const transformSeconds = new Histogram({
    name: 'walrus_edge_image_transform_seconds',
    help: 'Time to make one image variant (decode, resize, encode), by output format.',
    labelNames: ['format'] as const,
    buckets: TRANSFORM_SECONDS,
    registers: [registry],
  });
  new Gauge({
    name: 'walrus_edge_image_transforms_running',
    help: 'Image transforms running now, by state (active, queued).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const now = pool();
      this.set({ state: 'active' }, now.active);
      this.set({ state: 'queued' }, now.queued);
    },
  });
  const compressions = preboundCounter({
    name: 'walrus_edge_compressions_total',
    help: 'Compressed answers by result (made now, cached in a tier, not smaller so sent as stored) and encoding.',
    labelNames: ['result', 'encoding'] as const,
    registers: [registry],
  });
  const compressionSeconds = new Histogram({
    name: 'walrus_edge_compression_seconds',
    help: 'Time to compress one body, by encoding.',
    labelNames: ['encoding'] as const,
    buckets: COMPRESSION_SECONDS,
    registers: [registry],
  });
  const compressionBytes = new Counter({
    name: 'walrus_edge_compression_bytes_total',
    help: 'Bytes into and out of the compressor (direction in|out), by encoding: out/in is the ratio achieved.',
    labelNames: ['direction', 'encoding'] as const,
    registers: [registry],
  });
  return {
    transform(result, format, seconds) {
      transforms.series({ result, format }).inc();
      if (seconds !== undefined) transformSeconds.observe({ format }, seconds);
    },
    transformSeries: (result, format) => transforms.series({ result, format }),
    compressionSeries: (result, encoding) => compressions.series({ result, encoding }),
    compression(result, encoding, bytesIn, bytesOut, seconds) {
      compressions.series({ result, encoding }).inc();
      if (bytesIn !== undefined) compressionBytes.inc({ direction: 'in', encoding }, bytesIn);
      if (bytesOut !== undefined) compressionBytes.inc({ direction: 'out', encoding }, bytesOut);
      if (seconds !== undefined) compressionSeconds.observe({ encoding }, seconds);
    },
  };
}
