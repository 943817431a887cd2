// Quilt patches: /v1/blobs/by-quilt-patch-id/{patchId}, /v1/blobs/by-quilt-id/{quiltId}/{identifier}
// and /v1/quilts/{quiltId}/patches, all read through the read stack. A patch's ETag is its own patch
// ID (not the quilt's, as the official aggregator sends), and its type comes from its tags or its
// identifier's extension.
import type { Context, Hono } from 'hono';
import { InvalidIdError, isBlobId } from '../../protocol/blob-id.ts';
import { parseQuiltPatchId } from '../../protocol/quilt-id.ts';
import { isFailure, type ReadTarget } from '../../read/blob-source.ts';
import { QuiltReader, quiltOpener } from '../../read/quilt-reader.ts';
import { IMMUTABLE, type AggregatorDeps } from '../aggregator-deps.ts';
import { respondWithRepresentation } from '../representation-responder.ts';
import { safeContentTypeHint } from '../content-type.ts';
import { errorResponse, readFailureResponse } from '../errors.ts';

const BAD_QUILT_ID = 'the quilt ID must be 43 unpadded base64url characters';

export function quiltRoutes(app: Hono, deps: AggregatorDeps): void {
  const index = new QuiltReader(quiltOpener(deps.blobs));

  const servePatch = async (c: Context, target: ReadTarget) => {
    const handle = await deps.blobs.open({ target, consistency: 'default', signal: c.req.raw.signal });
    if (isFailure(handle)) return readFailureResponse(c, handle, 'QUILT_PATCH_NOT_FOUND');
    const patch = handle.patch!;
    const tagType = Object.entries(patch.tags).find(([key]) => key.toLowerCase() === 'content-type')?.[1];
    return respondWithRepresentation(
      c,
      {
        handle,
        etag: patch.patchId,
        cacheControl: IMMUTABLE,
        // A single well-formed media type only: control bytes or non-ASCII would make the response throw
        // (a 500), and a list such as `x/y, text/html` would be rendered as HTML outside the sandbox.
        declaredType: safeContentTypeHint(tagType),
        name: patch.identifier,
        activeContent: deps.activeContent,
        headers: { 'x-quilt-patch-identifier': encodeURIComponent(patch.identifier) },
      },
      deps.representations,
    );
  };

  app.on(['GET', 'HEAD'], '/v1/blobs/by-quilt-patch-id/:patchId', async (c) => {
    const patchId = c.req.param('patchId');
    try {
      parseQuiltPatchId(patchId);
    } catch (error) {
      if (error instanceof InvalidIdError)
        return errorResponse(c, 400, 'INVALID_QUILT_PATCH_ID', error.message);
      throw error;
    }
    return servePatch(c, { kind: 'patch', patchId });
  });

  app.on(['GET', 'HEAD'], '/v1/blobs/by-quilt-id/:quiltId/:identifier{.+}', async (c) => {
    const quiltId = c.req.param('quiltId');
    if (!isBlobId(quiltId)) return errorResponse(c, 400, 'INVALID_BLOB_ID', BAD_QUILT_ID);
    return servePatch(c, { kind: 'patch-by-identifier', quiltId, identifier: c.req.param('identifier') });
  });

  app.get('/v1/quilts/:quiltId/patches', async (c) => {
    const quiltId = c.req.param('quiltId');
    if (!isBlobId(quiltId)) return errorResponse(c, 400, 'INVALID_BLOB_ID', BAD_QUILT_ID);
    const patches = await index.patches(quiltId, c.req.raw.signal);
    if (!Array.isArray(patches)) return readFailureResponse(c, patches);
    return c.json(
      patches.map((p) => ({ identifier: p.identifier, patch_id: p.patchId, tags: p.tags })),
      200,
      { 'cache-control': IMMUTABLE, etag: `"${quiltId}.patches"` },
    );
  });
}
