// GET|HEAD /v1/blobs/{blobId}, /v1/blobs/{blobId}/byte-range, /v1/blobs/by-object-id/{objectId} and
// /v1alpha/blobs/{blobId}/stream.
import type { Context, Hono } from 'hono';
import { isBlobId } from '../../protocol/blob-id.ts';
import { ageSeconds } from '../../cache/memory-tier.ts';
import { IMMUTABLE, REVALIDATE, consistencyFrom, type AggregatorDeps } from '../aggregator-deps.ts';
import { blobSource, bytesSource, type BodySource } from '../body-source.ts';
import { failure } from '../../read/read-errors.ts';
import { respondWithBody } from '../blob-responder.ts';
import { safeContentTypeHint } from '../content-type.ts';
import { errorResponse, readFailureResponse } from '../errors.ts';
import { releaseWhenSent } from '../limiter.ts';

const OBJECT_ID = /^0x[0-9a-fA-F]{64}$/;

export function blobRoutes(app: Hono, deps: AggregatorDeps): void {
  const serveBlob = async (
    c: Context,
    blobId: string,
    extra: { cacheControl: string; declaredType?: string; headers?: Record<string, string> },
  ) => {
    if (!isBlobId(blobId))
      return errorResponse(c, 400, 'INVALID_BLOB_ID', 'the blob ID must be 43 unpadded base64url characters');
    const choice = consistencyFrom(
      c.req.query('strict_consistency_check'),
      c.req.query('skip_consistency_check'),
    );
    if (!choice.ok) return errorResponse(c, 400, 'INVALID_CONSISTENCY_OPTIONS', choice.message);
    if (deps.blocklist.has(blobId))
      return errorResponse(c, 451, 'FORBIDDEN_BLOB', 'this blob is blocked on this edge');
    const respond = (source: BodySource, cacheHeaders: Record<string, string>) =>
      respondWithBody(c, {
        source,
        etag: blobId,
        cacheControl: extra.cacheControl,
        declaredType: extra.declaredType,
        activeContent: deps.activeContent,
        sniffedTypes: deps.sniffedTypes,
        headers: { ...cacheHeaders, ...extra.headers },
      });
    // The cache holds blobs read with the default consistency; other modes always reconstruct.
    const cache = choice.consistency === 'default' ? deps.cache : undefined;
    const hit = await cache?.lookup(blobId);
    if (hit) {
      return respond(bytesSource(hit.blob.bytes), { 'x-cache': hit.tier, age: String(ageSeconds(hit.blob)) });
    }
    if (cache?.knownMissing(blobId)) {
      return errorResponse(c, 404, 'BLOB_NOT_FOUND', 'the blob was not found moments ago', {
        'x-cache': 'HIT-NEGATIVE',
      });
    }
    return limited(c, deps, async () => {
      // While this request queued, another one may have filled the cache.
      const filled = cache?.hit(blobId);
      if (filled) return respond(bytesSource(filled.bytes), { 'x-cache': 'HIT-MEMORY', age: '0' });
      const meta = await deps.reader.metadata(blobId, c.req.raw.signal);
      if (meta.kind !== 'ok') {
        if (meta.kind === 'not-found') cache?.noteMissing(blobId);
        return readFailureResponse(c, meta);
      }
      let source = blobSource(deps.reader, meta, choice.consistency);
      if (cache?.cacheable(meta.size) && c.req.method === 'GET') {
        if (c.req.header('range') === undefined) {
          // A whole-blob miss: one reconstruction for every concurrent request, then served from bytes.
          const bytes = await cache
            .fill(meta, c.req.raw.signal)
            .catch(() => failure('unavailable', 'cancelled'));
          if (!(bytes instanceof Uint8Array)) return readFailureResponse(c, bytes);
          source = bytesSource(bytes);
        } else {
          // A range miss is served at once from the slivers it needs; the whole blob fills behind it.
          cache.fillInBackground(meta);
        }
      }
      return respond(source, { 'x-cache': 'MISS', age: '0' });
    });
  };

  app.on(['GET', 'HEAD'], '/v1/blobs/by-object-id/:objectId', async (c) => {
    const objectId = c.req.param('objectId');
    if (!OBJECT_ID.test(objectId))
      return errorResponse(c, 400, 'INVALID_OBJECT_ID', 'the object ID must be 0x and 64 hex digits');
    if (!deps.objects)
      return errorResponse(c, 404, 'BLOB_NOT_FOUND', 'this edge cannot look up blob objects');
    if (deps.blocklist.has(objectId.toLowerCase()))
      return errorResponse(c, 451, 'FORBIDDEN_BLOB', 'this object is blocked on this edge');
    const object = await deps.objects.get(objectId.toLowerCase(), c.req.raw.signal);
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
    return serveBlob(c, object.blobId, { cacheControl: REVALIDATE, declaredType, headers });
  });

  app.on(['GET', 'HEAD'], '/v1/blobs/:blobId', (c) =>
    serveBlob(c, c.req.param('blobId'), { cacheControl: IMMUTABLE }),
  );
  app.on(['GET', 'HEAD'], '/v1alpha/blobs/:blobId/stream', (c) =>
    serveBlob(c, c.req.param('blobId'), { cacheControl: IMMUTABLE }),
  );

  // The official byte-range route: [start, start + length), answered 206 like a Range request.
  app.get('/v1/blobs/:blobId/byte-range', async (c) => {
    const blobId = c.req.param('blobId');
    if (!isBlobId(blobId))
      return errorResponse(c, 400, 'INVALID_BLOB_ID', 'the blob ID must be 43 unpadded base64url characters');
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
    if (deps.blocklist.has(blobId))
      return errorResponse(c, 451, 'FORBIDDEN_BLOB', 'this blob is blocked on this edge');
    return limited(c, deps, async () => {
      const meta = await deps.reader.metadata(blobId, c.req.raw.signal);
      if (meta.kind !== 'ok') return readFailureResponse(c, meta);
      // 400, not 416: the official route answers INVALID_BYTE_RANGE as InvalidArgument, and its spec
      // lists no 416 here (a client written for it expects 400).
      if (start + length > meta.size) {
        return errorResponse(
          c,
          400,
          'INVALID_BYTE_RANGE',
          `bytes [${start}, ${start + length}) exceed the blob's ${meta.size}`,
        );
      }
      const result = await deps.reader.stream(meta, {
        start,
        end: start + length,
        signal: c.req.raw.signal,
        consistency: 'skip',
      });
      if (result.kind !== 'ok') return readFailureResponse(c, result);
      return new Response(result.body, {
        status: 206,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(length),
          'content-range': `bytes ${start}-${start + length - 1}/${meta.size}`,
          etag: `"${blobId}"`,
          'cache-control': IMMUTABLE,
          'x-content-type-options': 'nosniff',
          'x-cache': 'MISS',
        },
      });
    });
  });
}

/** Runs a reconstruction under the concurrency cap; 429 with Retry-After when the edge is saturated. */
export async function limited(
  c: Context,
  deps: AggregatorDeps,
  work: () => Promise<Response>,
): Promise<Response> {
  const release = await deps.limiter.acquire(c.req.raw.signal);
  if (!release) {
    return errorResponse(
      c,
      429,
      'TOO_MANY_RECONSTRUCTIONS',
      'the edge is reconstructing as many blobs as it can; retry shortly',
      {
        'retry-after': '1',
      },
    );
  }
  try {
    return releaseWhenSent(await work(), release);
  } catch (error) {
    release();
    throw error;
  }
}
