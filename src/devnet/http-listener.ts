// Serves a Hono app on a host and port (0 = any free port) and reports the port it got. Plain HTTP/1.1
// by default; with `tls`, HTTPS with HTTP/2 (ALPN h2, HTTP/1.1 still accepted), as real storage nodes.
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Server } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { Socket } from 'node:net';

export interface Listener {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** PEM key and certificate: serve HTTPS with HTTP/2. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** How long an HTTP/2 session may sit idle before the server closes it. */
const IDLE_SESSION_MS = 120_000;

export async function listen(
  app: Hono,
  host: string,
  port: number,
  options: ListenOptions = {},
): Promise<Listener> {
  const server = options.tls
    ? createAdaptorServer({
        fetch: app.fetch,
        createServer: createSecureServer,
        serverOptions: { allowHTTP1: true, key: options.tls.key, cert: options.tls.cert },
      })
    : createAdaptorServer({ fetch: app.fetch });
  if (options.tls) {
    // Many readers hold sessions to every node: do not let idle ones pile up forever.
    server.setTimeout(IDLE_SESSION_MS);
  } else {
    // Likewise for keep-alive connections.
    (server as Server).keepAliveTimeout = 30_000;
  }
  // An HTTP/2 server has no closeAllConnections(): track sockets to end them all on close.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const scheme = options.tls ? 'https' : 'http';
  return {
    port: actualPort,
    url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
