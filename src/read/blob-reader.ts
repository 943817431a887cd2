// Reads blobs straight from the storage nodes: metadata (verified against the blob ID), then the
// primary slivers covering the requested bytes (each verified), streamed in order as they arrive.
// Every failure is a value (ReadFailure) and every read ends within its deadline.
import { parseBlobId, InvalidIdError } from '../protocol/blob-id.ts';
import { columnOfBlob, encodingParams, sliverLengths } from '../protocol/encoding.ts';
import { concatBytes } from '../protocol/bytes.ts';
import type { ParsedMetadata } from '../protocol/metadata.ts';
import type { Committee, CommitteeNode } from '../network/committee.ts';
import { StorageNodeClient } from '../network/storage-node-client.ts';
import type { NodeTransport } from '../network/transport/node-transport.ts';
import type { Codec } from '../codec/codec.ts';
import { fetchColumns } from './column-fetcher.ts';
import { fetchMetadata } from './metadata-fetcher.ts';
import { NodeScores } from './node-scores.ts';
import { collectPrimarySlivers, type CollectStats } from './primary-sliver-collector.ts';
import { failure, type ReadFailure } from './read-errors.ts';
import {
  nodeRequestOutcome,
  type NodeRequestKind,
  type NodeRequestOutcome,
  type RequestEnded,
} from './node-requests.ts';

/** As the official aggregator: default re-checks decoded rows, strict re-encodes everything, skip neither. */
export type Consistency = 'default' | 'strict' | 'skip';

export interface BlobReaderOptions {
  /** The committee to read a blob from (DESIGN: the one it was certified under during epoch changes). */
  committeeFor(blobId: string): Promise<Committee>;
  codec: Codec;
  transport?: NodeTransport;
  /** Larger blobs are refused with too-large (BLOB_TOO_LARGE). */
  maxBlobSize: number;
  /** Whole read, metadata to last byte. */
  deadlineMs: number;
  requestTimeoutMs: number;
  hedgeDelayMs: number;
  observer?: ReadObserver;
}

/** Hooks for metrics: the reader stays free of any metrics library. */
export interface ReadObserver {
  metadataFetched?(outcome: string, ms: number): void;
  readFinished?(outcome: string, ms: number, stats: CollectStats | undefined, bytes: number): void;
  /**
   * One request to a storage node ended (every one the reader makes, hedges and called-off ones too):
   * the node, what was asked, how it ended and how long the node took to answer (verification not
   * included). Called for every sliver of a read: keep it cheap.
   */
  nodeRequestEnded?(
    node: CommitteeNode,
    kind: NodeRequestKind,
    outcome: NodeRequestOutcome,
    ms: number,
  ): void;
}

export interface BlobMetadataResult {
  kind: 'ok';
  blobId: string;
  size: number;
  metadata: ParsedMetadata;
  committee: Committee;
}

export interface ReadSummary {
  outcome: 'ok' | ReadFailure['kind'];
  stats: CollectStats | undefined;
  ms: number;
}

export interface StreamResult {
  kind: 'ok';
  /** Bytes [start, end) of the blob. */
  body: ReadableStream<Uint8Array>;
  start: number;
  end: number;
  /** Settles when the last byte is out (or the read failed mid-way). */
  summary: Promise<ReadSummary>;
}

export interface StreamOptions {
  start?: number;
  /** Exclusive. */
  end?: number;
  signal?: AbortSignal;
  consistency?: Consistency;
}

export class BlobReader {
  readonly scores = new NodeScores();
  readonly #options: BlobReaderOptions;
  readonly #clients = new Map<string, StorageNodeClient>();
  readonly #metadataEnded: RequestEnded | undefined;
  readonly #sliverEnded: RequestEnded | undefined;

  constructor(options: BlobReaderOptions) {
    this.#options = options;
    const observe = options.observer?.nodeRequestEnded?.bind(options.observer);
    const ended =
      (kind: NodeRequestKind): RequestEnded =>
      (node, result, ms) =>
        observe!(node, kind, nodeRequestOutcome(kind, result), ms);
    this.#metadataEnded = observe && ended('metadata');
    this.#sliverEnded = observe && ended('sliver');
  }

