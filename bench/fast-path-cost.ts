// For bench:serve: the JavaScript work of one memory hit, layer by layer, with no kernel and no load
// generator in the way: real node:http IncomingMessage/ServerResponse objects answered one after
// the other on a socket that discards what it is given, timed with process.cpuUsage(). The layers are
// the edge's own modules composed as src/main.ts composes them (request-log.ts around fast-hits.ts,
// the HTTP metrics, the access log to pino) over a memory tier holding the blob; node:http writing the
// same bytes itself (three headers, or the edge's own) is the floor. Each round times every variant;
// the least per answer of the rounds is the least disturbed by whatever else the machine ran.
// Prints JSON: [{ name, us }] (µs per answer). Usage: node bench/fast-path-cost.ts [SIZE] [ROUNDS]
import { IncomingMessage, ServerResponse, type RequestListener } from 'node:http';
import { Duplex } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { BlobCache } from '../src/cache/blob-cache.ts';
import { MemoryTier } from '../src/cache/memory-tier.ts';
import { NegativeCache } from '../src/cache/negative-cache.ts';
import { fastHits, type FastHitDeps } from '../src/http/fast-hits.ts';
import { createHttpMetrics } from '../src/http/metrics.ts';
import { accessLogTo, withRequestLog } from '../src/http/request-log.ts';

const size = Number(process.argv[2] ?? 65536);
const rounds = Number(process.argv[3] ?? 9);
const ANSWERS = 20_000;
const BLOB_ID = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';
const bytes = new Uint8Array(size);

const memory = new MemoryTier({ maxBytes: 64 << 20, maxEntryBytes: 16 << 20 });
memory.set(BLOB_ID, { bytes, storedAt: Date.now() - 5_000 });
// Hits never reach the lifetimes (only fills and chain events do).
const cache = new BlobCache({ memory, negative: new NegativeCache(1_000), lifetimes: {} as never });
const deps: FastHitDeps = {
  cache,
  blocklist: { has: () => false, add: async () => {}, remove: async () => {}, list: () => [] },
  sniffedTypes: new Map([[BLOB_ID, 'application/octet-stream']]),
  activeContent: 'sandbox',
  corsOrigins: '*',
};
const notReached: RequestListener = () => {
  throw new Error('the fast path passed a memory hit on');
};
// As the edge logs by default: pino's own destination, synchronous, here into /dev/null.
const log = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));

// One set of HTTP metrics (and prom-client's default collectors) for the variants that count.
const metrics = createHttpMetrics(new Registry()).fastPath;

const floor: RequestListener = (_req, res) => {
  res.writeHead(200, [
    'content-type',
    'application/octet-stream',
    'content-length',
    String(bytes.length),
    'cache-control',
    'public, max-age=31536000, immutable',
  ]);
  res.end(bytes);
};
/** The headers of the fast path's answer, captured from it once. */
let edgeHeaders: string[] = [];
const sameHeaders: RequestListener = (_req, res) => {
  res.writeHead(200, edgeHeaders);
  res.end(bytes);
};

const variants: [string, RequestListener][] = [
  ['node:http, 3 headers', floor],
  ["node:http, the edge's headers", sameHeaders],
  ['fast path + request ID', withRequestLog(notReached, undefined, fastHits(deps))],
  ['… + metrics', withRequestLog(notReached, undefined, fastHits({ ...deps, metrics }))],
  ['… + access log', withRequestLog(notReached, accessLogTo(log), fastHits({ ...deps, metrics }))],
];

/** A socket that takes every write at once and keeps nothing. */
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

/** One GET of the blob, as node:http's server would hand it over, until the response is done. */
async function answer(listener: RequestListener, onHead?: (headers: string[]) => void): Promise<void> {
  const req = new IncomingMessage(socket as never);
  req.method = 'GET';
  req.url = `/v1/blobs/${BLOB_ID}`;
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

// The edge's headers, from its own answer.
await answer(withRequestLog(notReached, undefined, fastHits(deps)), (headers) => (edgeHeaders = headers));

const least = new Map<string, number>();
for (let round = 0; round <= rounds; round++) {
  for (const [name, listener] of variants) {
    const before = process.cpuUsage();
    for (let i = 0; i < ANSWERS; i++) await answer(listener);
    const used = process.cpuUsage(before);
    // Round 0 warms the JIT up.
    if (round > 0)
      least.set(name, Math.min(least.get(name) ?? Infinity, (used.user + used.system) / ANSWERS));
  }
}
console.log(JSON.stringify([...least].map(([name, us]) => ({ name, us }))));
