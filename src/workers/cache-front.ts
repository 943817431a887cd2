// The Workers tier: a Cloudflare Worker that keeps Walrus answers in the data centre's cache (the
// Workers Cache API) and answers repeats, byte ranges (206) and revalidations (304) from it. What it
// stores and for how long is what the answer's Cache-Control says (blobs are immutable for a year,
// by-object-id 30 s, 404s 5 s). Misses, writes and everything else go to the upstream: the origin
// edges, or the Worker's own reads from the storage nodes. Web-standard APIs only: it runs on
// workerd, and on anything with fetch and a Cache.
import { Hono, type Context } from 'hono';
import { apiError } from '../protocol/status.ts';
import { idsNamedBy, idsOfAnswer, type WorkersBlocklist } from './blocklist-sync.ts';

/** What answers behind the tier: the origin edges (origin-upstream.ts), or its own reads (node-reads.ts). */
export interface Upstream {
  fetch(request: Request, requestId: string): Promise<Response>;
}

export interface CacheFrontOptions {
  upstream: Upstream;
  /** Where answers are kept: the Workers Cache API's `caches.default`, or any Web `Cache`. */
  cache: Cache;
  /** A range or a HEAD of a blob not cached fetches the whole blob in the background up to this size. */
  fillMaxBytes: number;
  /**
   * The largest answer split between the client and the cache as it streams. A tee buffers whatever
   * the faster side has read and the slower not yet, and a Worker has 128 MB of memory (Workers
   * "Limits"): a larger answer goes to the client alone, and a fill of its own streams it into the
   * cache (a second upstream read, with nothing buffered).
   */
  teeMaxBytes: number;
  /** The operator's blocklist, followed from the edge (blocklist-sync.ts); absent: none. */
  blocklist?: WorkersBlocklist;
}

/** What the runtime lends a request for work that outlives the answer (ExecutionContext). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/** The edge's own headers about one answer: not kept with the stored copy. */
const PER_ANSWER = ['x-request-id', 'x-cache', 'age', 'date', 'server-timing', 'connection', 'keep-alive'];
const STORED_AT = 'x-workers-stored-at';

export function createCacheFront(options: CacheFrontOptions): Hono {
  const fills = new Map<string, Promise<void>>();
  const app = new Hono();

  // One line per answer, as the edge's access log (Workers Logs keeps a Worker's console as JSON).
  app.use('*', async (c, next) => {
    const started = Date.now();
    await next();
    const url = new URL(c.req.url);
    console.log(
      JSON.stringify({
        msg: 'answer',
        method: c.req.method,
        url: url.pathname + url.search,
        status: c.res.status,
        cache: c.res.headers.get('x-cache'),
        requestId: c.res.headers.get('x-request-id'),
        ms: Date.now() - started,
      }),
    );
  });

  app.on(['GET', 'HEAD'], '*', async (c) => {
    const request = c.req.raw;
    const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
    const url = new URL(request.url);
    const key = new Request(keyUrl(url));
    const lookup = new Request(key.url, { headers: conditionalHeaders(request.headers) });
    const blocklist = options.blocklist;
    const later = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
    const named = blocklist && (await blocklist.blocked(idsNamedBy(url.pathname), later));
    if (named) return blockedAnswer(named, requestId);
    const cached = await options.cache.match(lookup);
    if (cached) {
      const listed = blocklist && (await blocklist.blocked(idsOfAnswer(cached.headers), later));
      if (listed) {
        await cached.body?.cancel();
        return blockedAnswer(listed, requestId);
      }
      return answer(cached, request.method, requestId, 'HIT-WORKERS', ageOf(cached));
    }

    const upstream = await options.upstream.fetch(request, requestId);
    const get = request.method === 'GET';
    if (
      !storable(upstream) ||
      (upstream.status !== 200 && upstream.status !== 206 && upstream.status !== 404)
    ) {
      return answer(upstream, request.method, requestId);
    }
    const length = Number(upstream.headers.get('content-length') ?? NaN);
    if (get && upstream.status === 200 && !(length > options.teeMaxBytes)) {
      const [served, kept] = upstream.body!.tee();
      track(
        c,
        key.url,
        options.cache.put(key, new Response(kept, { headers: headersToKeep(upstream.headers) })),
      );
      return answer(new Response(served, upstream), 'GET', requestId);
    }
    if (get && upstream.status === 404) {
      // The edge's short negative answer: junk asked again and again stays here, not at the origin.
      const body = await upstream.arrayBuffer();
      const kept = new Response(body, { status: 404, headers: headersToKeep(upstream.headers) });
      track(c, key.url, options.cache.put(key, kept));
      return answer(new Response(body, upstream), 'GET', requestId);
    }
    // A range (206), a HEAD (200) — players ask one before the GET, as Cloudflare's own Workers
    // Caching turns a cold HEAD into a GET — or a large GET: the whole blob follows in the background.
    const size =
      upstream.status === 206
        ? totalOf(upstream.headers.get('content-range'))
        : upstream.status === 200
          ? length
          : undefined;
    if (size !== undefined && size <= options.fillMaxBytes) fillOnce(c, key, requestId);
    return answer(upstream, request.method, requestId);
  });

  app.all('*', async (c) => {
    const request = c.req.raw;
    const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
    return answer(await options.upstream.fetch(request, requestId), request.method, requestId);
  });

  /** Keeps the request alive until `put` is done, and lets no other fill of `url` start meanwhile. */
  function track(c: Context, url: string, put: Promise<unknown>): void {
    const done = put.then(
      () => undefined,
      (error: unknown) =>
        console.error(JSON.stringify({ msg: 'not kept in the cache', url, error: String(error) })),
    );
    fills.set(url, done);
    c.executionCtx.waitUntil(done.finally(() => fills.delete(url)));
  }

  /** The whole blob into the cache, once per key and isolate at a time, after a range or a HEAD. */
  function fillOnce(c: Context, key: Request, requestId: string): void {
    if (fills.has(key.url)) return;
    track(
      c,
      key.url,
      (async () => {
        // A put that ended while this request was upstream has the blob already.
        if (await options.cache.match(key)) return;
        const whole = new Request(key.url, { headers: { 'accept-encoding': 'identity' } });
        const response = await options.upstream.fetch(whole, requestId);
        if (response.status !== 200 || !storable(response)) return void (await response.body?.cancel());
        await options.cache.put(
          key,
          new Response(response.body, { headers: headersToKeep(response.headers) }),
        );
      })(),
    );
  }

  return app;
}

