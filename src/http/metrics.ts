// Prometheus metrics for the HTTP layer; one registry per edge so tests can run several side by side.
// Every answer — the app's and the fast path's — is counted by route pattern, method and status; its
// body bytes and the time to its first and last byte by route and cache result: how the body was
// obtained, as the read stack's handle said and X-Cache tells the client (memory, peer, redis, miss), or
// none for answers not read through the cache (status pages, errors, uploads). The series are
// prebound (prebound-metrics.ts): a memory hit must cost next to nothing to count.
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { BytesOrigin } from '../read/blob-source.ts';
import {
  preboundCounter,
  preboundHistogram,
  type CounterSeries,
  type HistogramSeries,
} from './prebound-metrics.ts';

export type CacheResult = 'memory' | 'peer' | 'redis' | 'miss' | 'none';

const CACHE_RESULTS: Record<BytesOrigin, CacheResult> = {
  'HIT-MEMORY': 'memory',
  // Another worker's memory on this host (HTTP_WORKERS > 1, src/cluster/peer-tier.ts).
  'HIT-PEER': 'peer',
  'HIT-REDIS': 'redis',
  MISS: 'miss',
};

export interface HttpMetrics {
  registry: Registry;
  middleware: MiddlewareHandler;
  /** The fast path's series for its route: its answers are counted as the app's are, and apart. */
  fastPath(route: string): FastPathMetrics;
}

/** Times are performance.now() readings (ms); `startedMs` is when the request reached the edge. */
export interface FastPathMetrics {
  /** An answer from memory whose head and body were handed to the connection at `nowMs`. */
  answered(method: string, status: number, bodyBytes: number, startedMs: number, nowMs: number): void;
  /** Its last byte was handed to the operating system at `nowMs`. */
  lastByte(startedMs: number, nowMs: number): void;
}

/** What an answer's body is counted in, by route and cache result. */
interface BodySeries {
  bytes: CounterSeries;
  firstByte: HistogramSeries;
  lastByte: HistogramSeries;
}

/** From a 64 KiB hit (≈0.1 ms) to a slow reconstruction. */
const BYTE_TIMES = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createHttpMetrics(registry = new Registry()): HttpMetrics {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = preboundCounter({
    name: 'walrus_edge_http_requests_total',
    help: 'HTTP requests answered, by route pattern (never the concrete ID), method and status.',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const duration = preboundHistogram({
    name: 'walrus_edge_http_request_duration_seconds',
    help: 'Time to the response head, by route pattern and method.',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const fastHits = preboundCounter({
    name: 'walrus_edge_http_fast_hits_total',
    help: 'Memory hits answered on the fast path, before the app (also counted in http_requests).',
    labelNames: [],
    registers,
  }).series({});
  const bytes = preboundCounter({
    name: 'walrus_edge_http_response_bytes_total',
    help: "Response body bytes handed to the connection, by route pattern and cache result (memory, peer: another worker's memory, redis, miss: how the body was obtained; none: not read through the cache).",
    labelNames: ['route', 'cache'],
    registers,
  });
  const firstByte = preboundHistogram({
    name: 'walrus_edge_http_first_byte_seconds',
    help: "Time from the request to its answer's first body byte (the head, for an answer without a body) handed to the connection, by route pattern and cache result.",
    labelNames: ['route', 'cache'],
    buckets: BYTE_TIMES,
    registers,
  });
  const lastByte = preboundHistogram({
    name: 'walrus_edge_http_last_byte_seconds',
    help: "Time from the request to its answer's last byte handed to the operating system, by route pattern and cache result; answers cut short are not observed.",
    labelNames: ['route', 'cache'],
    buckets: BYTE_TIMES,
    registers,
  });

  const bodies = new Map<string, BodySeries>();
  const bodySeries = (route: string, cache: CacheResult): BodySeries => {
    const key = `${cache} ${route}`;
    let found = bodies.get(key);
    if (!found) {
      found = {
        bytes: bytes.series({ route, cache }),
        firstByte: firstByte.series({ route, cache }),
        lastByte: lastByte.series({ route, cache }),
      };
      bodies.set(key, found);
    }
    return found;
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    // The matched pattern (e.g. /v1/blobs/:blobId) keeps IDs out of label values.
    const route = c.res.status === 404 && routePath(c) === '/*' ? 'unmatched' : routePath(c);
    const method = c.req.method;
    requests.series({ route, method, status: String(c.res.status) }).inc();
    duration.series({ route, method }).observe((performance.now() - started) / 1000);
    // The body is measured where it is written: Node's response (@hono/node-server hands it over).
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    const origin = c.res.headers.get('x-cache') as BytesOrigin | null;
    if (outgoing)
      meterBody(outgoing, bodySeries(route, (origin && CACHE_RESULTS[origin]) ?? 'none'), started);
  };

  return {
    registry,
    middleware,
    fastPath(route) {
      const body = bodySeries(route, 'memory');
      const byAnswer = new Map<string, { request: CounterSeries; duration: HistogramSeries }>();
      return {
        answered(method, status, bodyBytes, startedMs, nowMs) {
          const key = method + status;
          let answer = byAnswer.get(key);
          if (!answer) {
            answer = {
              request: requests.series({ route, method, status: String(status) }),
              duration: duration.series({ route, method }),
            };
            byAnswer.set(key, answer);
          }
          const seconds = (nowMs - startedMs) / 1000;
          fastHits.inc();
          answer.request.inc();
          answer.duration.observe(seconds);
          body.bytes.inc(bodyBytes);
          body.firstByte.observe(seconds);
        },
        lastByte: (startedMs, nowMs) => body.lastByte.observe((nowMs - startedMs) / 1000),
      };
    },
  };
}

/**
 * Counts the body bytes handed to Node's response as they are written, the time of the first (of the
 * head, for an answer without a body), and of the last once the response has finished.
 */
function meterBody(res: ServerResponse, series: BodySeries, startedMs: number): void {
  let first = true;
  const handed = (chunk: unknown, encoding: unknown, ending: boolean) => {
    const length =
      typeof chunk === 'string'
        ? Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : chunk instanceof Uint8Array
          ? chunk.byteLength
          : 0;
    series.bytes.inc(length);
    if (first && (length > 0 || ending)) {
      first = false;
      series.firstByte.observe((performance.now() - startedMs) / 1000);
    }
  };
  const { write, end } = res;
  res.write = ((...args: unknown[]) => {
    handed(args[0], args[1], false);
    return Reflect.apply(write, res, args);
  }) as typeof res.write;
  res.end = ((...args: unknown[]) => {
    handed(typeof args[0] === 'function' ? undefined : args[0], args[1], true);
    return Reflect.apply(end, res, args);
  }) as typeof res.end;
  res.once('close', () => {
    if (res.writableFinished) series.lastByte.observe((performance.now() - startedMs) / 1000);
  });
}
