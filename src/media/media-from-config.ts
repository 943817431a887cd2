// The media settings (src/config.ts, "Media") made into the read routes' representations; called by the
// composition root. Undefined when both image variants and compression are off.
import { availableParallelism } from 'node:os';
import type { Registry } from 'prom-client';
import type { BlobCache } from '../cache/blob-cache.ts';
import type { Representations } from '../http/representations.ts';
import type { EdgeConfig } from '../config.ts';
import { compressor } from './compressor.ts';
import { imageTransformer } from './image-transformer.ts';
import { mediaMetrics } from './media-metrics.ts';
import { mediaRepresentations } from './media-representations.ts';

/** A transform that runs longer than this has gone wrong; the stored image is served instead. */
const TRANSFORM_TIMEOUT_SECONDS = 30;

export function representationsFrom(
  config: EdgeConfig,
  cache: BlobCache | undefined,
  registry: Registry,
): Representations | undefined {
  if (!config.IMAGE_TRANSFORMS && !config.COMPRESSION) return undefined;
  const transformer = config.IMAGE_TRANSFORMS
    ? imageTransformer({
        maxInputPixels: config.IMAGE_MAX_INPUT_PIXELS,
        maxFrames: config.IMAGE_MAX_FRAMES,
        animated: config.IMAGE_ANIMATED,
        concurrency: config.IMAGE_CONCURRENCY || availableParallelism(),
        queue: config.IMAGE_QUEUE,
        timeoutSeconds: TRANSFORM_TIMEOUT_SECONDS,
      })
    : undefined;
  return mediaRepresentations({
    cache,
    images: transformer && {
      transformer,
      limits: { sizes: config.IMAGE_SIZES, qualities: config.IMAGE_QUALITIES, maxDpr: config.IMAGE_MAX_DPR },
      maxInputBytes: config.IMAGE_MAX_INPUT_BYTES,
    },
    compression: config.COMPRESSION
      ? {
          compress: compressor({ brotliQuality: config.COMPRESSION_BROTLI_QUALITY, gzipLevel: 6 }),
          minBytes: config.COMPRESSION_MIN_BYTES,
          maxBytes: config.COMPRESSION_MAX_BYTES,
        }
      : undefined,
    observer: mediaMetrics(registry, () => transformer ?? { active: 0, queued: 0 }),
  });
}
