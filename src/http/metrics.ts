// Prometheus metrics for the HTTP layer; one registry per edge so tests can run several side by side.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  middleware: MiddlewareHandler;
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
  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    // The matched pattern (e.g. /v1/blobs/:blobId) keeps IDs out of label values.
    const route = c.res.status === 404 && routePath(c) === '/*' ? 'unmatched' : routePath(c);
    requests.inc({ route, method: c.req.method, status: String(c.res.status) });
    duration.observe({ route, method: c.req.method }, (performance.now() - started) / 1000);
  };
  return { registry, middleware };
}
