// The operator's warm-up (POST /v1/admin/cache/warm): reads a blob through the read stack now — one
// reconstruction, shared with any concurrent miss — so the cache keeps it, pinned in memory if asked.
import { readAllBytes } from '../protocol/bytes.ts';
import { isFailure, type BlobSource } from '../read/blob-source.ts';
import type { ReadFailure } from '../read/read-errors.ts';
import type { BlobCache } from './blob-cache.ts';

export type WarmResult = 'cached' | 'pinned' | 'too-large' | ReadFailure['kind'];

export async function warmBlob(
  blobs: BlobSource,
  cache: BlobCache,
  blobId: string,
  pin: boolean,
  signal: AbortSignal,
): Promise<WarmResult> {
  cache.admitNow(blobId);
  const handle = await blobs.open({ target: { kind: 'blob', blobId }, consistency: 'default', signal });
  if (isFailure(handle)) return handle.kind;
  if (!cache.cacheable(handle.size) && !pin) return 'too-large';
  const body = await handle.read(undefined, signal);
  if (isFailure(body)) return body.kind;
  let bytes: Uint8Array;
  try {
    bytes = await readAllBytes(body);
  } catch {
    return 'unavailable';
  }
  if (!pin) return 'cached';
  cache.pin(blobId, bytes);
  return 'pinned';
}
