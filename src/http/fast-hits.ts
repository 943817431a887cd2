// The hot path of a cache: GET/HEAD /v1/blobs/{blobId} (whole or one range) answered from memory on
// Node's http objects, before Hono, Web Responses and streams are built. Anything this path does not
// fully understand (a query, several ranges, a blocked or uncached blob, a type not sniffed yet) goes
// to the app, which stays the one definition of the semantics; tests check both give the same headers.
// It runs inside request-log.ts (which hands it the request ID) and costs, per 64 KiB hit, about what
// node:http itself needs to write the same answer (bench:serve): per request it makes one header
// array (a copy of one built once per cached entry, with the Age and the ID filled in) and no closure
// unless the answer is still being written when it returns.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobCache } from '../cache/blob-cache.ts';
import { ageSeconds, type CachedBlob } from '../cache/memory-tier.ts';
import { IMMUTABLE } from './aggregator-deps.ts';
import { matchesIfNoneMatch, presentationHeaders, type ActiveContentPolicy } from './blob-responder.ts';
import { EXPOSED_HEADERS } from './cors.ts';
import type { FastPathMetrics } from './metrics.ts';
import { contentRange, decideRange, rangeUnlessStale } from './range.ts';
import type { Blocklist } from '../read/blocklist.ts';
import type { FirstAnswer } from './request-log.ts';
import type { EncodedCopy, Representations } from './representations.ts';

export interface FastHitDeps {
  cache: BlobCache;
  blocklist: Blocklist;
  sniffedTypes: { get(etag: string): string | undefined };
  activeContent: ActiveContentPolicy;
  corsOrigins: '*' | string[];
  /** Counts the answers as the app's metrics middleware counts its own (see metrics.ts). */
  metrics?: (route: string) => FastPathMetrics;
  /** Compressed copies: one kept in memory is sent from here too; one not made yet sends the request to the app. */
  representations?: Representations;
}

export const FAST_ROUTE = '/v1/blobs/:blobId';
const PREFIX = '/v1/blobs/';
const BLOB_ID = /^[A-Za-z0-9_-]{43}$/;
const EXPOSED = EXPOSED_HEADERS.join(',');

/** An entry's header arrays, built once: a 200's, a 304's and a 206's, before the per-request ones. */
interface Prepared {
  type: string;
  /** Whether the answer varies on Accept-Encoding (a compressible type). */
  compressible: boolean;
  whole: string[];
  notModified: string[];
  partial: string[];
}

/** Answers memory hits of GET/HEAD /v1/blobs/{blobId}; undefined leaves the request to the app. */
export function fastHits(deps: FastHitDeps): FirstAnswer {
  const prepared = new WeakMap<CachedBlob, Prepared>();
  const metrics = deps.metrics?.(FAST_ROUTE);
  const listed = deps.corsOrigins === '*' ? undefined : deps.corsOrigins;
  // Any origin: the same CORS headers on every answer. A list: the request's origin is echoed when
  // listed, and Vary says the answer depends on it.
  const cors = listed
    ? ['access-control-expose-headers', EXPOSED, 'vary', 'Origin']
    : ['access-control-allow-origin', '*', 'access-control-expose-headers', EXPOSED];

  /** The per-request head: the entry's, the Age, the request ID and, for a listed origin, that. */
  const head = (base: string[], blob: CachedBlob, requestId: string, origin: string | undefined) => {
    const headers = base.slice();
    headers.push('age', String(ageSeconds(blob)), 'x-request-id', requestId);
    if (listed && origin !== undefined && listed.includes(origin))
      headers.push('access-control-allow-origin', origin);
    return headers;
  };

  return (req: IncomingMessage, res: ServerResponse, requestId: string, startedMs: number) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    const url = req.url!;
    // A query is either image options (a variant kept in memory is sent from here) or the app's.
    const queryAt =
      url.length > PREFIX.length + 43 && url[PREFIX.length + 43] === '?' ? PREFIX.length + 43 : -1;
    if ((queryAt < 0 && url.length !== PREFIX.length + 43) || !url.startsWith(PREFIX)) return undefined;
    const blobId = url.slice(PREFIX.length, PREFIX.length + 43);
    if (!BLOB_ID.test(blobId) || deps.blocklist.has(blobId)) return undefined;
    const type = deps.sniffedTypes.get(blobId);
    if (type === undefined) return undefined;
    const blob = deps.cache.hit(blobId);
    if (!blob) return undefined;
    const headers = req.headers;
    if (queryAt >= 0) {
      const variant = deps.representations?.variantInMemory(
        blobId,
        type,
        url.slice(queryAt + 1),
        headers.accept,
      );
      // A variant's ranges go to the app, which serves them from the same bytes.
      if (!variant || headers.range !== undefined) return undefined;
      let kept = prepared.get(variant.blob);
      if (!kept) {
        kept = entryHeaders(
          variant.etag,
          variant.contentType,
          variant.blob.bytes.length,
          deps.activeContent,
          variant.vary ? ['vary', variant.vary, ...cors] : cors,
        );
        prepared.set(variant.blob, kept);
      }
      return sendWhole(
        res,
        method,
        variant.blob,
        matchesIfNoneMatch(headers['if-none-match'], variant.etag),
        kept,
        head,
        requestId,
        headers.origin,
        startedMs,
        metrics,
      );
    }
    let entry = prepared.get(blob);
    if (!entry || entry.type !== type) {
      const vary = deps.representations?.varyFor(type);
      entry = entryHeaders(
        blobId,
        type,
        blob.bytes.length,
        deps.activeContent,
        vary ? ['vary', vary, ...cors] : cors,
      );
      entry.compressible = vary !== undefined;
      prepared.set(blob, entry);
    }
    const origin = headers.origin;
    // A compressible type without a Range: the compressed copy this client takes, if it is in memory.
    if (entry.compressible && headers.range === undefined) {
      const copy = deps.representations!.encodedInMemory(
        blobId,
        type,
        blob.bytes.length,
        headers['accept-encoding'],
      );
      if (copy === undefined) return undefined;
      if (copy !== 'stored') {
        const base = matchesIfNoneMatch(headers['if-none-match'], copy.etag)
          ? entry.notModified
          : entry.partial;
        return sendCopy(
          res,
          method,
          copy,
          base === entry.notModified,
          head(base, blob, requestId, origin),
          startedMs,
          metrics,
        );
      }
    }
    if (matchesIfNoneMatch(headers['if-none-match'], blobId)) {
      res.writeHead(304, head(entry.notModified, blob, requestId, origin));
      res.end();
      return finished(res, method, 304, 0, null, startedMs, metrics);
    }

    // A single range (video seeking) is served here too; several ranges (multipart), unsatisfiable
    // ones and several If-Range headers go to the app.
    const ifRange = headers['if-range'];
    if (Array.isArray(ifRange)) return undefined;
    const size = blob.bytes.length;
    const decision = decideRange(rangeUnlessStale(headers.range, ifRange, `"${blobId}"`), size);
    if (decision.kind === 'unsatisfiable' || (decision.kind === 'ranges' && decision.ranges.length > 1))
      return undefined;
    if (decision.kind === 'whole') {
      res.writeHead(200, head(entry.whole, blob, requestId, origin));
      if (method === 'HEAD') res.end();
      else res.end(blob.bytes);
      return finished(res, method, 200, method === 'HEAD' ? 0 : size, size, startedMs, metrics);
    }
    const range = decision.ranges[0]!;
    const length = range.end - range.start;
    const partial = head(entry.partial, blob, requestId, origin);
    partial.push('content-range', contentRange(range, size), 'content-length', String(length));
    res.writeHead(206, partial);
    if (method === 'HEAD') res.end();
    else res.end(blob.bytes.subarray(range.start, range.end));
    return finished(res, method, 206, method === 'HEAD' ? 0 : length, length, startedMs, metrics);
  };
}

