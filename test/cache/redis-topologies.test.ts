// REDIS_URL reaches Redis however the operator runs it: a single server, Sentinels (following a
// failover without failing a request), or a Cluster (a blob's keys share one slot, so multi-key reads
// and transactions work). Real redis-server processes of the test's own.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/cache/redis-connection.ts';
import { CHUNK_BYTES, RedisTier } from '../../src/cache/redis-tier.ts';
import { loadConfig } from '../../src/config.ts';
import type { RunningEdge } from '../../src/main.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet, tempDir } from '../support/devnet.ts';
import { waitFor } from '../http/http-helpers.ts';
import { startCluster, startRedisServer, startSentinel, type RedisServer } from '../support/redis-servers.ts';
import { bytesInRedis, nodeReadsDuring } from '../support/witnesses.ts';

describe('parseRedisUrl', () => {
  it('reads single-server, Sentinel and Cluster URLs', () => {
    expect(parseRedisUrl('redis://:pw@cache:6380/2')).toEqual({
      mode: 'standalone',
      url: 'redis://:pw@cache:6380/2',
    });
    expect(parseRedisUrl('redis+sentinel://:s%40cret@s1,s2:26380,[::1]:5000/primary/3')).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: '::1', port: 5000 },
      ],
      name: 'primary',
      db: 3,
      username: undefined,
      password: 's@cret',
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://user:pw@n1:7000,n2:7001')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      username: 'user',
      password: 'pw',
      tls: true,
    });
  });

  it('rejects what it cannot use, and so does the configuration', () => {
    for (const bad of [
      'http://cache:6379',
      'redis+sentinel://s1:26379',
      'redis+sentinel://s1:26379/m/x',
      'redis+cluster://n1:7000/1',
      'redis+cluster://n1:port',
      'redis://',
    ]) {
      expect(() => parseRedisUrl(bad), bad).toThrow();
      expect(() => loadConfig({ REDIS_URL: bad }), bad).toThrow(/REDIS_URL/);
    }
  });
});

