// One cold read in a fresh process, so its timing and peak memory are its own: `ours` (BlobReader with
// the worker codec pool and undici pools), `http` (GET /v1/blobs/{id} from an edge of its own process
// on the devnet, so what the edge adds to the reader) or `sdk` (@mysten/walrus readBlob through
// the Sui stand-in). Prints one JSON line: ttfbMs, totalMs, bytes, sha256, baseline and peak RSS and
// ArrayBuffer bytes, sliver requests.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { WalrusClient } from '@mysten/walrus';
import { Agent, fetch as undiciFetch } from 'undici';
import { codecPool } from '../src/codec/codec-pool.ts';
import { createSuiStandIn } from '../src/devnet/sui-standin.ts';
import { CommitteeSchema } from '../src/network/committee.ts';
import { DevnetChainClient } from '../src/network/devnet-chain-client.ts';
import { undiciTransport } from '../src/network/transport/undici-transport.ts';
import { BlobReader } from '../src/read/blob-reader.ts';
import { startBenchEdge, type EdgeMemory } from './bench-edge.ts';

// warmupId: another blob read first, so both readers are measured warm (JIT, connections, wasm), as a
// long-running edge or SDK user is; the measured blob is still cold (never read by this process).
const [impl, committeePath, blobId, warmupId] = process.argv.slice(2) as [
  'ours' | 'http' | 'sdk',
  string,
  string,
  string,
];
const committee = CommitteeSchema.parse(JSON.parse(readFileSync(committeePath, 'utf8')));

/**
 * Devnet request counters, reset after the warm-up so they count the measured read alone. Their own
 * agent: a keep-alive socket left over from a read the SDK aborted may already be closing.
 */
const statsAgent = new Agent({ pipelining: 0 });
const control = (url: string, method = 'GET') => undiciFetch(url, { method, dispatcher: statsAgent });
async function resetNodeStats() {
  await Promise.all(committee.nodes.map((n) => control(`${n.url}/_devnet/stats/reset`, 'POST')));
}
async function sliverRequests(): Promise<number> {
  const all = await Promise.all(
    committee.nodes.map(
      async (n) =>
        ((await (await control(`${n.url}/_devnet/stats`)).json()) as { requests: Record<string, number> })
          .requests,
    ),
  );
  return all.reduce((sum, r) => sum + (r.sliver ?? 0), 0);
}

// RSS includes heap growth a long-running process would reuse; ArrayBuffer bytes are the live data.
let peakRss = 0;
let peakBuffers = 0;
let baselineBuffers = 0;
const sample = () => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakBuffers = Math.max(peakBuffers, usage.arrayBuffers);
};
const sampler = setInterval(sample, 2);

/** After the warm-up: request counts, memory and time from here on are the measured read's. */
async function startMeasuring(): Promise<void> {
  await resetNodeStats();
  global.gc?.();
  baseline = process.memoryUsage.rss();
  peakRss = baseline;
  baselineBuffers = peakBuffers = process.memoryUsage().arrayBuffers;
  started = performance.now();
}

/** Reads a body to its end: time to its first byte (since startMeasuring), length and sha256. */
async function consume(
  body: AsyncIterable<Uint8Array>,
): Promise<{ ttfbMs: number; bytes: number; sha256: string }> {
  let ttfbMs = 0;
  let bytes = 0;
  const hash = createHash('sha256');
  for await (const chunk of body) {
    if (bytes === 0) ttfbMs = performance.now() - started;
    bytes += chunk.length;
    hash.update(chunk);
    sample();
  }
  return { ttfbMs, bytes, sha256: hash.digest('hex') };
}

async function readOurs(): Promise<{ ttfbMs: number; bytes: number; sha256: string }> {
  const codec = codecPool(2);
  const reader = new BlobReader({
    committeeFor: async () => committee,
    codec,
    transport: undiciTransport(),
    maxBlobSize: 2 ** 40,
    deadlineMs: 120_000,
    requestTimeoutMs: 30_000,
    hedgeDelayMs: 1_000,
  });
  const warm = await reader.read(warmupId);
  if (warm.kind !== 'ok') throw new Error(`warm-up read: ${warm.kind}`);
  await startMeasuring();
  const meta = await reader.metadata(blobId);
  if (meta.kind !== 'ok') throw new Error(`metadata: ${meta.kind} ${meta.message}`);
  const result = await reader.stream(meta);
  if (result.kind !== 'ok') throw new Error(`stream: ${result.kind} ${result.message}`);
  const read = await consume(result.body);
  await result.summary;
  await codec.close();
  return read;
}

/**
 * The edge in a process of its own, as clients meet it (one sharing the edge's event loop would slow
 * both), with the reader's settings above, so the difference is what the edge adds: its read stack,
 * its HTTP path and the loopback connection. Its memory is measured inside it (bench/memory-probe.ts).
 */
async function readHttp(): Promise<{ ttfbMs: number; bytes: number; sha256: string }> {
  const edge = await startBenchEdge(dirname(committeePath), {
    CODEC_WORKERS: '2',
    READ_DEADLINE_MS: '120000',
    NODE_REQUEST_TIMEOUT_MS: '30000',
    HEDGE_DELAY_MS: '1000',
  });
  const client = new Agent();
  const get = async (id: string) => {
    const response = await undiciFetch(`${edge.url}/v1/blobs/${id}`, { dispatcher: client });
    if (!response.ok || !response.body)
      throw new Error(`GET ${id}: ${response.status} ${await response.text()}`);
    return response.body;
  };
  await consume(await get(warmupId));
  const { value: read, memory } = await edge.measureMemory(async () => {
    await startMeasuring();
    return consume(await get(blobId));
  });
  edgeMemory = memory;
  edge.stop();
  return read;
}

/** The edge process's memory during the measured read (http only; the others are this process's). */
let edgeMemory: EdgeMemory | undefined;

async function readSdk(): Promise<{ ttfbMs: number; bytes: number; sha256: string }> {
  const state = await new DevnetChainClient(committee.chainUrl!).state();
  const params = state.params as { storagePricePerUnit: string; writePricePerUnit: string };
  const standIn = createSuiStandIn(
    { ...committee, epoch: state.epoch },
    {
      storagePricePerUnit: BigInt(params.storagePricePerUnit),
      writePricePerUnit: BigInt(params.writePricePerUnit),
    },
  );
  const client = new WalrusClient({
    packageConfig: { systemObjectId: standIn.systemObjectId, stakingPoolId: standIn.stakingPoolId },
    suiClient: standIn.client,
    storageNodeUrlScheme: 'http',
  });
  await client.readBlob({ blobId: warmupId });
  await startMeasuring();
  const bytes = await client.readBlob({ blobId });
  const ttfbMs = performance.now() - started;
  sample();
  return { ttfbMs, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

let baseline = 0;
let started = 0;
const result = await { ours: readOurs, http: readHttp, sdk: readSdk }[impl]();
const totalMs = performance.now() - started;
clearInterval(sampler);
sample();
const slivers = await sliverRequests();
console.log(
  JSON.stringify({
    impl,
    ...result,
    totalMs,
    baselineRss: edgeMemory?.baselineRss ?? baseline,
    peakRss: edgeMemory?.peakRss ?? peakRss,
    extraBuffers: edgeMemory
      ? edgeMemory.peakBuffers - edgeMemory.baselineBuffers
      : peakBuffers - baselineBuffers,
    slivers,
  }),
);
process.exit(0);
