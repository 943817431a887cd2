// HTTP_WORKERS=2 as operators run it: `node src/main.ts` (a primary and two worker processes on one
// port) against a devnet of the test's. What is claimed is checked against witnesses outside the
// edge: /proc says which processes exist and which one holds each connection, the storage nodes'
// own counters say how many slivers were read, and the bytes must be the stored ones.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { randomBytes } from '../protocol/oracle.ts';
import {
  nodeRequests as nodeRequestsOnce,
  postFault as postFaultOnce,
  readSystematic,
  startTestDevnet,
  storeOnDevnet,
  tempDir,
} from '../support/devnet.ts';
import { countsAt, countsDelta, expectedSliverCounts, rowsCovering } from '../support/node-stats.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import {
  requestToWorker,
  requestsOnOwnConnections,
  startCluster,
  type ClusterProcess,
} from './cluster-process.ts';
import { publisherWallet } from '../support/publishing.ts';
import { holderOfNewConnection } from './proc.ts';
import { childrenOf, secondsRunning } from '../support/proc-stat.ts';

const N_SHARDS = 100;
const SIZE = 150_000;
let devnet: RunningDevnet;
let edge: ClusterProcess;
const devnetDir = tempDir('cluster-devnet');
const dataDir = tempDir('cluster-data');

beforeAll(async () => {
  devnet = await startTestDevnet({ dir: devnetDir.path, nodes: 4, shards: N_SHARDS });
  edge = await startCluster({
    HTTP_WORKERS: '2',
    DEVNET_DIR: devnetDir.path,
    DATA_DIR: dataDir.path,
    // No spare sliver requests: each reconstruction reads exactly the rows it needs.
    HEDGE_DELAY_MS: '30000',
    // /metrics on a port of its own, any free one: the primary picks it for all workers.
    METRICS_PORT: '0',
  });
});
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  devnetDir.remove();
  dataDir.remove();
});

/**
 * The test's own calls to the nodes, once more after a connection reset: this process encodes the
 * blobs it stores, and a keep-alive connection the node closed meanwhile may be reused just then.
 */
async function again<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    return call();
  }
}
const postFault = (url: string, mode: string, delayMs?: number) =>
  again(() => postFaultOnce(url, mode, delayMs));
const nodeRequests = (route: string) => again(() => nodeRequestsOnce(devnet, route));

/** What the nodes counted (their own stats) while `action` ran. */
async function countedDuring<T>(action: () => Promise<T>) {
  const before = await again(() => countsAt(devnet.committee));
  const result = await action();
  return { result, counted: countsDelta(before, await again(() => countsAt(devnet.committee))) };
}

/** The rows (primary slivers) one whole read of a blob of `size` bytes fetches, node by node. */
function oneReconstruction(blobId: string, size: number) {
  return expectedSliverCounts(
    devnet.committee,
    parseBlobId(blobId),
    rowsCovering(size, N_SHARDS).map((index) => ({ index, type: 'primary' as const })),
  );
}

function sumOf(metrics: string, name: string): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