/** A whole answer of bytes kept in memory (an image variant), or its 304. */
function sendWhole(
  res: ServerResponse,
  method: string,
  kept: CachedBlob | { bytes: Uint8Array; storedAt: number },
  notModified: boolean,
  entry: Prepared,
  head: (base: string[], blob: CachedBlob, requestId: string, origin: string | undefined) => string[],
  requestId: string,
  origin: string | undefined,
  startedMs: number,
  metrics: FastPathMetrics | undefined,
): number | null {
  if (notModified) {
    res.writeHead(304, head(entry.notModified, kept, requestId, origin));
    res.end();
    return finished(res, method, 304, 0, null, startedMs, metrics);
  }
  const size = kept.bytes.length;
  res.writeHead(200, head(entry.whole, kept, requestId, origin));
  if (method === 'HEAD') res.end();
  else res.end(kept.bytes);
  return finished(res, method, 200, method === 'HEAD' ? 0 : size, size, startedMs, metrics);
}

/** A compressed copy under its own ETag (a 304 when the client has it), with its Content-Encoding. */
function sendCopy(
  res: ServerResponse,
  method: string,
  copy: EncodedCopy,
  notModified: boolean,
  headers: string[],
  startedMs: number,
  metrics: FastPathMetrics | undefined,
): number | null {
  // The entry's head starts with its ETag: the copy's replaces it.
  headers[1] = `"${copy.etag}"`;
  if (notModified) {
    res.writeHead(304, headers);
    res.end();
    return finished(res, method, 304, 0, null, startedMs, metrics);
  }
  headers.push('content-encoding', copy.encoding, 'content-length', String(copy.bytes.length));
  res.writeHead(200, headers);
  if (method === 'HEAD') res.end();
  else res.end(copy.bytes);
  return finished(
    res,
    method,
    200,
    method === 'HEAD' ? 0 : copy.bytes.length,
    copy.bytes.length,
    startedMs,
    metrics,
  );
}

/**
 * Counts the answer and returns its Content-Length (the access log's `bytes`; null for a 304). Its last
 * byte is known at once when the operating system took the whole answer within end() (nothing is left
 * queued, as for most small hits); otherwise when the response finishes.
 */
function finished(
  res: ServerResponse,
  method: string,
  status: number,
  bodyBytes: number,
  contentLength: number | null,
  startedMs: number,
  metrics: FastPathMetrics | undefined,
): number | null {
  if (metrics) {
    const now = performance.now();
    metrics.answered(method, status, bodyBytes, startedMs, now);
    if (res.writableLength === 0) metrics.lastByte(startedMs, now);
    else res.once('finish', () => metrics.lastByte(startedMs, performance.now()));
  }
  return contentLength;
}

/** What a 304 repeats, and what a 200 and a 206 add: the type and the active-content headers. */
function entryHeaders(
  blobId: string,
  type: string,
  size: number,
  policy: ActiveContentPolicy,
  cors: string[],
): Prepared {
  const notModified = [
    'etag',
    `"${blobId}"`,
    'cache-control',
    IMMUTABLE,
    'accept-ranges',
    'bytes',
    'x-content-type-options',
    'nosniff',
    'x-cache',
    'HIT-MEMORY',
    ...cors,
  ];
  const partial = [...notModified, 'content-type', type];
  for (const [name, value] of Object.entries(presentationHeaders(type, policy, undefined)))
    partial.push(name, value);
  return {
    type,
    compressible: false,
    notModified,
    partial,
    whole: [...partial, 'content-length', String(size)],
  };
}
