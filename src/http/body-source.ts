// What a blob-like response is served from: a blob reconstructed from storage nodes, or bytes already in
// hand (a quilt patch). The responder asks for sizes, the first bytes (to sniff a type) and ranges.
import { readAllBytes } from '../protocol/bytes.ts';
import type { BlobMetadataResult, BlobReader, Consistency } from '../read/blob-reader.ts';
import type { ReadFailure } from '../read/read-errors.ts';

export interface BodySource {
  size: number;
  /** Up to `length` bytes from the start: enough to recognise the type. */
  head(length: number, signal: AbortSignal): Promise<Uint8Array | ReadFailure>;
  /** Bytes [start, end). */
  range(start: number, end: number, signal: AbortSignal): Promise<ReadableStream<Uint8Array> | ReadFailure>;
}

export function blobSource(
  reader: BlobReader,
  meta: BlobMetadataResult,
  consistency: Consistency,
): BodySource {
  return {
    size: meta.size,
    async head(length, signal) {
      const result = await reader.stream(meta, {
        start: 0,
        end: Math.min(length, meta.size),
        signal,
        consistency: 'skip',
      });
      if (result.kind !== 'ok') return result;
      return readAllBytes(result.body);
    },
    async range(start, end, signal) {
      // A partial read checks only the slivers it fetches (as the official aggregator documents).
      const partial = start !== 0 || end !== meta.size;
      const result = await reader.stream(meta, {
        start,
        end,
        signal,
        consistency: partial ? 'skip' : consistency,
      });
      return result.kind === 'ok' ? result.body : result;
    },
  };
}

export function bytesSource(bytes: Uint8Array): BodySource {
  return {
    size: bytes.length,
    head: async (length) => bytes.subarray(0, length),
    range: async (start, end) =>
      new ReadableStream({
        start(controller) {
          if (end > start) controller.enqueue(bytes.subarray(start, end));
          controller.close();
        },
      }),
  };
}
