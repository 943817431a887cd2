// The one seam every read goes through (DESIGN §3). A BlobSource opens what a request names — a blob,
// or a quilt patch by ID or by identifier — and answers with a handle (its size, where its bytes come
// from, and ways to read them) or a ReadFailure value. The reconstructor implements it at the bottom;
// small layers wrap it (limited, single-flight, cached, negative, quilt patches, blocked), stacked once
// by the composition root. A handle is lazy: HEAD and range decisions need only its size, and the
// bytes are asked for afterwards, in the range the response needs.
import { columnOfBlob, sliverLengths } from '../protocol/encoding.ts';
import { columnsOutside, type Consistency } from './blob-reader.ts';
import type { ReadFailure } from './read-errors.ts';

export type ReadTarget =
  | { kind: 'blob'; blobId: string }
  | { kind: 'patch'; patchId: string }
  | { kind: 'patch-by-identifier'; quiltId: string; identifier: string };

export interface ReadRequest {
  target: ReadTarget;
  consistency: Consistency;
  signal: AbortSignal;
  /** IDs through which this read was reached (an object ID, a concat alias); the blocklist checks them too. */
  via?: readonly string[];
}

/** Bytes [start, end) of the handle's body; end is exclusive. */
export interface ByteSpan {
  start: number;
  end: number;
}

/** Where a handle's bytes come from (X-Cache) and how long they have been there (Age, seconds). */
export type BytesOrigin = 'MISS' | 'HIT-MEMORY' | 'HIT-PEER' | 'HIT-REDIS';

export interface PatchInfo {
  patchId: string;
  identifier: string;
  tags: Record<string, string>;
}

export interface BlobHandle {
  /** The blob the bytes belong to (the quilt, for a patch). */
  blobId: string;
  /** Length of the body: the blob's, or the patch contents'. */
  size: number;
  origin: BytesOrigin;
  ageSeconds: number;
  /** Set when the target was a quilt patch. */
  patch?: PatchInfo;
  /** The network's shard count, which fixes the blob's matrix (quilt layouts). */
  nShards: number;
  /**
   * Bytes in the blob's first row (primary sliver 0, capped at the size): what one storage-node request
   * yields from the start. A type sniff reads no further, so every request for a blob — HEAD or GET,
   * hit or miss — recognises its type from the same bytes, at the cost of at most one sliver.
   */
  firstRowBytes: number;
  /** The first `length` bytes (length ≤ firstRowBytes), to recognise the type; never fills a cache. */
  prefix(length: number, signal: AbortSignal): Promise<Uint8Array | ReadFailure>;
  /** The body, or a span of it; undefined = all of it. Settles once the first bytes are ready. */
  read(span: ByteSpan | undefined, signal: AbortSignal): Promise<ReadableStream<Uint8Array> | ReadFailure>;
  /** Columns [from, to) of the blob's matrix, each verified (quilt patches live in whole columns). */
  columns(from: number, to: number, signal: AbortSignal): Promise<Uint8Array[] | ReadFailure>;
}

export interface BlobSource {
  open(request: ReadRequest): Promise<BlobHandle | ReadFailure>;
}

/** Handles and column lists have no `kind`; failures always do. */
export function isFailure<T extends object>(value: T | ReadFailure): value is ReadFailure {
  return 'kind' in value;
}

/** Whether a span asks for the whole body. */
export function isWhole(span: ByteSpan | undefined, size: number): boolean {
  return span === undefined || (span.start === 0 && span.end === size);
}

/** A stream of bytes already in hand (one chunk, or none). */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** A handle over a whole blob whose bytes are at hand (a cache hit): every read is local. */
export function bytesHandle(
  blobId: string,
  bytes: Uint8Array,
  nShards: number,
  origin: BytesOrigin,
  ageSeconds: number,
): BlobHandle {
  return {
    blobId,
    size: bytes.length,
    origin,
    ageSeconds,
    nShards,
    firstRowBytes: Math.min(bytes.length, sliverLengths(bytes.length, nShards).primary),
    prefix: async (length) => bytes.subarray(0, length),
    read: async (span) => streamOf(span ? bytes.subarray(span.start, span.end) : bytes),
    columns: async (from, to) => {
      const outside = columnsOutside(from, to, nShards, bytes.length);
      if (outside) return outside;
      return Array.from({ length: to - from }, (_, i) => columnOfBlob(bytes, nShards, from + i));
    },
  };
}
