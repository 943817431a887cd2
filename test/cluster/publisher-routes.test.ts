// The workers that do not publish pass on exactly the routes that exist only where the edge publishes:
// the app's own route table with publishing and without it, against isPublisherRoute. A route added to
// the publisher and not to the list fails here (it would answer 404 at half the workers).
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { isPublisherRoute } from '../../src/cluster/publisher-forward.ts';
import { createEdgeApp } from '../../src/http/app.ts';
import type { AccountRouteDeps } from '../../src/http/routes/account-routes.ts';
import type { PublishDeps } from '../../src/http/routes/publish-routes.ts';
import type { UploadRelayRouteDeps } from '../../src/http/routes/upload-relay-routes.ts';
import { parseRelayTip } from '../../src/publish/relay/relay-tip.ts';

function routes(app: Hono): Set<string> {
  // Middleware (app.use) is registered as method ALL on /*; only handlers are routes.
  return new Set(
    app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path}`),
  );
}

/** A concrete request path for a pattern: each :param becomes a sample value. */
const concrete = (pattern: string) => pattern.replace(/:[^/]+/g, 'x1');

const base = { version: 'test', network: 'devnet', committee: async () => undefined };
// Registering routes reads nothing of these but the relay's tip; no request is made.
const reading = routes(createEdgeApp({ ...base, aggregator: {} as never, blocklist: {} as never }));
const publishing = routes(
  createEdgeApp({
    ...base,
    aggregator: {} as never,
    blocklist: {} as never,
    publish: {} as PublishDeps,
    accounts: {} as AccountRouteDeps,
    uploadRelay: { tip: parseRelayTip('none', undefined) } as UploadRelayRouteDeps,
  }),
);

describe('the routes the publishing worker serves for the others', () => {
  it('are every route that only a publishing edge has', () => {
    const only = [...publishing].filter((route) => !reading.has(route));
    expect(only.length).toBeGreaterThan(10);
    for (const route of only) {
      const [method, pattern] = route.split(' ') as [string, string];
      expect(isPublisherRoute(method, concrete(pattern)), route).toBe(true);
    }
  });

  it('leave every other route to the worker that took the request', () => {
    for (const route of reading) {
      const [method, pattern] = route.split(' ') as [string, string];
      expect(isPublisherRoute(method, concrete(pattern)), route).toBe(false);
    }
    expect(isPublisherRoute('OPTIONS', '/v1/blobs')).toBe(false);
  });
});
