// The blob ID a file will get, without storing it: walrus-wasm's metadata computation (re-encodes and
// hashes everything, the same work the network's writers do).
import { BlobEncoder } from '@mysten/walrus-wasm';
import { formatBlobId } from '../protocol/blob-id.ts';
import { encodingParams, maxBlobSize } from '../protocol/encoding.ts';

export function computeBlobId(data: Uint8Array, n: number): string {
  encodingParams(n);
  if (data.length > maxBlobSize(n))
    throw new RangeError(`${data.length} bytes exceed the maximum ${maxBlobSize(n)} for ${n} shards`);
  const encoder = new BlobEncoder(n);
  try {
    const [blobId] = encoder.compute_metadata(data) as [number[] | Uint8Array];
    return formatBlobId(new Uint8Array(blobId));
  } finally {
    encoder.free();
  }
}
