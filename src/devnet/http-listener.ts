// Serves a Hono app on a host and port (0 = any free port) and reports the port it got. Plain HTTP/1.1
// by default; with `tls`, HTTPS with HTTP/2 (ALPN h2, HTTP/1.1 still accepted), as real storage nodes.
// A plain node:http handler (the Sui gRPC endpoint) is served the same way by listenHandler.
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
  return serve(server, host, port, options.tls ? 'https' : 'http');
}

/** Serves a node:http request handler (plain HTTP/1.1) on a host and port (0 = any free port). */
export function listenHandler(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  host: string,
  port: number,
): Promise<Listener> {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  // A client that breaks HTTP gets a 400 and its socket closed.
  server.on('clientError', (_error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return serve(server, host, port, 'http');
}

async function serve(
  server: ServerType,
  host: string,
  port: number,
  scheme: 'http' | 'https',
): Promise<Listener> {
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