describe('Redis behind Sentinels', () => {
  const dir = tempDir('sentinel');
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  beforeAll(async () => {
    // Each server its own directory: both write dump.rdb during the replica's sync.
    for (const name of ['master', 'replica']) mkdirSync(join(dir.path, name));
    master = await startRedisServer(join(dir.path, 'master'));
    replica = await startRedisServer(join(dir.path, 'replica'), [
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    sentinel = await startSentinel(dir.path, 'edge-primary', master.port);
  });
  afterAll(() => {
    for (const server of [sentinel, replica, master]) server?.kill();
    dir.remove();
  });

  it('finds the master through the Sentinel and follows it through a failover', async () => {
    const tier = new RedisTier({
      url: `redis+sentinel://127.0.0.1:${sentinel.port}/edge-primary`,
      prefix: 's:',
      // Generous for a machine busy with the rest of the suite; the breaker then reopens less often.
      commandTimeoutMs: 2_000,
      breakerMs: 500,
    });
    const direct = new Redis(replica.port, '127.0.0.1');
    try {
      const bytes = randomBytes(CHUNK_BYTES + 99, 91);
      expect(await waitFor(async () => await tier.set('blob-s', { bytes, storedAt: 1 }), 10_000)).toBe(true);
      // It went to the master, and the replica has it too.
      expect(await waitFor(async () => (await direct.exists('s:blob:{blob-s}')) === 1, 10_000)).toBe(true);

      master.kill();
      // The Sentinel promotes the replica; the tier finds it without being told.
      const back = await waitFor(
        async () => (await tier.get('blob-s'))?.bytes.length === bytes.length,
        20_000,
      );
      expect(back).toBe(true);
      expect(String(await direct.call('ROLE'))).toMatch(/^master/);
      expect(await tier.set('blob-after', { bytes: bytes.subarray(0, 10), storedAt: 2 })).toBe(true);
      expect(await direct.exists('s:blob:{blob-after}')).toBe(1);
    } finally {
      direct.disconnect();
      await tier.close();
    }
  });
});

describe('Redis Cluster', () => {
  const dir = tempDir('cluster');
  let nodes: RedisServer[];
  let testEdge: TestEdge;
  let edge: RunningEdge;
  beforeAll(async () => {
    nodes = await startCluster(dir.path, 3);
    testEdge = await startTestEdge({
      REDIS_URL: `redis+cluster://127.0.0.1:${nodes[0]!.port}`,
      REDIS_PREFIX: 'edge:',
      // 1 MiB chunk writes on a machine busy with the rest of the suite can take longer than 250 ms.
      REDIS_COMMAND_TIMEOUT_MS: '3000',
    });
    edge = testEdge.edge;
    // Connected to the cluster before any test asks (a just-started edge waits only a moment for it).
    const up = async () =>
      ((await (await fetch(`${edge.url}/readyz`)).json()) as { redis: string }).redis === 'up';
    expect(await waitFor(up, 10_000)).toBe(true);
  });
  afterAll(async () => {
    await testEdge?.stop();
    for (const node of nodes ?? []) node.kill();
    dir.remove();
  });

  it('stores chunked blobs across the cluster and claims fills there', async () => {
    const tier = new RedisTier({
      url: `redis+cluster://127.0.0.1:${nodes[1]!.port}`,
      prefix: 'c:',
      commandTimeoutMs: 3_000,
    });
    try {
      const blobs = Array.from({ length: 6 }, (_, i) => randomBytes(CHUNK_BYTES * 2 + i, 92 + i));
      for (const [i, bytes] of blobs.entries()) {
        expect(await waitFor(async () => await tier.set(`blob-${i}`, { bytes, storedAt: i }), 5_000)).toBe(
          true,
        );
      }
      for (const [i, bytes] of blobs.entries()) {
        expect(Buffer.from((await tier.get(`blob-${i}`))!.bytes).equals(Buffer.from(bytes))).toBe(true);
      }
      // Spread over the masters, not all on one.
      const holders = await Promise.all(
        nodes.map(async (node) => {
          const client = new Redis(node.port, '127.0.0.1');
          try {
            return Number(await client.dbsize());
          } finally {
            client.disconnect();
          }
        }),
      );
      expect(holders.filter((keys) => keys > 0).length).toBeGreaterThan(1);

      expect(await tier.claim('blob-0', 'me', 5_000)).toBe(true);
      expect(await tier.claim('blob-0', 'other', 5_000)).toBe(false);
      await tier.release('blob-0', 'me');
      expect(await tier.claim('blob-0', 'other', 5_000)).toBe(true);
      await tier.delete('blob-1');
      expect(await tier.get('blob-1')).toBeUndefined();
    } finally {
      await tier.close();
    }
  });

  it('serves an edge: a reconstruction lands in the cluster and comes back from it', async () => {
    const data = randomBytes(1_200_000, 99);
    const { blobId } = await storeOnDevnet(edge.devnet!, data);
    const first = await fetch(`${edge.url}/v1/blobs/${blobId}`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    await first.arrayBuffer();
    // The cluster holds it, by its own account (a plain cluster client of the test's, not the edge's tier).
    const direct = new Cluster([{ host: '127.0.0.1', port: nodes[2]!.port }]);
    try {
      const stored = await waitFor(
        async () => (await bytesInRedis(direct, 'edge:', blobId)) !== undefined,
        5_000,
      );
      expect(stored).toBe(true);
      expect(await bytesInRedis(direct, 'edge:', blobId)).toEqual(data);
    } finally {
      direct.disconnect();
    }
    // A large blob enters memory only when asked for twice: this second request is answered from Redis,
    // with no storage-node read.
    const again = await nodeReadsDuring(edge.devnet!, async () => {
      const response = await fetch(`${edge.url}/v1/blobs/${blobId}`);
      return { tier: response.headers.get('x-cache'), body: new Uint8Array(await response.arrayBuffer()) };
    });
    expect(again.reads).toEqual({ metadata: 0, sliver: 0 });
    expect(again.result.tier).toBe('HIT-REDIS');
    expect(Buffer.from(again.result.body).equals(Buffer.from(data))).toBe(true);
    expect(await (await fetch(`${edge.url}/readyz`)).json()).toMatchObject({ redis: 'up' });
  });
});
