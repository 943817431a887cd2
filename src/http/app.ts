// The edge's Hono app. Web-standard APIs only, so the same app can run on Node and on Workers; what is
// Node-specific (metrics registry, devnet) is handed in by the composition root.
import { Hono } from 'hono';
import { apiError } from '../protocol/status.ts';
import type { Committee } from '../network/committee.ts';
import type { HttpMetrics } from './metrics.ts';

export interface EdgeAppDeps {
  version: string;
  network: string;
  /** The current committee (re-read on each call: it changes with epochs). */
  committee: () => Committee;
  metrics?: HttpMetrics;
}

export function createEdgeApp(deps: EdgeAppDeps): Hono {
  const app = new Hono();
  const startedAt = Date.now();
  if (deps.metrics) app.use('*', deps.metrics.middleware);

  app.onError((_error, c) => c.json(apiError(500, 'INTERNAL', 'internal error'), 500));
  app.notFound((c) => c.json(apiError(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), 404));

  app.get('/status', (c) => {
    const committee = deps.committee();
    return c.json({
      service: 'walrus-edge',
      version: deps.version,
      network: deps.network,
      epoch: committee.epoch,
      nShards: committee.nShards,
      storageNodes: committee.nodes.length,
      chainUrl: committee.chainUrl ?? null,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
    });
  });

  if (deps.metrics) {
    const registry = deps.metrics.registry;
    app.get('/metrics', async (c) =>
      c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }),
    );
  }

  return app;
}