// Processes start and blobs are encoded here: on a busy machine these take a while.
describe('HTTP_WORKERS=2', { timeout: 120_000 }, () => {
  it('runs two worker processes that both answer on the one port', async () => {
    const workers = edge.workers();
    expect([...workers.values()].sort()).toEqual([0, 1]);
    const answers = await requestsOnOwnConnections(
      edge,
      Array.from({ length: 16 }, () => ({ path: '/status' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(16).fill(200));
    // Node's primary hands connections out round-robin; on Bun the kernel spreads them (SO_REUSEPORT),
    // and 16 all reach one worker once in 32,768 runs: both workers took some.
    expect(new Set(answers.map((answer) => answer.servedBy))).toEqual(new Set(workers.keys()));
  });

  it('reconstructs a cold blob once for the host when requests for it reach both workers at once', async () => {
    const data = randomBytes(SIZE, 1301);
    const { blobId } = await storeOnDevnet(devnet, data);
    // Slow nodes: the reconstruction lasts long enough for every request to arrive while it runs.
    await Promise.all(devnet.committee.nodes.map((node) => postFault(node.url, 'slow', 400)));
    try {
      const { result: answers, counted } = await countedDuring(() =>
        requestsOnOwnConnections(
          edge,
          // 16: on Bun the kernel spreads connections (SO_REUSEPORT), and 8 all reached one worker 1 in 128.
          Array.from({ length: 16 }, () => ({ path: `/v1/blobs/${blobId}` })),
        ),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.equals(data)).toBe(true);
      }
      expect(new Set(answers.map((answer) => answer.servedBy)).size).toBe(2);
      expect(counted.perNode('sliver')).toEqual(oneReconstruction(blobId, SIZE));
    } finally {
      await Promise.all(devnet.committee.nodes.map((node) => postFault(node.url, 'ok')));
    }
  });

  it("serves a blob one worker read from that worker's memory at the other (no second reconstruction)", async () => {
    const data = randomBytes(SIZE, 1302);
    const { blobId } = await storeOnDevnet(devnet, data);
    const { result: answers, counted } = await countedDuring(async () => {
      const [first] = await requestsOnOwnConnections(edge, [{ path: `/v1/blobs/${blobId}` }]);
      // Kept in that worker's memory once its end epoch is known (a moment after the last byte).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Then at the other worker.
      const otherWorker = [...edge.workers().keys()].find((pid) => pid !== first!.servedBy)!;
      return [first!, await requestToWorker(edge, otherWorker, { path: `/v1/blobs/${blobId}` })];
    });
    for (const answer of answers) expect(answer.body.equals(data)).toBe(true);
    expect(answers[0]!.headers['x-cache']).toBe('MISS');
    expect(answers[1]!.headers['x-cache']).toBe('HIT-PEER');
    expect(counted.perNode('sliver')).toEqual(oneReconstruction(blobId, SIZE));
  });

  it('answers /metrics for both workers on METRICS_PORT: http_requests_total counts every request, whichever worker took it', async () => {
    const listening = edge.logs.find((line) => line.msg === 'walrus-edge listening') as { metrics: string };
    const scrape = async () => (await fetch(listening.metrics)).text();
    expect(new URL(listening.metrics).port).not.toBe(String(edge.port));
    const before = sumOf(await scrape(), 'walrus_edge_http_requests_total');
    const answers = await requestsOnOwnConnections(
      edge,
      Array.from({ length: 16 }, (_, i) => ({ path: i % 2 ? '/status' : '/healthz' })),
    );
    expect(new Set(answers.map((answer) => answer.servedBy)).size).toBe(2);
    // Scrapes on METRICS_PORT are not requests of the edge's API: exactly the sixteen.
    const metrics = await scrape();
    expect(sumOf(metrics, 'walrus_edge_http_requests_total') - before).toBe(16);
    expect(metrics).toMatch(/^walrus_edge_cluster_workers\{state="ready"\} 2$/m);
    // Not on the public port any more.
    expect((await fetch(`${edge.url}/metrics`)).status).toBe(404);
  });

  it('publishes through either worker: the one that does not publish passes uploads to the one that does', async () => {
    const data = randomBytes(20_000, 1303);
    const workers = edge.workers();
    const notPublishing = [...workers].find(([, slot]) => slot !== 0)![0];
    const through = await requestToWorker(edge, notPublishing, {
      path: '/v1/blobs?epochs=1',
      method: 'PUT',
      body: data,
    });
    expect(through.status).toBe(200);
    const stored = JSON.parse(through.body.toString()) as {
      newlyCreated?: { blobObject: { blobId: string } };
      alreadyCertified?: { blobId: string };
    };
    const blobId = stored.newlyCreated?.blobObject.blobId ?? stored.alreadyCertified!.blobId;
    // The nodes hold it: read straight from them, not through the edge.
    expect(Buffer.from(await readSystematic(devnet.committee, blobId)).equals(data)).toBe(true);
  });

  it("shows the publisher's sponsor at /status and /readyz whichever worker answers", async () => {
    // The wallet the publishing worker keeps in DATA_DIR, read from its file.
    const { address } = publisherWallet(dataDir.path);
    for (const answer of await fromBothWorkers('/status'))
      expect(JSON.parse(answer.body.toString())).toMatchObject({ publisher: { main: { address } } });
    for (const answer of await fromBothWorkers('/readyz'))
      expect(JSON.parse(answer.body.toString())).toMatchObject({
        ready: true,
        publisher: { lowBalance: null },
      });
  });

  /** Answers to GET `path`, asked on new connections until both workers have answered. */
  async function fromBothWorkers(path: string) {
    const answers: Awaited<ReturnType<typeof requestsOnOwnConnections>> = [];
    while (new Set(answers.map((answer) => answer.servedBy)).size < 2 && answers.length < 20)
      answers.push(...(await requestsOnOwnConnections(edge, [{ path }, { path }])));
    expect(new Set(answers.map((answer) => answer.servedBy)).size).toBe(2);
    return answers;
  }

  it('lets a follower whose leader dies mid-reconstruction take over at once, and read the rows once', async () => {
    const data = randomBytes(SIZE, 1304);
    const { blobId } = await storeOnDevnet(devnet, data);
    const nodes = devnet.committee.nodes;
    // Metadata at once, every sliver after STALL_MS: whoever reconstructs is seen doing it.
    const STALL_MS = 4_000;
    await Promise.all(nodes.map((node) => postFault(node.url, 'slow-slivers', STALL_MS)));
    try {
      const metadataBefore = await nodeRequests('metadata');
      const first = openRequest(`${edge.url}/v1/blobs/${blobId}`);
      first.answer.catch(() => undefined); // its worker is killed below
      const leader = await holderOf(await first.clientPort);
      // Its metadata is served: it claims the blob for the host a moment later and leads, its
      // slivers stalled. A request at the other worker then follows it.
      await waitUntil(async () => (await nodeRequests('metadata')) > metadataBefore, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      let follower: ReturnType<typeof openRequest> | undefined;
      for (let attempt = 0; attempt < 6 && !follower; attempt++) {
        const candidate = openRequest(`${edge.url}/v1/blobs/${blobId}`);
        candidate.answer.catch(() => undefined);
        if ((await holderOf(await candidate.clientPort)) !== leader) follower = candidate;
      }
      expect(follower).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const { result, counted } = await countedDuring(async () => {
        process.kill(leader, 'SIGKILL');
        const killedAt = performance.now();
        const answer = await follower!.answer;
        return { answer, waitedMs: performance.now() - killedAt };
      });
      expect(result.answer.status).toBe(200);
      expect(result.answer.body.equals(data)).toBe(true);
      // Its own slivers were asked for only after the kill (they took STALL_MS from then): it had
      // been waiting on the leader. It heard of the death at once (a lease's term is 30 s).
      expect(result.waitedMs).toBeGreaterThanOrEqual(STALL_MS - 100);
      expect(result.waitedMs).toBeLessThan(STALL_MS + 8_000);
      // The leader's stalled requests died with it (the nodes count none of them).
      expect(counted.perNode('sliver')).toEqual(oneReconstruction(blobId, SIZE));
    } finally {
      await Promise.all(nodes.map((node) => postFault(node.url, 'ok')));
    }
    // The killed worker's slot is filled again, and serves, before the next test.
    await waitUntil(
      async () =>
        new Set(
          (await requestsOnOwnConnections(edge, [{ path: '/healthz' }, { path: '/healthz' }])).map(
            (answer) => answer.servedBy,
          ),
        ).size === 2,
    );
  });

  const holderOf = (clientPort: number) =>
    holderOfNewConnection(edge.port, clientPort, () => [...edge.workers().keys()]);

  it('replaces a worker killed with SIGKILL, and the port keeps answering meanwhile; the host counters keep what it had counted', async () => {
    const [victim] = [...edge.workers()].find(([, slot]) => slot === 1)!;
    const listening = edge.logs.find((line) => line.msg === 'walrus-edge listening') as { metrics: string };
    const scrape = async () => (await fetch(listening.metrics)).text();
    // The victim answers some of these; a scrape sees them in the host's count.
    const served = await requestsOnOwnConnections(
      edge,
      Array.from({ length: 6 }, () => ({ path: '/status' })),
    );
    expect(served.some((answer) => answer.servedBy === victim)).toBe(true);
    const countedBefore = sumOf(await scrape(), 'walrus_edge_http_requests_total');
    process.kill(victim, 'SIGKILL');
    // Reaped by the primary (gone from /proc): from now on it hands connections to the survivor.
    await waitUntil(() => !childrenOf(edge.primary.pid!).includes(victim));
    const meanwhile = await requestsOnOwnConnections(
      edge,
      Array.from({ length: 6 }, () => ({ path: '/status' })),
    );
    expect(meanwhile.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    // A new worker for the slot, and it serves.
    await waitUntil(() => [...edge.workers()].some(([pid, slot]) => slot === 1 && pid !== victim));
    const replacement = [...edge.workers()].find(([, slot]) => slot === 1)![0];
    let after = 6;
    await waitUntil(async () => {
      const answers = await requestsOnOwnConnections(edge, [{ path: '/status' }, { path: '/status' }]);
      after += answers.length;
      return answers.some((answer) => answer.servedBy === replacement && answer.status === 200);
    });
    // A counter of the host never goes down (Prometheus would read a reset): the dead worker's
    // requests stay counted, and every one answered since is added.
    await waitUntil(async () => (await scrape()).includes('walrus_edge_cluster_workers{state="ready"} 2'));
    expect(sumOf(await scrape(), 'walrus_edge_http_requests_total') - countedBefore).toBe(after);
  });

  it('backs off when a worker keeps dying: a slot killed as soon as it starts is not started again and again', async () => {
    // The pauses grow with each worker of the slot that died within 10 s of its start (STABLE_MS in
    // src/cluster/primary.ts), and earlier tests killed workers of slot 1 (which slot leads a fill
    // depends on how connections are spread: Node's round-robin, Bun's SO_REUSEPORT). The slot's
    // worker must have lived that long first, so the pauses counted here start from the first one.
    const [current] = [...edge.workers()].find(([, slot]) => slot === 1)!;
    const stableAfterMs = (10.5 - secondsRunning(current)) * 1000;
    if (stableAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, stableAfterMs));
    const starts: number[] = [];
    const killed = new Set<number>();
    // Every new worker of slot 1 is killed on sight, for 4.5 s. Restarted at once each time, some
    // fifteen would come and go; with the pauses (0 or 0.5 s, then doubling) at most five do.
    const deadline = performance.now() + 4_500;
    while (performance.now() < deadline) {
      for (const [pid, slot] of edge.workers())
        if (slot === 1 && !killed.has(pid)) {
          starts.push(performance.now());
          killed.add(pid);
          process.kill(pid, 'SIGKILL');
        }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.length).toBeLessThanOrEqual(5);
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    expect(Math.max(...gaps)).toBeGreaterThan(900);
    // Left alone, the next one starts and serves.
    await waitUntil(
      async () =>
        (await requestsOnOwnConnections(edge, [{ path: '/status' }, { path: '/status' }])).some(
          (answer) => edge.workers().get(answer.servedBy) === 1,
        ),
      40_000,
    );
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A GET on a connection of its own: its client port once connected, and its answer once complete. */
function openRequest(url: string) {
  let connected!: (port: number) => void;
  const clientPort = new Promise<number>((resolve) => (connected = resolve));
  const answer = new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const sent = request(url, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    sent.on('socket', (socket) => socket.once('connect', () => connected(socket.localPort!)));
    sent.on('error', reject);
    sent.end();
  });
  return { clientPort, answer };
}
