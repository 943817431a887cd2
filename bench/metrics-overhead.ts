// What the per-request metrics cost on the reconstruction path, next to the work they accompany,
// measured in one run: the reader's nodeRequestEnded (a counter and a histogram per sliver request,
// labelled by node) and the codec pool's jobFinished (a histogram and a counter per sliver check),
// against a no-op observer, one sliver request over loopback through the edge's node transport (the
// event loop's own work per request, client and server both in this process) and checking one
// n = 1000 sliver (verifySliverNow, a codec worker's work per sliver); then what a whole n = 1000 read
// adds (334 requests and checks) and what one scrape of a 100-node committee's series costs.
//   npm run bench:metrics
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { encodeBlob } from '../src/codec/blob-encoder.ts';
import { verifySliverNow } from '../src/codec/codec.ts';
import { codecMetrics } from '../src/http/codec-metrics.ts';
import { nodeRequestMetrics } from '../src/http/node-metrics.ts';
import type { CommitteeNode } from '../src/network/committee.ts';
import { StorageNodeClient } from '../src/network/storage-node-client.ts';
import { undiciTransport } from '../src/network/transport/undici-transport.ts';
import { sliverDataView } from '../src/protocol/bcs.ts';
import { encodingParams } from '../src/protocol/encoding.ts';
import type { NodeRequestOutcome } from '../src/read/node-requests.ts';

const NODES = 100;
const CALLS = 1_000_000;
const N = 1000;

const nodes = Array.from(
  { length: NODES },
  (_, i) => ({ name: `storage-node-${i}`, url: `https://node-${i}.example:9185` }) as CommitteeNode,
);
/** Mostly answers, a few of each failure, as a read meets them. */
const outcomes: NodeRequestOutcome[] = [
  ...Array<NodeRequestOutcome>(46).fill('ok'),
  'failed',
  'invalid',
  'timeout',
  'cancelled',
];

function nsPerCall(run: (i: number) => void, calls = CALLS): number {
  for (let i = 0; i < 10_000; i++) run(i); // warm (JIT, children created)
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) run(i);
  return Number(process.hrtime.bigint() - started) / calls;
}

const best = (run: () => number) => Math.min(run(), run(), run());

const ours = nodeRequestMetrics(new Registry()).nodeRequestEnded!;
const oursNs = best(() =>
  nsPerCall((i) => ours(nodes[i % NODES]!, 'sliver', outcomes[i % outcomes.length]!, 12.5)),
);

let sink = 0;
const noopNs = best(() =>
  nsPerCall((i) => {
    sink += i;
  }),
);

const codec = codecMetrics(new Registry(), () => 0).jobFinished!;
const codecNs = best(() => nsPerCall(() => codec('verify', 0.8, true)));

// The codec's own work per sliver: one primary sliver of a 1 MiB blob at n = 1000 checked.
const encoded = encodeBlob(
  new Uint8Array(1 << 20).map((_, i) => i * 7),
  N,
);
const { data, symbolSize } = sliverDataView(encoded.primary[0]!)!;
const job = { data, symbolSize, type: 'primary' as const, n: N, expectedHash: encoded.hashes[0]!.primary };
if (!verifySliverNow(job)) throw new Error('the sliver does not verify');
const verifyNs = best(() => nsPerCall(() => void verifySliverNow(job), 300));

// One request for that sliver's bytes over loopback, as the reader makes it (undici, keep-alive).
const sliver = encoded.primary[0]!;
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  response.end(sliver);
});
await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
const transport = undiciTransport();
const client = new StorageNodeClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, transport);
const requestNs = async (count: number) => {
  for (let i = 0; i < 200; i++) await client.getSliver('x', 0, 'primary');
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await client.getSliver('x', 0, 'primary');
  return Number(process.hrtime.bigint() - started) / count;
};
const fetchNs = Math.min(await requestNs(2_000), await requestNs(2_000), await requestNs(2_000));
await transport.close();
server.close();

// A scrape of everything a 100-node committee's reads leave behind (every node × kind × outcome).
const scraped = new Registry();
const observe = nodeRequestMetrics(scraped).nodeRequestEnded!;
for (const node of nodes)
  for (const outcome of outcomes)
    for (const kind of ['metadata', 'sliver'] as const) observe(node, kind, outcome, 10);
const text = await scraped.metrics();
const scrapeStarted = performance.now();
for (let i = 0; i < 20; i++) await scraped.metrics();
const scrapeMs = (performance.now() - scrapeStarted) / 20;

const P = encodingParams(N).primarySymbols;
const perRead = (ns: number) => (ns * P) / 1000;
const row = (what: string, ns: number) =>
  console.log(
    `${what.padEnd(62)} ${ns.toFixed(0).padStart(8)} ns/call ${perRead(ns).toFixed(1).padStart(9)} µs/read`,
  );
console.log(`per sliver request or check; a read at n = ${N} makes ${P} of each (${NODES} nodes)`);
row('no-op observer (the loop itself)', noopNs);
row('nodeRequestEnded: a counter and a histogram (ours)', oursNs);
row('codec jobFinished: histogram + counter (ours)', codecNs);
row(`one ${sliver.length}-byte sliver request, loopback (event loop's work)`, fetchNs);
row('verifySliverNow, one n = 1000 primary sliver (a worker)', verifyNs);
const instruments = oursNs + codecNs - 2 * noopNs;
console.log(
  `instruments per read: ${perRead(instruments).toFixed(0)} µs on the event loop: ${((instruments / fetchNs) * 100).toFixed(1)} % of its request work, ${((instruments / verifyNs) * 100).toFixed(2)} % of the checks' CPU`,
);
console.log(
  `one scrape of ${text.split('\n').filter((line) => line && !line.startsWith('#')).length} node series: ${scrapeMs.toFixed(1)} ms`,
);
if (sink < 0) console.log(sink);
