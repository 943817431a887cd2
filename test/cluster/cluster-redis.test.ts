// HTTP_WORKERS=2 sharing Redis with another edge (another host, as far as the cache knows): the host's
// workers agree among themselves who reconstructs, and that one contends with the other edge through
// Redis. The other edge starts first; then requests reach both workers of the cluster. The nodes must
// count the rows once in all, and Redis (asked by the test's own connection) holds the blob. Image
// variants are made once between them too: Redis's own MONITOR sees the variant written once.
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { nodeRequests, postFault, startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { countsAt, countsDelta, expectedSliverCounts, rowsCovering } from '../support/node-stats.ts';
import { startRedisServer, type RedisServer } from '../support/redis-servers.ts';
import { bytesInRedis } from '../support/witnesses.ts';
import { requestsOnOwnConnections, startCluster, type ClusterProcess } from './cluster-process.ts';

const N_SHARDS = 100;
const SIZE = 120_000;
const PREFIX = 'cluster-test:';
const dirs = [tempDir('cluster-redis-devnet'), tempDir('cluster-redis-a'), tempDir('cluster-redis-b')];
const [devnetDir, clusterData, otherData] = dirs as [(typeof dirs)[0], (typeof dirs)[0], (typeof dirs)[0]];
let devnet: RunningDevnet;
let redisServer: RedisServer;
let cluster: ClusterProcess;
let other: RunningEdge;

beforeAll(async () => {
  devnet = await startTestDevnet({ dir: devnetDir.path, nodes: 4, shards: N_SHARDS });
  redisServer = await startRedisServer(clusterData.path);
  const shared = {
    DEVNET_DIR: devnetDir.path,
    REDIS_URL: `redis://127.0.0.1:${redisServer.port}`,
    REDIS_PREFIX: PREFIX,
    REDIS_COMMAND_TIMEOUT_MS: '1000',
    HEDGE_DELAY_MS: '30000',
  };
  cluster = await startCluster({ ...shared, HTTP_WORKERS: '2', DATA_DIR: clusterData.path });
  other = await startEdge(
    loadConfig({ ...shared, HTTP_WORKERS: '1', DATA_DIR: otherData.path, PORT: '0', LOG_LEVEL: 'silent' }),
  );
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  await other?.stop();
  redisServer?.kill();
  await devnet?.stop();
  for (const dir of dirs) dir.remove();
});

describe('HTTP_WORKERS=2 and another edge, sharing Redis', () => {
  it('reconstruct a blob once between them: the cluster waits on the other edge, both its workers get the bytes', async () => {
    const data = randomBytes(SIZE, 1401);
    const { blobId } = await storeOnDevnet(devnet, data);
    const STALL_MS = 2_000;
    await Promise.all(devnet.committee.nodes.map((node) => postFault(node.url, 'slow-slivers', STALL_MS)));
    try {
      const before = await countsAt(devnet.committee);
      const metadataBefore = await nodeRequests(devnet, 'metadata');
      // The other edge opens the blob first and claims it in Redis; its slivers are stalled.
      const atOther = fetch(`${other.url}/v1/blobs/${blobId}`).then(async (response) => ({
        status: response.status,
        body: Buffer.from(await response.arrayBuffer()),
      }));
      while ((await nodeRequests(devnet, 'metadata')) === metadataBefore)
        await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Enough connections that both workers get some: Node's primary hands them round-robin, but on
      // Bun the kernel spreads them (SO_REUSEPORT), and 4 all reached one worker 1 time in 8.
      const atCluster = await requestsOnOwnConnections(
        cluster,
        Array.from({ length: 12 }, () => ({ path: `/v1/blobs/${blobId}` })),
      );
      const fromOther = await atOther;
      const counted = countsDelta(before, await countsAt(devnet.committee));

      expect(new Set(atCluster.map((answer) => answer.servedBy)).size).toBe(2);
      for (const answer of [...atCluster, fromOther]) {
        expect(answer.status).toBe(200);
        expect(answer.body.equals(data)).toBe(true);
      }
      expect(counted.perNode('sliver')).toEqual(
        expectedSliverCounts(
          devnet.committee,
          parseBlobId(blobId),
          rowsCovering(SIZE, N_SHARDS).map((index) => ({ index, type: 'primary' as const })),
        ),
      );
      const redis = new Redis(redisServer.port, '127.0.0.1');
      try {
        const held = await bytesInRedis(redis, PREFIX, blobId);
        expect(held && Buffer.from(held).equals(data)).toBe(true);
      } finally {
        redis.disconnect();
      }
    } finally {
      await Promise.all(devnet.committee.nodes.map((node) => postFault(node.url, 'ok')));
    }
  });
  it('make an image variant once between them: one process transforms and writes it, the others get its bytes', async () => {
    // Noise, so the AVIF encoder has work to do (a few hundred ms) while the others ask.
    const photo = await sharp(Buffer.from(randomBytes(1600 * 1200 * 3, 1402)), {
      raw: { width: 1600, height: 1200, channels: 3 },
    })
      .jpeg({ quality: 85 })
      .toBuffer();
    const { blobId } = await storeOnDevnet(devnet, new Uint8Array(photo));
    // Every process holds the image first, so what follows is the transform alone.
    await fetch(`${other.url}/v1/blobs/${blobId}`).then((response) => response.arrayBuffer());
    const warmed = await requestsOnOwnConnections(
      cluster,
      Array.from({ length: 12 }, () => ({ path: `/v1/blobs/${blobId}` })),
    );
    expect(new Set(warmed.map((answer) => answer.servedBy)).size).toBe(2);

    const path = `/v1/blobs/${blobId}?w=256&format=avif`;
    const monitor = await new Redis(redisServer.port, '127.0.0.1').monitor();
    const writes: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'set' && args[1]?.startsWith(`${PREFIX}blob:{${blobId}~`))
        writes.push(args[1]);
    });
    try {
      const [atOther, atCluster] = await Promise.all([
        fetch(`${other.url}${path}`).then(async (response) => ({
          status: response.status,
          etag: response.headers.get('etag'),
          body: Buffer.from(await response.arrayBuffer()),
        })),
        requestsOnOwnConnections(
          cluster,
          Array.from({ length: 12 }, () => ({ path })),
        ),
      ]);
      expect(new Set(atCluster.map((answer) => answer.servedBy)).size).toBe(2);
      expect(atOther.status).toBe(200);
      const variant = await sharp(atOther.body).metadata();
      expect({ format: variant.format, compression: variant.compression, width: variant.width }).toEqual({
        format: 'heif',
        compression: 'av1',
        width: 256,
      });
      for (const answer of atCluster) {
        expect(answer.status).toBe(200);
        expect(answer.headers.etag).toBe(atOther.etag);
        expect(answer.body.equals(atOther.body)).toBe(true);
      }
      // Its record and its one chunk, written by one process: a second making would write them again.
      const key = atOther.etag!.slice(1, -1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(writes.sort()).toEqual([`${PREFIX}blob:{${key}}`, `${PREFIX}blob:{${key}}:0`].sort());
    } finally {
      monitor.disconnect();
    }
  });
});
