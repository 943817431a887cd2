// Quilt patches as read targets: a patch (by patch ID, or by its quilt and identifier) is opened as a
// read of its quilt's columns through the layers below, so a cached quilt answers every patch from its
// bytes and an uncached one costs only the patch's (and the index's) columns. The handle it returns is
// the patch's contents, with the patch ID (the blocklist checks it) and its tags.
import { bytesHandle, type BlobSource } from './blob-source.ts';
import { QuiltReader, quiltOpener } from './quilt-reader.ts';
import { failure } from './read-errors.ts';

export function quiltPatchSource(inner: BlobSource): BlobSource {
  const quilts = new QuiltReader(quiltOpener(inner));
  return {
    async open(request) {
      const { target, signal } = request;
      if (target.kind === 'blob') return inner.open(request);
      const patch =
        target.kind === 'patch'
          ? await quilts.patchById(target.patchId, signal)
          : await quilts.patchByIdentifier(target.quiltId, target.identifier, signal);
      if ('kind' in patch) return patch;
      return {
        ...bytesHandle(patch.quiltId, patch.contents, patch.nShards, patch.source, patch.age),
        patch: { patchId: patch.patchId, identifier: patch.identifier, tags: patch.tags },
        // A patch's contents are at hand and no blob of their own: sniffed from their start.
        firstRowBytes: patch.contents.length,
        // A patch is not a matrix of its own.
        columns: async () =>
          failure('invalid-range', 'a quilt patch has no columns', { size: patch.contents.length }),
      };
    },
  };
}
