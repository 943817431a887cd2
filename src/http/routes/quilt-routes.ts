// Quilt patches: /v1/blobs/by-quilt-patch-id/{patchId}, /v1/blobs/by-quilt-id/{quiltId}/{identifier}
// and /v1/quilts/{quiltId}/patches. A patch's ETag is its own patch ID (not the quilt's, as the
// official aggregator sends), and its type comes from its tags or its identifier's extension.
import type { Context, Hono } from 'hono';
import { InvalidIdError, formatBlobId, isBlobId } from '../../protocol/blob-id.ts';
import { parseQuiltPatchId } from '../../protocol/quilt-id.ts';
import type { QuiltPatch } from '../../read/quilt-reader.ts';
import type { ReadFailure } from '../../read/read-errors.ts';
import { IMMUTABLE, type AggregatorDeps } from '../aggregator-deps.ts';
import { bytesSource } from '../body-source.ts';
import { respondWithBody } from '../blob-responder.ts';
import { safeContentTypeHint } from '../content-type.ts';
import { errorResponse, readFailureResponse } from '../errors.ts';
import { limited } from './blob-routes.ts';

export function quiltRoutes(app: Hono, deps: AggregatorDeps): void {
  const servePatch = (c: Context, patch: QuiltPatch | ReadFailure) => {
    if ('kind' in patch) return readFailureResponse(c, patch, 'QUILT_PATCH_NOT_FOUND');
    const tagType = Object.entries(patch.tags).find(([key]) => key.toLowerCase() === 'content-type')?.[1];
    return respondWithBody(c, {
      source: bytesSource(patch.contents),
      etag: patch.patchId,
      cacheControl: IMMUTABLE,
      // A single well-formed media type only: control bytes or non-ASCII would make the response throw
      // (a 500), and a list such as `x/y, text/html` would be rendered as HTML outside the sandbox.
      declaredType: safeContentTypeHint(tagType),
      name: patch.identifier,
      activeContent: deps.activeContent,
      headers: {
        'x-quilt-patch-identifier': encodeURIComponent(patch.identifier),
        'x-cache': patch.source,
        age: String(patch.age),
      },
    });
  };

  app.on(['GET', 'HEAD'], '/v1/blobs/by-quilt-patch-id/:patchId', async (c) => {
    const patchId = c.req.param('patchId');
    let quiltId: string;
    try {
      quiltId = formatBlobId(parseQuiltPatchId(patchId).quiltId);
    } catch (error) {
      if (error instanceof InvalidIdError)
        return errorResponse(c, 400, 'INVALID_QUILT_PATCH_ID', error.message);
      throw error;
    }
    if (deps.blocklist.has(quiltId) || deps.blocklist.has(patchId)) {
      return errorResponse(c, 451, 'FORBIDDEN_BLOB', 'this quilt is blocked on this edge');
    }
    return limited(c, deps, async () =>
      servePatch(c, await deps.quilts.patchById(patchId, c.req.raw.signal)),
    );
  });

  app.on(['GET', 'HEAD'], '/v1/blobs/by-quilt-id/:quiltId/:identifier{.+}', async (c) => {
    const quiltId = c.req.param('quiltId');
    const identifier = c.req.param('identifier');
    const rejected = rejectQuiltId(c, deps, quiltId);
    if (rejected) return rejected;
    return limited(c, deps, async () =>
      servePatch(c, await deps.quilts.patchByIdentifier(quiltId, identifier, c.req.raw.signal)),
    );
  });

  app.get('/v1/quilts/:quiltId/patches', async (c) => {
    const quiltId = c.req.param('quiltId');
    const rejected = rejectQuiltId(c, deps, quiltId);
    if (rejected) return rejected;
    return limited(c, deps, async () => {
      const patches = await deps.quilts.patches(quiltId, c.req.raw.signal);
      if (!Array.isArray(patches)) return readFailureResponse(c, patches);
      return c.json(
        patches.map((p) => ({ identifier: p.identifier, patch_id: p.patchId, tags: p.tags })),
        200,
        { 'cache-control': IMMUTABLE, etag: `"${quiltId}.patches"` },
      );
    });
  });
}

/** 400 for a malformed quilt ID, 451 for a blocked one; undefined when the ID may be served. */
function rejectQuiltId(c: Context, deps: AggregatorDeps, quiltId: string): Response | undefined {
  if (!isBlobId(quiltId)) {
    return errorResponse(c, 400, 'INVALID_BLOB_ID', 'the quilt ID must be 43 unpadded base64url characters');
  }
  if (deps.blocklist.has(quiltId))
    return errorResponse(c, 451, 'FORBIDDEN_BLOB', 'this quilt is blocked on this edge');
  return undefined;
}
