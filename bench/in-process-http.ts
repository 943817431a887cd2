// For bench:serve: node:http requests answered in-process, with no kernel and no load generator in the
// way — real IncomingMessage/ServerResponse objects, one after the other, on a socket that takes every
// write at once and keeps nothing — and the least main-thread CPU per answer over rounds (the least
// disturbed by whatever else the machine ran). Used by fast-path-cost.ts (the edge's layers) and
// env-probe.ts (the same node:http code inside a running edge).
import { IncomingMessage, ServerResponse, type RequestListener } from 'node:http';
import { Duplex } from 'node:stream';

class Discard extends Duplex {
  override _read() {}
  override _write(_chunk: unknown, _encoding: unknown, done: () => void) {
    done();
  }
  override _writev(_chunks: unknown, done: () => void) {
    done();
  }
}
const socket = new Discard();

/** One GET of `url`, as node:http's server hands it over, until the response is done. */
export async function answerInProcess(
  listener: RequestListener,
  url: string,
  onHead?: (headers: string[]) => void,
): Promise<void> {
  const req = new IncomingMessage(socket as never);
  req.method = 'GET';
  req.url = url;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = '1.1';
  req.rawHeaders = ['Host', '127.0.0.1:8080', 'User-Agent', 'wrk'];
  req.complete = true;
  const res = new ServerResponse(req);
  res.shouldKeepAlive = true;
  res.assignSocket(socket as never);
  if (onHead) {
    const writeHead = res.writeHead;
    res.writeHead = ((status: number, headers: string[]) => {
      onHead(headers);
      return writeHead.call(res, status, headers);
    }) as typeof res.writeHead;
  }
  const finished = new Promise((resolve) => res.once('finish', resolve));
  listener(req, res);
  await finished;
  res.detachSocket(socket as never);
  res.emit('close');
}

/**
 * The least main-thread CPU (µs) per answer of each variant over `rounds` rounds of `answers` each,
 * the variants interleaved round by round (a round 0 before them warms the JIT up).
 */
export async function leastCpuPerAnswer(
  variants: [string, RequestListener][],
  url: string,
  rounds = 9,
  answers = 20_000,
): Promise<{ name: string; us: number }[]> {
  const least = new Map<string, number>();
  for (let round = 0; round <= rounds; round++) {
    for (const [name, listener] of variants) {
      const before = process.threadCpuUsage();
      for (let i = 0; i < answers; i++) await answerInProcess(listener, url);
      const used = process.threadCpuUsage(before);
      if (round > 0)
        least.set(name, Math.min(least.get(name) ?? Infinity, (used.user + used.system) / answers));
    }
  }
  return [...least].map(([name, us]) => ({ name, us }));
}

/** The bare server's three headers for a body of `size` bytes (here and bench/floor-handler.ts). */
export function threeHeaderList(size: number): string[] {
  return [
    'content-type',
    'application/octet-stream',
    'content-length',
    String(size),
    'cache-control',
    'public, max-age=31536000, immutable',
  ];
}

/** node:http writing preloaded bytes with three headers, as bench/floor-handler.ts does by default. */
export function threeHeaders(bytes: Uint8Array): RequestListener {
  return (_req, res) => {
    res.writeHead(200, threeHeaderList(bytes.length));
    res.end(bytes);
  };
}
