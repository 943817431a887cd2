// Brotli and gzip through node:zlib, off the event loop (zlib runs on libuv's thread pool). Brotli's
// quality is the operator's: each copy is made once and then cached, so a high quality pays off, but
// the first request waits for it (bench:media prints ratio and time).
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Encoding } from './negotiation.ts';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

export interface CompressorOptions {
  /** 0–11. */
  brotliQuality: number;
  /** 1–9. */
  gzipLevel: number;
}

export type Compressor = (bytes: Uint8Array, encoding: Encoding, text: boolean) => Promise<Uint8Array>;

export function compressor({ brotliQuality, gzipLevel }: CompressorOptions): Compressor {
  return async (bytes, encoding, text) => {
    const out =
      encoding === 'br'
        ? await brotli(bytes, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
              [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
              [constants.BROTLI_PARAM_MODE]: text
                ? constants.BROTLI_MODE_TEXT
                : constants.BROTLI_MODE_GENERIC,
            },
          })
        : await gzipped(bytes, { level: gzipLevel });
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  };
}
