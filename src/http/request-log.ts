// Outermost layer of the Node server: every request gets an ID — the client's `X-Request-Id` when it
// sent a sensible one, else a new UUID — answered as the `X-Request-Id` header, and one access-log
// line when the answer is done or the client went away. A Node-only adapter, wired by main.ts.
// A first answerer (the fast path, fast-hits.ts) may answer before the listener: it writes the ID
// among its own headers, which keeps Node's writeHead on its fast path (a header set beforehand with
// setHeader makes writeHead remove and re-append every header it is given, one by one).
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

/**
 * Answers a request before the listener, with the `X-Request-Id` header among its own: returns the
 * answer's Content-Length (null when it has none), or undefined to leave the request to the listener.
 * `startedMs` is when the request reached the edge (performance.now()).
 */
export type FirstAnswer = (
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  startedMs: number,
) => number | null | undefined;

/** Access lines as info records of the edge's log: `access` holds the line, the message sums it up. */
export function accessLogTo(log: { info(record: object, message: string): void }) {
  return (line: AccessLogLine) => log.info({ access: line }, `${line.method} ${line.url} ${line.status}`);
}

/** Visible ASCII, no spaces, at most 128: enough for any tracing system's IDs, nothing to inject. */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function withRequestLog(
  listener: RequestListener,
  log?: (line: AccessLogLine) => void,
  answerFirst?: FirstAnswer,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const offered = req.headers['x-request-id'];
    const requestId = typeof offered === 'string' && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID();
    const length = answerFirst?.(req, res, requestId, started);
    if (length === undefined) {
      res.setHeader('x-request-id', requestId);
      listener(req, res);
    }
    if (!log) return;
    // An answer written whole, and taken by the kernel at once, by the time the handlers return (a
    // memory hit, usually) is finished already: its line is written now, with what 'finish' and
    // 'close' would report two ticks later. A listener and its closure per response had cost 1.7 µs
    // of CPU a request more (64 KiB hits under wrk, an edge with them against one without, 6 rounds
    // each, 2026-12-03).
    if (res.writableFinished) return log(lineOf(req, res, requestId, started, length));
    // 'close' comes after 'finish', or alone when the client went away first.
    res.on('close', () => log(lineOf(req, res, requestId, started, length)));
  };
}

/** The line of a request; `length` is the first answerer's (undefined: the listener answered). */
function lineOf(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  startedMs: number,
  length: number | null | undefined,
): AccessLogLine {
  const bytes = length === undefined ? contentLengthOf(res) : length;
  return {
    requestId,
    method: req.method ?? '',
    url: req.url ?? '',
    status: res.statusCode,
    bytes: bytes ?? undefined,
    ms: Math.round((performance.now() - startedMs) * 100) / 100,
    // writableFinished (and 'finish') say true for an answer ended but never sent whole, when the
    // client reset the connection meanwhile: node:http counts what the socket dropped as written.
    // The socket knows better (errored: ECONNRESET; checked against a client that stops reading).
    completed: res.writableFinished && !req.socket?.errored,
  };
}

/** The Content-Length the listener's answer was sent with, if any. */
function contentLengthOf(res: ServerResponse): number | undefined {
  const header = Number(res.getHeader('content-length'));
  return Number.isFinite(header) ? header : undefined;
}
