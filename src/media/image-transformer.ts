// Image variants with sharp (libvips). The header is read first — dimensions, frames, format — and the
// limits are checked on it, so a decompression bomb (a few bytes claiming gigapixels) is refused
// before a pixel is allocated. Then: EXIF orientation applied, resized into the asked box (never
// enlarged), converted to sRGB, metadata (EXIF, GPS, XMP) dropped — sharp keeps none unless told —
// and encoded. Transforms run in a bounded pool: a queue that is full refuses at once.
import sharp, { type Sharp } from 'sharp';
import { reconstructionLimiter } from '../read/limiter.ts';
import type { ImageOptions, OutputFormat } from './image-options.ts';

/** What sharp may spend: libvips's own cache would hold decoded images we already cache as bytes. */
sharp.cache(false);

export type AnimatedInput = 'animate' | 'first-frame' | 'passthrough';

export interface TransformerOptions {
  /** Pixels of one frame (width × height) an input may have. */
  maxInputPixels: number;
  /** Frames an animation may have to be transformed as one; longer ones give their first frame. */
  maxFrames: number;
  animated: AnimatedInput;
  /** Transforms at once, and waiting. */
  concurrency: number;
  queue: number;
  /** A transform running longer fails (and the original is served). */
  timeoutSeconds: number;
}

export interface ImageFacts {
  width: number;
  height: number;
  format: string;
  frames: number;
  animated: boolean;
}

export type TransformOutcome =
  | { kind: 'image'; bytes: Uint8Array; format: OutputFormat }
  /** The input is to be served as stored (an animation in passthrough mode). */
  | { kind: 'unchanged'; reason: string }
  | { kind: 'refused'; message: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'busy' };

export interface ImageTransformer {
  facts(input: Uint8Array): Promise<ImageFacts | { failed: string }>;
  /** `format` undefined: the input's own (or JPEG/PNG for formats browsers do not show). */
  transform(
    input: Uint8Array,
    options: ImageOptions,
    format: OutputFormat | undefined,
  ): Promise<TransformOutcome>;
  readonly active: number;
  readonly queued: number;
}

/** Formats we write; anything else (TIFF, HEIC) is written as JPEG unless another format is asked. */
const WRITABLE = new Set<string>(['webp', 'avif', 'jpeg', 'png', 'gif']);

export function imageTransformer(options: TransformerOptions): ImageTransformer {
  const pool = reconstructionLimiter(options.concurrency, options.queue);

  const facts = async (input: Uint8Array): Promise<ImageFacts | { failed: string }> => {
    try {
      // Reads the header only; no limit here, the caller checks the numbers.
      const meta = await sharp(input, { limitInputPixels: false }).metadata();
      const frames = meta.pages ?? 1;
      const width = meta.autoOrient?.width ?? meta.width;
      const height = frames > 1 ? (meta.pageHeight ?? meta.height) : (meta.autoOrient?.height ?? meta.height);
      // sharp names AVIF and HEIC both `heif`; the compression tells them apart.
      const format = meta.format === 'heif' ? (meta.compression === 'av1' ? 'avif' : 'heic') : meta.format;
      return { width, height, format, frames, animated: frames > 1 };
    } catch (error) {
      return { failed: `unreadable image: ${(error as Error).message}` };
    }
  };

  return {
    facts,
    get active() {
      return pool.active;
    },
    get queued() {
      return pool.queued;
    },
    async transform(input, asked, format) {
      const release = await pool.acquire();
      if (!release) return { kind: 'busy' };
      try {
        const header = await facts(input);
        if ('failed' in header) return { kind: 'failed', reason: header.failed };
        const pixels = header.width * header.height;
        if (pixels > options.maxInputPixels) {
          return {
            kind: 'refused',
            message: `the image is ${header.width}×${header.height} pixels, more than the ${options.maxInputPixels} this edge transforms`,
          };
        }
        if (header.animated && options.animated === 'passthrough')
          return { kind: 'unchanged', reason: 'animated' };
        const output = outputFormat(format, header);
        // An animation is kept as one when asked, short enough, and written to a format that animates.
        const animate =
          header.animated &&
          options.animated === 'animate' &&
          header.frames <= options.maxFrames &&
          (output === 'webp' || output === 'gif');
        let pipeline: Sharp = sharp(input, {
          limitInputPixels: options.maxInputPixels * (animate ? header.frames : 1),
          animated: animate,
          pages: animate ? -1 : 1,
          failOn: 'error',
        })
          .autoOrient()
          .timeout({ seconds: options.timeoutSeconds });
        if (asked.width !== undefined || asked.height !== undefined)
          pipeline = pipeline.resize({
            width: asked.width,
            height: asked.height,
            fit: asked.fit,
            withoutEnlargement: true,
          });
        pipeline = encode(pipeline.toColourspace('srgb'), output, asked.quality);
        const bytes = await pipeline.toBuffer();
        return {
          kind: 'image',
          bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
          format: output,
        };
      } catch (error) {
        return { kind: 'failed', reason: (error as Error).message };
      } finally {
        release();
      }
    },
  };
}

function outputFormat(asked: OutputFormat | undefined, header: ImageFacts): OutputFormat {
  if (asked) return asked;
  if (WRITABLE.has(header.format)) return header.format as OutputFormat;
  return 'jpeg';
}

function encode(pipeline: Sharp, format: OutputFormat, quality: number | undefined): Sharp {
  switch (format) {
    case 'webp':
      return pipeline.webp({ quality });
    case 'avif':
      // effort 4 (of 0–9): most of AVIF's size gain at a fraction of the default's time.
      return pipeline.avif({ quality, effort: 4 });
    case 'jpeg':
      return pipeline.jpeg({ quality, mozjpeg: true });
    case 'png':
      return pipeline.png({ compressionLevel: 9, palette: false });
    case 'gif':
      return pipeline.gif();
  }
}
