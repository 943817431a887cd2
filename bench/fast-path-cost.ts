// For bench:serve: the JavaScript work of one memory hit, layer by layer, answered in-process
// (bench/in-process-http.ts: no kernel, no load generator). The layers are the edge's own modules
// composed as src/main.ts composes them (request-log.ts around fast-hits.ts, the HTTP metrics, the
// buffered access log) over a memory tier holding the blob; node:http writing the same bytes itself
// (three headers, or the edge's own) is the floor.
// Prints JSON: [{ name, us }] (µs per answer). Usage: node bench/fast-path-cost.ts [SIZE] [ROUNDS]
import type { RequestListener } from 'node:http';
import { Registry } from 'prom-client';
import { BlobCache } from '../src/cache/blob-cache.ts';
import { MemoryTier } from '../src/cache/memory-tier.ts';
import { NegativeCache } from '../src/cache/negative-cache.ts';
import { fastHits, type FastHitDeps } from '../src/http/fast-hits.ts';
import { createHttpMetrics } from '../src/http/metrics.ts';
import { bufferedAccessLog } from '../src/http/access-log-stream.ts';
import { withRequestLog } from '../src/http/request-log.ts';
import { answerInProcess, leastCpuPerAnswer, threeHeaders } from './in-process-http.ts';

const size = Number(process.argv[2] ?? 65536);
const rounds = Number(process.argv[3] ?? 9);
const BLOB_ID = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';
const URL = `/v1/blobs/${BLOB_ID}`;
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
// As the edge logs by default (src/http/access-log-stream.ts), here into /dev/null.
const accessLog = bufferedAccessLog('info', '/dev/null');

// One set of HTTP metrics (and prom-client's default collectors) for the variants that count.
const metrics = createHttpMetrics(new Registry()).fastPath;

/** The headers of the fast path's answer, captured from it once. */
let edgeHeaders: string[] = [];
const sameHeaders: RequestListener = (_req, res) => {
  res.writeHead(200, edgeHeaders);
  res.end(bytes);
};

const variants: [string, RequestListener][] = [
  ['node:http, 3 headers', threeHeaders(bytes)],
  ["node:http, the edge's headers", sameHeaders],
  ['fast path + request ID', withRequestLog(notReached, undefined, fastHits(deps))],
  ['… + metrics', withRequestLog(notReached, undefined, fastHits({ ...deps, metrics }))],
  ['… + access log', withRequestLog(notReached, accessLog.line, fastHits({ ...deps, metrics }))],
];

// The edge's headers, from its own answer.
await answerInProcess(
  withRequestLog(notReached, undefined, fastHits(deps)),
  URL,
  (headers) => (edgeHeaders = headers),
);

console.log(JSON.stringify(await leastCpuPerAnswer(variants, URL, rounds)));
accessLog.close();
