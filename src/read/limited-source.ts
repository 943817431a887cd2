// Caps the work that costs storage-node requests: opening a blob (its metadata), reading its bytes and
// reading quilt columns each hold a reconstruction slot while they run, and a full edge answers `busy`
// (429 upstream) at once. Stacked just above the reconstructor, so cache hits never wait for a slot.
import { isFailure, type BlobHandle, type BlobSource } from './blob-source.ts';
import { releaseWhenDone, type ReconstructionLimiter } from './limiter.ts';
import { failure, type ReadFailure } from './read-errors.ts';

const BUSY = 'the edge is reconstructing as many blobs as it can; retry shortly';

export function limitedSource(inner: BlobSource, limiter: ReconstructionLimiter): BlobSource {
  const withSlot = async <T extends object>(
    signal: AbortSignal,
    work: (release: () => void) => Promise<T | ReadFailure>,
  ): Promise<T | ReadFailure> => {
    const release = await limiter.acquire(signal);
    if (!release) return failure('busy', BUSY);
    try {
      return await work(release);
    } catch (error) {
      release();
      throw error;
    }
  };
  const limitHandle = (handle: BlobHandle): BlobHandle => ({
    ...handle,
    // A stream holds its slot until its last byte is out (or it fails or is cancelled).
    read: (span, signal) =>
      withSlot(signal, async (release) => {
        const body = await handle.read(span, signal);
        if (isFailure(body)) {
          release();
          return body;
        }
        return releaseWhenDone(body, release);
      }),
    columns: (from, to, signal) =>
      withSlot(signal, async (release) => {
        try {
          return await handle.columns(from, to, signal);
        } finally {
          release();
        }
      }),
  });
  return {
    open: (request) =>
      withSlot(request.signal, async (release) => {
        try {
          const handle = await inner.open(request);
          return isFailure(handle) ? handle : limitHandle(handle);
        } finally {
          release();
        }
      }),
  };
}