/** The cache key: the URL without its fragment (the query string picks variants, so it stays). */
function keyUrl(url: URL): string {
  const key = new URL(url);
  key.hash = '';
  return key.toString();
}

/** The request headers the cache evaluates on a match: ranges and revalidation. */
function conditionalHeaders(headers: Headers): Headers {
  const kept = new Headers();
  for (const name of ['range', 'if-range', 'if-none-match', 'if-modified-since']) {
    const value = headers.get(name);
    if (value !== null) kept.set(name, value);
  }
  return kept;
}

/**
 * Whether the origin means the answer for shared caches: public with a lifetime, no cookie, and the
 * same for every client (a Vary on anything but the encoding, such as Accept for `format=auto`
 * images or Origin for a CORS list, is passed through uncached rather than served to the wrong one).
 */
export function storable(response: Response): boolean {
  const cacheControl = (response.headers.get('cache-control') ?? '').toLowerCase();
  if (!/\bpublic\b/.test(cacheControl) || /\b(no-store|no-cache|private)\b/.test(cacheControl)) return false;
  if (!/\b(max-age|s-maxage)=0*[1-9]/.test(cacheControl)) return false;
  if (response.headers.has('set-cookie')) return false;
  const vary = response.headers.get('vary');
  return vary === null || vary.split(',').every((name) => name.trim().toLowerCase() === 'accept-encoding');
}

function headersToKeep(headers: Headers): Headers {
  const kept = new Headers(headers);
  for (const name of PER_ANSWER) kept.delete(name);
  kept.set(STORED_AT, String(Date.now()));
  return kept;
}

function ageOf(cached: Response): number {
  const storedAt = Number(cached.headers.get(STORED_AT));
  return Number.isFinite(storedAt) && storedAt > 0
    ? Math.max(0, Math.floor((Date.now() - storedAt) / 1000))
    : 0;
}

/** `bytes 0-99/1234` → 1234. */
function totalOf(contentRange: string | null): number | undefined {
  const total = contentRange?.match(/\/(\d+)$/)?.[1];
  return total === undefined ? undefined : Number(total);
}

/** What the edge answers for blocked content (DESIGN §5), and nothing from the cache. */
function blockedAnswer(id: string, requestId: string): Response {
  return Response.json(apiError(451, 'FORBIDDEN_BLOB', `${id} is blocked by the operator`), {
    status: 451,
    headers: { 'cache-control': 'no-cache', 'x-request-id': requestId, 'access-control-allow-origin': '*' },
  });
}

/** A mutable copy with this tier's headers; no body for HEAD. */
function answer(
  response: Response,
  method: string,
  requestId: string,
  xCache?: string,
  ageSeconds?: number,
): Response {
  const out = new Response(method === 'HEAD' ? null : response.body, response);
  out.headers.set('x-request-id', requestId);
  out.headers.delete(STORED_AT);
  if (xCache) out.headers.set('x-cache', xCache);
  if (ageSeconds !== undefined) out.headers.set('age', String(ageSeconds));
  return out;
}
