// Prometheus metrics for the HTTP layer; one registry per edge so tests can run several side by side.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  middleware: MiddlewareHandler;
  /** Counts an answer of the fast hit path (outside the app) as the middleware would, and apart. */
  recordFastHit(route: string, method: string, status: number, seconds: number): void;
}

export function createHttpMetrics(registry = new Registry()): HttpMetrics {
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'walrus_edge_http_requests_total',
    help: 'HTTP requests answered, by route pattern (never the concrete ID), method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'walrus_edge_http_request_duration_seconds',
    help: 'Time to the response head, by route pattern and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const fastHits = new Counter({
    name: 'walrus_edge_http_fast_hits_total',
    help: 'Whole-blob memory hits answered on the fast path, before the app (also counted in http_requests).',
    registers: [registry],
  });
  const record = (route: string, method: string, status: number, seconds: number) => {
    requests.inc({ route, method, status: String(status) });
    duration.observe({ route, method }, seconds);
  };
  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    // The matched pattern (e.g. /v1/blobs/:blobId) keeps IDs out of label values.
    const route = c.res.status === 404 && routePath(c) === '/*' ? 'unmatched' : routePath(c);
    record(route, c.req.method, c.res.status, (performance.now() - started) / 1000);
  };
  return {
    registry,
    middleware,
    recordFastHit: (route, method, status, seconds) => {
      fastHits.inc();
      record(route, method, status, seconds);
    },
  };
}
