// The read stack's outermost layer: IDs this edge refuses to serve (451). Every kind of ID is checked
// on every route — the blob's, a quilt's, a patch's (also when it was reached by its identifier, once
// the index names it) and whatever the request came through (an object ID) — because a moderation
// decision about one of them must not be bypassed through another.
import { formatBlobId } from '../protocol/blob-id.ts';
import { parseQuiltPatchId } from '../protocol/quilt-id.ts';
import { isFailure, type BlobSource, type ReadTarget } from './blob-source.ts';
import type { Blocklist } from './blocklist.ts';
import { failure, type ReadFailure } from './read-errors.ts';

export function blockedSource(inner: BlobSource, blocklist: Blocklist): BlobSource {
  const refuse = (ids: readonly string[]): ReadFailure | undefined => {
    const blocked = ids.find((id) => blocklist.has(id));
    return blocked === undefined ? undefined : failure('blocked', `${blocked} is blocked on this edge`);
  };
  return {
    async open(request) {
      const before = refuse([...idsOf(request.target), ...(request.via ?? [])]);
      if (before) return before;
      const handle = await inner.open(request);
      if (isFailure(handle)) return handle;
      // What the read resolved to: the patch an identifier names, the quilt a patch lives in.
      return refuse([handle.blobId, ...(handle.patch ? [handle.patch.patchId] : [])]) ?? handle;
    },
  };
}

/** The IDs a target names before anything is read. */
function idsOf(target: ReadTarget): string[] {
  switch (target.kind) {
    case 'blob':
      return [target.blobId];
    case 'patch': {
      const ids = [target.patchId];
      try {
        ids.push(formatBlobId(parseQuiltPatchId(target.patchId).quiltId));
      } catch {
        // Malformed: the quilt reader below answers it as not found.
      }
      return ids;
    }
    case 'patch-by-identifier':
      return [target.quiltId];
  }
}
