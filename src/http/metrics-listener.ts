// /metrics on a port of its own (METRICS_PORT): a listener that serves only the Prometheus text and a
// 404 for anything else, so an operator can keep metrics off the public port (and let only the
// monitoring network reach this one). Node-only, like the registry it serves.
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { errorResponse } from './errors.ts';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsListener(options: {
  port: number;
  host: string;
  registry: Pick<Registry, 'metrics' | 'contentType'>;
}): Promise<MetricsListener> {
  const { registry } = options;
  const app = new Hono();
  app.get('/metrics', async (c) =>
    c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
  app.notFound((c) =>
    errorResponse(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}: this port serves /metrics`),
  );
  app.onError((_error, c) => errorResponse(c, 500, 'INTERNAL', 'internal error'));
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(options.port, options.host, () => {
      server.off('error', failed);
      listening();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