  #clientFor = (node: CommitteeNode): StorageNodeClient => {
    let client = this.#clients.get(node.url);
    if (!client)
      this.#clients.set(node.url, (client = new StorageNodeClient(node.url, this.#options.transport)));
    return client;
  };

  /** Metadata only: enough for HEAD, sizes and range resolution. */
  async metadata(blobId: string, signal?: AbortSignal): Promise<BlobMetadataResult | ReadFailure> {
    const started = performance.now();
    let idBytes: Uint8Array;
    try {
      idBytes = parseBlobId(blobId);
    } catch (error) {
      if (error instanceof InvalidIdError) return failure('not-found', error.message);
      throw error;
    }
    let committee: Committee;
    try {
      committee = await this.#options.committeeFor(blobId);
    } catch (error) {
      return failure('unavailable', `the storage committee is not known yet: ${(error as Error).message}`);
    }
    const deadline = AbortSignal.timeout(this.#options.deadlineMs);
    const outcome = await fetchMetadata({
      committee,
      blobId,
      blobIdBytes: idBytes,
      clientFor: this.#clientFor,
      scores: this.scores,
      requestEnded: this.#metadataEnded,
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      hedgeDelayMs: this.#options.hedgeDelayMs,
    });
    this.#options.observer?.metadataFetched?.(outcome.kind, performance.now() - started);
    if (outcome.kind !== 'ok') return outcome;
    const size = outcome.metadata.unencodedLength;
    if (size > this.#options.maxBlobSize) {
      return failure(
        'too-large',
        `the blob has ${size} bytes; this edge serves at most ${this.#options.maxBlobSize}`,
        {
          size,
          limit: this.#options.maxBlobSize,
        },
      );
    }
    return { kind: 'ok', blobId, size, metadata: outcome.metadata, committee };
  }

  /**
   * Streams bytes [start, end) of a blob whose metadata is known. Resolves once the first bytes are
   * ready (or the read failed), so a failure before the first byte is still a clean error.
   */
  async stream(meta: BlobMetadataResult, options: StreamOptions = {}): Promise<StreamResult | ReadFailure> {
    const started = performance.now();
    const { size, metadata, committee } = meta;
    const start = options.start ?? 0;
    const end = options.end ?? size;
    if (start < 0 || end > size || start > end) {
      return failure('invalid-range', `bytes [${start}, ${end}) are not within a blob of ${size} bytes`, {
        size,
      });
    }
    const consistency = options.consistency ?? 'default';
    const observer = this.#options.observer;
    if (start === end) {
      const summary = Promise.resolve<ReadSummary>({ outcome: 'ok', stats: undefined, ms: 0 });
      return { kind: 'ok', body: new ReadableStream({ start: (c) => c.close() }), start, end, summary };
    }

    const n = committee.nShards;
    const { primary: rowBytes } = sliverLengths(size, n);
    // Strict checks the blob ID of the whole blob, so it reads (and holds back) everything.
    const whole = consistency === 'strict';
    const firstRow = whole ? 0 : Math.floor(start / rowBytes);
    const lastRow = whole ? encodingParams(n).primarySymbols - 1 : Math.floor((end - 1) / rowBytes);
    const deadline = AbortSignal.timeout(this.#options.deadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;

    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>(
      { start: (c) => void (controller = c) },
      { highWaterMark: 0 },
    );
    let firstBytes!: () => void;
    const firstBytesReady = new Promise<void>((resolve) => (firstBytes = resolve));
    const held: Uint8Array[] = [];
    let emitted = 0;

    const onRow = (row: number, data: Uint8Array) => {
      // The part of this row inside the wanted bytes: [start, end), or the whole blob when held back.
      const [wantFrom, wantTo] = whole ? [0, size] : [start, end];
      const rowStart = row * rowBytes;
      const from = Math.max(wantFrom, rowStart) - rowStart;
      const to = Math.min(wantTo, rowStart + rowBytes) - rowStart;
      if (to <= from) return;
      const piece = data.subarray(from, to);
      if (whole) {
        held.push(piece);
      } else {
        controller.enqueue(piece);
        emitted += piece.length;
        firstBytes();
      }
    };

    const collection = collectPrimarySlivers({
      committee,
      blobId: meta.blobId,
      blobIdBytes: parseBlobId(meta.blobId),
      metadata,
      firstRow,
      lastRow,
      codec: this.#options.codec,
      clientFor: this.#clientFor,
      scores: this.scores,
      requestEnded: this.#sliverEnded,
      signal,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      hedgeDelayMs: this.#options.hedgeDelayMs,
      onRow,
      verifyDecodedRows: consistency !== 'skip',
    });

    const summary = collection.then(async (outcome): Promise<ReadSummary> => {
      if (outcome.kind === 'ok' && whole) {
        const blob = outcome.decodedBlob ?? concatBytes(held);
        const derived = await this.#options.codec.blobIdOf(blob, n);
        const expected = parseBlobId(meta.blobId);
        if (!derived.every((b, i) => b === expected[i])) {
          outcome = {
            kind: 'inconsistent',
            message: 'the blob re-encodes to another blob ID',
            stats: outcome.stats,
          };
        } else {
          const piece = blob.subarray(start, end);
          controller.enqueue(piece);
          emitted += piece.length;
        }
      }
      const ms = performance.now() - started;
      if (outcome.kind === 'ok') {
        controller.close();
      } else {
        controller.error(new Error(outcome.message));
      }
      firstBytes();
      observer?.readFinished?.(outcome.kind, ms, outcome.stats, emitted);
      return { outcome: outcome.kind, stats: outcome.stats, ms };
    });

    await Promise.race([firstBytesReady, summary]);
    if (emitted === 0) {
      const result = await summary;
      if (result.outcome !== 'ok') {
        const kind = result.outcome === 'inconsistent' ? 'inconsistent' : 'unavailable';
        return failure(
          kind,
          kind === 'inconsistent'
            ? 'the blob is inconsistent with its metadata'
            : 'the blob could not be read from the storage nodes',
        );
      }
    }
    return { kind: 'ok', body, start, end, summary };
  }

  /**
   * Columns [from, to) of the blob's matrix (secondary slivers: P symbols each), verified one by one.
   * Quilt patches live in whole columns, so a patch costs only its own columns. When any column cannot
   * be had, the whole blob is read (with all its fallbacks) and the columns are cut out of it.
   */
  async columns(
    meta: BlobMetadataResult,
    from: number,
    to: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array[] | ReadFailure> {
    const { committee, metadata, size } = meta;
    const n = committee.nShards;
    const outside = columnsOutside(from, to, n, size);
    if (outside) return outside;
    const deadline = AbortSignal.timeout(this.#options.deadlineMs);
    const linked = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const direct = await fetchColumns({
      committee,
      blobId: meta.blobId,
      blobIdBytes: parseBlobId(meta.blobId),
      metadata,
      from,
      to,
      codec: this.#options.codec,
      clientFor: this.#clientFor,
      scores: this.scores,
      requestEnded: this.#sliverEnded,
      signal: linked,
      requestTimeoutMs: this.#options.requestTimeoutMs,
    });
    if (direct.every((column) => column !== undefined)) return direct as Uint8Array[];
    if (linked.aborted) return failure('unavailable', 'the read was cancelled or timed out');

    // Fallback: the whole blob, then cut the columns out of its row-major matrix.
    const whole = await this.stream(meta, { signal: linked });
    if (whole.kind !== 'ok') return whole;
    const bytes = new Uint8Array(size);
    let offset = 0;
    try {
      for await (const chunk of whole.body) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
    } catch {
      return failure('unavailable', 'the read failed part-way');
    }
    return direct.map((column, i) => column ?? columnOfBlob(bytes, n, from + i));
  }

  /** The whole blob (or a range) as bytes: for cache fills, the CLI and tests. */
  async read(
    blobId: string,
    options: StreamOptions = {},
  ): Promise<{ kind: 'ok'; bytes: Uint8Array; summary: ReadSummary } | ReadFailure> {
    // One deadline for metadata and slivers together.
    const deadline = AbortSignal.timeout(this.#options.deadlineMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const meta = await this.metadata(blobId, signal);
    if (meta.kind !== 'ok') return meta;
    const result = await this.stream(meta, { ...options, signal });
    if (result.kind !== 'ok') return result;
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of result.body) chunks.push(chunk);
    } catch {
      return failure('unavailable', 'the read failed part-way');
    }
    return { kind: 'ok', bytes: concatBytes(chunks), summary: await result.summary };
  }
}

/** The failure for columns [from, to) that a blob's matrix at n shards does not have; else undefined. */
export function columnsOutside(from: number, to: number, n: number, size: number): ReadFailure | undefined {
  if (from < 0 || to > encodingParams(n).secondarySymbols || from >= to)
    return failure('invalid-range', `columns [${from}, ${to}) do not exist`, { size });
  return undefined;
}
