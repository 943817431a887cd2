// The CPU-heavy work of reads and writes behind one interface: verifying slivers (RS expansion + Merkle),
// decoding a blob from any P primary slivers, the strict consistency check, and encoding for uploads. The Node edge runs it
// in a worker-thread pool (codec-pool.ts) so the event loop keeps serving; Workers run it inline.
import { BlobEncoder } from '@mysten/walrus-wasm';
import { encodeBlob, type EncodedBlob } from './blob-encoder.ts';
import { sliverMerkleRoot } from '../protocol/sliver-hash.ts';
import type { SliverType } from '../protocol/sliver-layout.ts';

export interface VerifySliverJob {
  /** The sliver's symbol bytes (SliverData.symbols.data). */
  data: Uint8Array;
  symbolSize: number;
  type: SliverType;
  n: number;
  expectedHash: Uint8Array;
}

export interface DecodeJob {
  n: number;
  blobId: Uint8Array;
  size: number;
  /** BCS SliverData of at least P distinct primary slivers. */
  primarySlivers: Uint8Array[];
}

export interface Codec {
  /** `priority`: lower runs first (the reader passes the row, so the next bytes to stream verify first). */
  verifySliver(job: VerifySliverJob, priority?: number): Promise<boolean>;
  decode(job: DecodeJob): Promise<Uint8Array>;
  /** Re-encodes everything and returns the blob ID (the strict consistency check). */
  blobIdOf(data: Uint8Array, n: number): Promise<Uint8Array>;
  /** RS2-encodes a blob for upload: its metadata, blob ID and every sliver (the publisher's CPU work). */
  encode(data: Uint8Array, n: number): Promise<EncodedBlob>;
  close(): Promise<void>;
}

export function verifySliverNow(job: VerifySliverJob): boolean {
  const root = sliverMerkleRoot(job.data, job.symbolSize, job.type, job.n);
  return root.length === job.expectedHash.length && root.every((byte, i) => byte === job.expectedHash[i]);
}

const encoders = new Map<number, BlobEncoder>();
function encoderFor(n: number): BlobEncoder {
  let encoder = encoders.get(n);
  if (!encoder) encoders.set(n, (encoder = new BlobEncoder(n)));
  return encoder;
}

export function decodeNow(job: DecodeJob): Uint8Array {
  const output = new Uint8Array(job.size);
  encoderFor(job.n).decode(job.blobId, BigInt(job.size), job.primarySlivers, output);
  return output;
}

export function blobIdOfNow(data: Uint8Array, n: number): Uint8Array {
  const [blobId] = encoderFor(n).compute_metadata(data) as [number[] | Uint8Array];
  return new Uint8Array(blobId);
}

/** Runs every job on the calling thread: for runtimes without worker threads, and for tests. */
export function inlineCodec(): Codec {
  return {
    verifySliver: async (job) => verifySliverNow(job),
    decode: async (job) => decodeNow(job),
    blobIdOf: async (data, n) => blobIdOfNow(data, n),
    encode: async (data, n) => encodeBlob(data, n),
    close: async () => {},
  };
}
