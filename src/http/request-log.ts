// Outermost layer of the Node server: every request gets an ID — the client's `X-Request-Id` when it
// sent a sensible one, else a new UUID — answered as the `X-Request-Id` header (on the fast path's
// hits and the app's answers alike: Node merges it into whatever they write), and one access-log line
// when the answer is done or the client went away. A Node-only adapter, wired by main.ts.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface AccessLogLine {
  requestId: string;
  method: string;
  /** The path and query as requested. */
  url: string;
  status: number;
  /** The answer's Content-Length, when it had one. */
  bytes?: number;
  ms: number;
  /** False when the client closed the connection before the answer ended. */
  completed: boolean;
}

/** Visible ASCII, no spaces, at most 128: enough for any tracing system's IDs, nothing to inject. */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function withRequestLog(
  listener: RequestListener,
  log?: (line: AccessLogLine) => void,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const offered = req.headers['x-request-id'];
    const requestId = typeof offered === 'string' && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader('x-request-id', requestId);
    if (log) {
      let logged = false;
      const done = () => {
        if (logged) return;
        logged = true;
        const length = Number(res.getHeader('content-length'));
        log({
          requestId,
          method: req.method ?? '',
          url: req.url ?? '',
          status: res.statusCode,
          ...(Number.isFinite(length) ? { bytes: length } : {}),
          ms: Math.round((performance.now() - started) * 100) / 100,
          completed: res.writableFinished,
        });
      };
      res.once('finish', done);
      res.once('close', done);
    }
    listener(req, res);
  };
}
