// HTTP_WORKERS=2 as operators run it: `node src/main.ts` (a primary and two worker processes on one
// port) against a devnet of the test's. What is claimed is checked against witnesses outside the
// edge: /proc says which processes exist and which one holds each connection, the storage nodes'
// own counters say how many slivers were read, and the bytes must be the stored ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, readSystematic, startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { countedDuring, expectedSliverCounts, rowsCovering } from '../support/node-stats.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { requestsOnOwnConnections, startCluster, type ClusterProcess } from './cluster-process.ts';
import { childrenOf } from './proc.ts';

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
  });
});
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  devnetDir.remove();
  dataDir.remove();
});

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

describe('HTTP_WORKERS=2', () => {
  it('runs two worker processes that both answer on the one port', async () => {
    const workers = edge.workers();
    expect([...workers.values()].sort()).toEqual([0, 1]);
    const answers = await requestsOnOwnConnections(
      edge,
      Array.from({ length: 8 }, () => ({ path: '/status' })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    // The primary hands connections out round-robin: both workers took some.
    expect(new Set(answers.map((answer) => answer.servedBy))).toEqual(new Set(workers.keys()));
  });

  it('reconstructs a cold blob once for the host when requests for it reach both workers at once', async () => {
    const data = randomBytes(SIZE, 1301);
    const { blobId } = await storeOnDevnet(devnet, data);
    // Slow nodes: the reconstruction lasts long enough for every request to arrive while it runs.
    await Promise.all(devnet.committee.nodes.map((node) => postFault(node.url, 'slow', 400)));
    try {
      const { result: answers, counted } = await countedDuring(devnet.committee, () =>
        requestsOnOwnConnections(
          edge,
          Array.from({ length: 8 }, () => ({ path: `/v1/blobs/${blobId}` })),
        ),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(new Uint8Array(answer.body)).toEqual(data);
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
    const { result: answers, counted } = await countedDuring(devnet.committee, async () => {
      const seen: Awaited<ReturnType<typeof requestsOnOwnConnections>> = [];
      // One after the other, each on a new connection, until both workers have answered.
      while (new Set(seen.map((answer) => answer.servedBy)).size < 2 && seen.length < 10)
        seen.push(...(await requestsOnOwnConnections(edge, [{ path: `/v1/blobs/${blobId}` }])));
      return seen;
    });
    expect(new Set(answers.map((answer) => answer.servedBy)).size).toBe(2);
    for (const answer of answers) expect(new Uint8Array(answer.body)).toEqual(data);
    expect(answers[0]!.headers['x-cache']).toBe('MISS');
    const other = answers.find((answer) => answer.servedBy !== answers[0]!.servedBy)!;
    expect(other.headers['x-cache']).toBe('HIT-PEER');
    expect(counted.perNode('sliver')).toEqual(oneReconstruction(blobId, SIZE));
  });

  it('answers /metrics for both workers: http_requests_total counts every request, whichever worker took it', async () => {
    const before = sumOf(
      await (await fetch(`${edge.url}/metrics`)).text(),
      'walrus_edge_http_requests_total',
    );
    const answers = await requestsOnOwnConnections(
      edge,
      Array.from({ length: 10 }, (_, i) => ({ path: i % 2 ? '/status' : '/healthz' })),
    );
    expect(new Set(answers.map((answer) => answer.servedBy)).size).toBe(2);
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    // The ten, and the first scrape (counted once it was answered).
    expect(sumOf(metrics, 'walrus_edge_http_requests_total') - before).toBe(11);
    expect(metrics).toMatch(/^walrus_edge_cluster_workers\{state="ready"\} 2$/m);
  });

  it('publishes through either worker: the one that does not publish passes uploads to the one that does', async () => {
    const data = randomBytes(20_000, 1303);
    const workers = edge.workers();
    const notPublishing = [...workers].find(([, slot]) => slot !== 0)![0];
    // Uploads on new connections until one went through the worker that does not publish.
    let through: Awaited<ReturnType<typeof requestsOnOwnConnections>>[number] | undefined;
    for (let attempt = 0; attempt < 6 && through?.servedBy !== notPublishing; attempt++)
      [through] = await requestsOnOwnConnections(edge, [
        { path: '/v1/blobs?epochs=1', method: 'PUT', body: data },
      ]);
    expect(through?.servedBy).toBe(notPublishing);
    expect(through!.status).toBe(200);
    const stored = JSON.parse(through!.body.toString()) as {
      newlyCreated?: { blobObject: { blobId: string } };
      alreadyCertified?: { blobId: string };
    };
    const blobId = stored.newlyCreated?.blobObject.blobId ?? stored.alreadyCertified!.blobId;
    // The nodes hold it: read straight from them, not through the edge.
    expect(await readSystematic(devnet.committee, blobId)).toEqual(data);
  });

  it('replaces a worker killed with SIGKILL, and the port keeps answering meanwhile', async () => {
    const [victim] = [...edge.workers()].find(([, slot]) => slot === 1)!;
    process.kill(victim, 'SIGKILL');
    // Reaped by the primary (gone from /proc): from now on it hands connections to the survivor.
    await until(() => !childrenOf(edge.primary.pid!).includes(victim));
    const meanwhile = await requestsOnOwnConnections(
      edge,
      Array.from({ length: 6 }, () => ({ path: '/status' })),
    );
    expect(meanwhile.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    // A new worker for the slot, and it serves.
    await until(() => [...edge.workers()].some(([pid, slot]) => slot === 1 && pid !== victim));
    const replacement = [...edge.workers()].find(([, slot]) => slot === 1)![0];
    await until(async () =>
      (await requestsOnOwnConnections(edge, [{ path: '/status' }, { path: '/status' }])).some(
        (answer) => answer.servedBy === replacement && answer.status === 200,
      ),
    );
  });

  it('backs off when a worker keeps dying: each start of the slot waits longer than the last', async () => {
    const starts: number[] = [];
    const killed = new Set<number>();
    // Three deaths in a row, each soon after its start: the slot's next starts wait 0.5, 1, 2 s.
    while (starts.length < 4) {
      const fresh = [...edge.workers()].find(([pid, slot]) => slot === 1 && !killed.has(pid));
      if (fresh) {
        starts.push(performance.now());
        if (starts.length < 4) {
          killed.add(fresh[0]);
          process.kill(fresh[0], 'SIGKILL');
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // (The first death may count as a quick one or not, by how long that worker had lived: 0.5 or 0 s.)
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! * 1.5);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]! * 1.5);
    expect(gaps[2]!).toBeGreaterThan(900);
    // Left alone, the fourth one starts and serves.
    const survivor = [...edge.workers()].find(([, slot]) => slot === 1)![0];
    await until(async () =>
      (await requestsOnOwnConnections(edge, [{ path: '/status' }, { path: '/status' }])).some(
        (answer) => answer.servedBy === survivor,
      ),
    );
  });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
