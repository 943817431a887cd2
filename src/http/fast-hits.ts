// The hot path of a cache: GET/HEAD /v1/blobs/{blobId} (whole or one range) answered from memory on
// Node's http objects, before Hono, Web Responses and streams are built. Those layers cost about 4×
// the work of the answer itself for a 64 KiB hit (bench:serve). Anything this path does not fully
// understand (a query, several ranges, a blocked or uncached blob, a type not sniffed yet) goes to
// the app, which stays the one definition of the semantics; tests check both give the same headers.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { BlobCache } from '../cache/blob-cache.ts';
import { ageSeconds, type CachedBlob } from '../cache/memory-tier.ts';
import { IMMUTABLE } from './aggregator-deps.ts';
import { matchesIfNoneMatch, presentationHeaders, type ActiveContentPolicy } from './blob-responder.ts';
import { contentRange, decideRange, rangeUnlessStale, type ByteRange } from './range.ts';
import type { Blocklist } from '../read/blocklist.ts';
import { EXPOSED_HEADERS } from './cors.ts';

export interface FastHitDeps {
  cache: BlobCache;
  blocklist: Blocklist;
  sniffedTypes: { get(etag: string): string | undefined };
  activeContent: ActiveContentPolicy;
  corsOrigins: '*' | string[];
  /** Counts the answer like the app's metrics middleware does (route pattern, method, status). */
  record?: (route: string, method: string, status: number, seconds: number) => void;
}

const BLOB_PATH = /^\/v1\/blobs\/([A-Za-z0-9_-]{43})$/;
const ROUTE = '/v1/blobs/:blobId';
const EXPOSED = EXPOSED_HEADERS.join(',');

/** Wraps the app's listener: memory hits are answered here, everything else is passed on. */
export function withFastHits(deps: FastHitDeps, app: RequestListener): RequestListener {
  // Headers that depend only on the cached entry and its type, built once per entry.
  const prepared = new WeakMap<CachedBlob, { type: string; base: string[]; full: string[] }>();
  const corsFor =
    deps.corsOrigins === '*'
      ? () => ['access-control-allow-origin', '*', 'access-control-expose-headers', EXPOSED]
      : (origin: string | undefined) => [
          ...(origin && (deps.corsOrigins as string[]).includes(origin)
            ? ['access-control-allow-origin', origin]
            : []),
          'access-control-expose-headers',
          EXPOSED,
          'vary',
          'Origin',
        ];

  const answer = (req: IncomingMessage, res: ServerResponse): boolean => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const match = BLOB_PATH.exec(req.url ?? '');
    if (!match) return false;
    const blobId = match[1]!;
    if (deps.blocklist.has(blobId)) return false;
    const type = deps.sniffedTypes.get(blobId);
    if (type === undefined) return false;
    const blob = deps.cache.hit(blobId);
    if (!blob) return false;

    let entry = prepared.get(blob);
    if (!entry || entry.type !== type) {
      entry = entryHeaders(blobId, type, deps.activeContent);
      prepared.set(blob, entry);
    }
    const perRequest = ['age', String(ageSeconds(blob)), ...corsFor(req.headers.origin)];
    if (matchesIfNoneMatch(req.headers['if-none-match'], blobId)) {
      res.writeHead(304, [...entry.base, ...perRequest]);
      res.end();
      return true;
    }
    // A single range (video seeking) is served here too; several ranges (multipart) and unsatisfiable
    // ones go to the app.
    const ifRange = req.headers['if-range'];
    if (Array.isArray(ifRange)) return false;
    const rangeHeader = rangeUnlessStale(req.headers.range, ifRange, `"${blobId}"`);
    const size = blob.bytes.length;
    const decision = decideRange(rangeHeader, size);
    let range: ByteRange = { start: 0, end: size };
    if (decision.kind === 'unsatisfiable' || (decision.kind === 'ranges' && decision.ranges.length > 1))
      return false;
    if (decision.kind === 'ranges') {
      range = decision.ranges[0]!;
      perRequest.push('content-range', contentRange(range, size));
    }
    perRequest.push('content-length', String(range.end - range.start));
    res.writeHead(decision.kind === 'ranges' ? 206 : 200, [...entry.full, ...perRequest]);
    if (method === 'HEAD') res.end();
    else
      res.end(
        range.start === 0 && range.end === size ? blob.bytes : blob.bytes.subarray(range.start, range.end),
      );
    return true;
  };

  return (req, res) => {
    const started = performance.now();
    if (!answer(req, res)) return app(req, res);
    deps.record?.(ROUTE, req.method!, res.statusCode, (performance.now() - started) / 1000);
  };
}

/** What a 304 repeats (`base`) and what a 200 or 206 adds: the type and the active-content headers. */
function entryHeaders(blobId: string, type: string, policy: ActiveContentPolicy) {
  const base = [
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
  ];
  const full = [...base, 'content-type', type];
  for (const [name, value] of Object.entries(presentationHeaders(type, policy, undefined)))
    full.push(name, value);
  return { type, base, full };
}
