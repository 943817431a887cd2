// An HTTP proxy on loopback in front of a real server that writes down every request it passes on
// (method, path and query, Range), so a test can see what reached the server — the witness of a cache
// in front of it — and that a test can cut (new connections refused, open ones dropped) and restore.
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  url: string;
  range: string | undefined;
}

export interface CountingProxy {
  url: string;
  /** Every request passed on, in order of arrival. */
  requests: ProxiedRequest[];
  /** How many requests for this path (query included) were passed on, by method (default GET). */
  count(url: string, method?: string): number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method!, url: req.url!, range: req.headers.range });
    const onward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    onward.on('error', () => res.destroy());
    req.pipe(onward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (url, method = 'GET') => requests.filter((r) => r.url === url && r.method === method).length,
    cut: stop,
    restore: () => listen(port),
    close: stop,
  };
}
