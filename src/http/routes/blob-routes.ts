// GET|HEAD /v1/blobs/{blobId}, /v1/blobs/{blobId}/byte-range, /v1/blobs/by-object-id/{objectId} and
// /v1alpha/blobs/{blobId}/stream. Each parses its request, opens the blob through the read stack and
// hands the handle to the responder; blocking, caching and limits are the stack's.
import type { Context, Hono } from 'hono';
import { isBlobId } from '../../protocol/blob-id.ts';
import { isFailure } from '../../read/blob-source.ts';
import {
  IMMUTABLE,
  REVALIDATE,
  consistencyFrom,
  lookupObject,
  type AggregatorDeps,
} from '../aggregator-deps.ts';
import { respondWithRepresentation } from '../representation-responder.ts';
import { safeContentTypeHint } from '../content-type.ts';
import { errorResponse, readFailureResponse } from '../errors.ts';

const OBJECT_ID = /^0x[0-9a-fA-F]{64}$/;
const BAD_BLOB_ID = 'the blob ID must be 43 unpadded base64url characters';

export function blobRoutes(app: Hono, deps: AggregatorDeps): void {
  const serveBlob = async (
    c: Context,
    blobId: string,
    extra: { cacheControl: string; declaredType?: string; headers?: Record<string, string>; via?: string[] },
  ) => {
    if (!isBlobId(blobId)) return errorResponse(c, 400, 'INVALID_BLOB_ID', BAD_BLOB_ID);
    const choice = consistencyFrom(
      c.req.query('strict_consistency_check'),
      c.req.query('skip_consistency_check'),
    );
    if (!choice.ok) return errorResponse(c, 400, 'INVALID_CONSISTENCY_OPTIONS', choice.message);
    const handle = await deps.blobs.open({
      target: { kind: 'blob', blobId },
      consistency: choice.consistency,
      signal: c.req.raw.signal,
      via: extra.via,
    });
    if (isFailure(handle)) return readFailureResponse(c, handle);
    return respondWithRepresentation(
      c,
      {
        handle,
        etag: blobId,
        cacheControl: extra.cacheControl,
        declaredType: extra.declaredType,
        activeContent: deps.activeContent,
        sniffedTypes: deps.sniffedTypes,
        headers: extra.headers,
      },
      deps.representations,
    );
  };

  app.on(['GET', 'HEAD'], '/v1/blobs/by-object-id/:objectId', async (c) => {
    const objectId = c.req.param('objectId').toLowerCase();
    if (!OBJECT_ID.test(objectId))
      return errorResponse(c, 400, 'INVALID_OBJECT_ID', 'the object ID must be 0x and 64 hex digits');
    if (!deps.objects)
      return errorResponse(c, 404, 'BLOB_NOT_FOUND', 'this edge cannot look up blob objects');
    const object = await lookupObject(deps.objects, objectId, c.req.raw.signal);
    if (object && isFailure(object)) return readFailureResponse(c, object);
    if (!object || !object.live) {
      return errorResponse(
        c,
        404,
        'BLOB_NOT_FOUND',
        object ? 'the blob object was deleted, has expired or is not certified' : 'no such blob object',
      );
    }
    const headers: Record<string, string> = {
      'x-walrus-blob-id': object.blobId,
      'x-walrus-end-epoch': String(object.endEpoch),
    };
    let declaredType: string | undefined;
    for (const [name, value] of Object.entries(object.attributes)) {
      const header = name.toLowerCase();
      // Only what a header value may hold (HTAB, SP, visible ASCII): anything else makes the Response
      // (or Node's writeHead) throw, a 500 the blob's owner could cause at will.
      if (!deps.attributeHeaders.includes(header) || /[^\t\x20-\x7e]/.test(value)) continue;
      // A single well-formed media type only: `x/y, text/html` would be rendered as HTML by browsers
      // (the last type of a list wins) while escaping the sandbox meant for active content.
      if (header === 'content-type') declaredType = safeContentTypeHint(value);
      else headers[header] = value;
    }
    return serveBlob(c, object.blobId, { cacheControl: REVALIDATE, declaredType, headers, via: [objectId] });
  });

  app.on(['GET', 'HEAD'], '/v1/blobs/:blobId', (c) =>
    serveBlob(c, c.req.param('blobId'), { cacheControl: IMMUTABLE }),
  );
  app.on(['GET', 'HEAD'], '/v1alpha/blobs/:blobId/stream', (c) =>
    serveBlob(c, c.req.param('blobId'), { cacheControl: IMMUTABLE }),
  );

  // The official byte-range route: bytes [start, start + length), answered 200 with an ETag of its own
  // (`{blobId}-{start}-{length}`), as the official aggregator does so that CDNs in front cache each
  // range as an object of its own. A `Range` header on the blob routes keeps its 206.
  app.get('/v1/blobs/:blobId/byte-range', async (c) => {
    const blobId = c.req.param('blobId');
    if (!isBlobId(blobId)) return errorResponse(c, 400, 'INVALID_BLOB_ID', BAD_BLOB_ID);
    const start = Number(c.req.query('start'));
    const length = Number(c.req.query('length'));
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length <= 0) {
      return errorResponse(
        c,
        400,
        'INVALID_BYTE_RANGE',
        'start must be a whole number ≥ 0 and length a whole number > 0',
      );
    }
    const signal = c.req.raw.signal;
    // A partial read checks the slivers it fetches only, whatever the consistency asked for.
    const handle = await deps.blobs.open({
      target: { kind: 'blob', blobId },
      consistency: 'default',
      signal,
    });
    if (isFailure(handle)) return readFailureResponse(c, handle);
    // 400, not 416: the official route answers INVALID_BYTE_RANGE as InvalidArgument, and its spec
    // lists no 416 here (a client written for it expects 400).
    if (start + length > handle.size) {
      return errorResponse(
        c,
        400,
        'INVALID_BYTE_RANGE',
        `bytes [${start}, ${start + length}) exceed the blob's ${handle.size}`,
      );
    }
    const body = await handle.read({ start, end: start + length }, signal);
    if (isFailure(body)) return readFailureResponse(c, body);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(length),
        etag: `"${blobId}-${start}-${length}"`,
        'cache-control': IMMUTABLE,
        'x-content-type-options': 'nosniff',
        'x-cache': handle.origin,
        age: String(handle.ageSeconds),
      },
    });
  });
}
