// @mysten/walrus-wasm (the official Rust encoder compiled to WASM) as an oracle for our protocol code.
import { BlobEncoder } from '@mysten/walrus-wasm';
import { encodingParams, sliverLengths } from '../../src/protocol/encoding.ts';

function bcsSliverBufferLength(dataLength: number): number {
  let uleb = 1;
  for (let v = dataLength >>> 7; v !== 0; v >>>= 7) uleb++;
  return uleb + dataLength + 4;
}

export interface OracleEncoding {
  blobId: Uint8Array;
  rootHash: Uint8Array;
  /** metadata as the wasm returns it (serde form) */
  metadata: { V1: { encoding_type: unknown; unencoded_length: number | bigint; hashes: unknown[] } };
  primary: Uint8Array[];
  secondary: Uint8Array[];
}

export function oracleEncode(data: Uint8Array, n: number): OracleEncoding {
  encodingParams(n);
  const lengths = sliverLengths(data.length, n);
  const primary = Array.from({ length: n }, () => new Uint8Array(bcsSliverBufferLength(lengths.primary)));
  const secondary = Array.from({ length: n }, () => new Uint8Array(bcsSliverBufferLength(lengths.secondary)));
  const encoder = new BlobEncoder(n);
  try {
    const [meta, root] = encoder.encode(data, primary, secondary);
    return {
      blobId: new Uint8Array(meta.blob_id),
      rootHash: new Uint8Array(root.Digest),
      metadata: meta.metadata,
      primary,
      secondary,
    };
  } finally {
    encoder.free();
  }
}

export function randomBytes(length: number, seed: number): Uint8Array {
  // xorshift32: reproducible inputs so a failure can be replayed. The state must not be 0; 2·seed + 1
  // keeps every seed distinct (`seed | 1` once gave seeds 504 and 505 the same bytes).
  const out = new Uint8Array(length);
  let x = (seed * 2 + 1) | 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
