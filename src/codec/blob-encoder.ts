// RS2 encoding with @mysten/walrus-wasm (the official Rust encoder): a blob becomes n primary and n
// secondary BCS SliverData buffers plus its metadata. The edge runs it in the codec's worker threads
// (Codec.encode); `walrus-edge put` and tests may call it directly.
import { BlobEncoder } from '@mysten/walrus-wasm';
import { BlobMetadata } from '../protocol/bcs.ts';
import { sliverLengths } from '../protocol/encoding.ts';
import { blobIdFromBytes, type BlobIdBytes, type SliverPairHashes } from '../protocol/blob-id.ts';

export interface EncodedBlob {
  blobId: BlobIdBytes;
  rootHash: Uint8Array;
  unencodedLength: number;
  /** BCS BlobMetadata (without the ID), as PUT to storage nodes. */
  metadata: Uint8Array;
  hashes: SliverPairHashes[];
  /** BCS SliverData per sliver pair index. */
  primary: Uint8Array[];
  secondary: Uint8Array[];
}

type WasmDigest = { Digest: number[] | Uint8Array };
type WasmMetadata = {
  blob_id: number[] | Uint8Array;
  metadata: { V1: { hashes: { primary_hash: WasmDigest; secondary_hash: WasmDigest }[] } };
};

function bcsBufferLength(dataLength: number): number {
  let ulebBytes = 1;
  for (let v = dataLength >>> 7; v !== 0; v >>>= 7) ulebBytes++;
  return ulebBytes + dataLength + 2 + 2;
}

const encoders = new Map<number, BlobEncoder>();

function encoderFor(n: number): BlobEncoder {
  let encoder = encoders.get(n);
  if (!encoder) {
    encoder = new BlobEncoder(n);
    encoders.set(n, encoder);
  }
  return encoder;
}

export function encodeBlob(data: Uint8Array, n: number): EncodedBlob {
  const lengths = sliverLengths(data.length, n);
  const primary = Array.from({ length: n }, () => new Uint8Array(bcsBufferLength(lengths.primary)));
  const secondary = Array.from({ length: n }, () => new Uint8Array(bcsBufferLength(lengths.secondary)));
  const [meta, root] = encoderFor(n).encode(data, primary, secondary) as [WasmMetadata, WasmDigest];
  const hashes = meta.metadata.V1.hashes.map((pair) => ({
    primary: new Uint8Array(pair.primary_hash.Digest),
    secondary: new Uint8Array(pair.secondary_hash.Digest),
  }));
  const metadata = BlobMetadata.serialize({
    V1: {
      encoding_type: { RS2: true },
      unencoded_length: BigInt(data.length),
      hashes: hashes.map((h) => ({
        primary_hash: { Digest: h.primary },
        secondary_hash: { Digest: h.secondary },
      })),
    },
  }).toBytes();
  return {
    blobId: blobIdFromBytes(new Uint8Array(meta.blob_id)),
    rootHash: new Uint8Array(root.Digest),
    unencodedLength: data.length,
    metadata,
    hashes,
    primary,
    secondary,
  };
}
