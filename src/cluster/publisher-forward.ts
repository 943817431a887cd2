// With several workers, one of them publishes (HTTP_WORKERS > 1, worker 0): the sponsor's wallets,
// the ledger's instance, the JWT replay cache, per-key rate limits and the book of registrations are
// each one process's by design (a gas coin spent by two processes at once is an equivocation on Sui),
// and encoding already spreads over the cores through the codec's worker threads. The other workers
// pass the publisher's routes to it over a local socket, body and answer streamed as they come.
import {
  Agent,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { apiError } from '../protocol/status.ts';

/**
 * The routes only the publishing worker serves (src/http/routes/publish-routes.ts, account-routes.ts,
 * upload-relay-routes.ts; test/cluster/publisher-routes.test.ts holds this list to them). CORS
 * preflights are answered by every worker.
 */
export function isPublisherRoute(method: string, path: string): boolean {
  if (method === 'OPTIONS') return false;
  if (path === '/v1/blobs' || path === '/v1/quilts') return method === 'PUT';
  return (
    path === '/v1/tip-config' ||
    path === '/v1/blob-upload-relay' ||
    path === '/v1/quote' ||
    path === '/v1/account' ||
    path.startsWith('/v1/account/') ||
    path === '/v1/admin/accounts' ||
    path.startsWith('/v1/admin/accounts/') ||
    path.startsWith('/v1/admin/ledger/')
  );
}

/** Headers of one connection, not of the request: never passed on. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade'];

function passable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

/**
 * Takes the publisher's requests to the worker listening at `socketPath` (true), leaving the rest
 * to the caller (false). While that worker is away (restarting), they get 503 with Retry-After.
 */
export function publisherForwarder(
  socketPath: string,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const agent = new Agent({ keepAlive: true });
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    if (!isPublisherRoute(req.method ?? 'GET', query < 0 ? url : url.slice(0, query))) return false;
    const upstream = request(
      { socketPath, agent, method: req.method, path: url, headers: passable(req.headers) },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, passable(answer.headers));
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    upstream.once('error', () => {
      if (!res.headersSent) {
        const body = JSON.stringify(
          apiError(
            503,
            'PUBLISHER_UNAVAILABLE',
            'the publishing worker of this edge is restarting; try again',
          ),
        );
        res.writeHead(503, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
          'retry-after': '2',
        });
        res.end(body);
      } else res.destroy();
    });
    // A client that goes away takes its upstream request with it.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
    return true;
  };
}
