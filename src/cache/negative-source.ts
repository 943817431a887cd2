// The read stack's negative cache: a blob the storage nodes said (by quorum) they do not have is
// answered "not found" for a few seconds without asking them again, so a flood of requests for a
// missing blob costs one lookup. The blob cache clears an entry when the chain certifies that blob.
import type { BlobSource } from '../read/blob-source.ts';
import type { NegativeCache } from './negative-cache.ts';

export function negativeSource(inner: BlobSource, negative: NegativeCache): BlobSource {
  return {
    async open(request) {
      const { target } = request;
      if (target.kind !== 'blob') return inner.open(request);
      if (negative.has(target.blobId))
        return { kind: 'not-found', message: 'the blob was not found moments ago', remembered: true };
      const opened = await inner.open(request);
      if ('kind' in opened && opened.kind === 'not-found') negative.add(target.blobId);
      return opened;
    },
  };
}
