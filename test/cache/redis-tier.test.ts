// The Redis tier against the real Redis (127.0.0.1:6379, as CI provides): shared between edges, kept
// across restarts, and never the reason a request fails — not even when its Redis server dies mid-load.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, RedisTier } from '../../src/cache/redis-tier.ts';
import { loadConfig } from '../../src/config.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { nodeRequests, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { freePort, startRedisServer, type RedisServer } from '../support/redis-servers.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { waitFor } from '../http/http-helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `walrus-edge-test:${process.pid}:${Date.now()}:`;

// Leave the shared Redis as we found it.
afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function connected(tier: RedisTier, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (tier.available) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('RedisTier', () => {
  it('round-trips a multi-chunk blob and keeps its record', async () => {
    const tier = new RedisTier({ url: REDIS_URL, prefix });
    try {
      expect(await connected(tier)).toBe(true);
      const bytes = randomBytes(2 * CHUNK_BYTES + 12_345, 81);
      expect(await tier.set('blob-a', { bytes, storedAt: 1234, endEpoch: 9 })).toBe(true);
      const back = await tier.get('blob-a', 3);
      expect(back?.storedAt).toBe(1234);
      expect(back?.endEpoch).toBe(9);
      expect(Buffer.from(back!.bytes).equals(Buffer.from(bytes))).toBe(true);
      // Past its end epoch it is gone, and stays gone.
      expect(await tier.get('blob-a', 9)).toBeUndefined();
      expect(await tier.get('blob-a', 3)).toBeUndefined();
    } finally {
      await tier.close();
    }
  });

  it('lets Redis forget an entry when its blob ends, not later', async () => {
    const tier = new RedisTier({ url: REDIS_URL, prefix });
    const redis = new Redis(REDIS_URL);
    try {
      expect(await connected(tier)).toBe(true);
      const bytes = randomBytes(CHUNK_BYTES + 10, 82);
      const expiresAt = Date.now() + 1_500;
      expect(await tier.set('blob-t', { bytes, storedAt: Date.now(), endEpoch: 5, expiresAt })).toBe(true);
      for (const key of [`${prefix}blob:{blob-t}`, `${prefix}blob:{blob-t}:0`, `${prefix}blob:{blob-t}:1`]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(1_000);
        expect(ttl).toBeLessThanOrEqual(1_500);
      }
      expect((await tier.get('blob-t'))?.expiresAt).toBe(expiresAt);
      // A blob already ended is not stored at all.
      expect(await tier.set('blob-u', { bytes, storedAt: Date.now(), expiresAt: Date.now() - 1 })).toBe(
        false,
      );
      expect(await redis.exists(`${prefix}blob:{blob-u}`)).toBe(0);
      // Without an end time the cap applies (7 days by default).
      expect(await tier.set('blob-v', { bytes: bytes.subarray(0, 10), storedAt: Date.now() })).toBe(true);
      expect(await redis.ttl(`${prefix}blob:{blob-v}`)).toBeGreaterThan(6 * 24 * 3600);
    } finally {
      redis.disconnect();
      await tier.close();
    }
  });

  it('treats a slow Redis as a missing one, then finds it again', async () => {
    const dir = tempDir('redis-slow');
    const server = await startRedisServer(dir.path);
    const tier = new RedisTier({ url: `redis://127.0.0.1:${server.port}`, prefix, breakerMs: 500 });
    const sleeper = new Redis(server.port, '127.0.0.1');
    try {
      expect(await connected(tier)).toBe(true);
      expect(await tier.set('slow', { bytes: new Uint8Array([1, 2, 3]), storedAt: 1 })).toBe(true);
      // The server stops answering for 2 s.
      await sleeper.call('CLIENT', 'PAUSE', '2000', 'ALL');
      await new Promise((r) => setTimeout(r, 50));
      const started = performance.now();
      expect(await tier.get('slow')).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(1_200);
      expect(tier.failures).toBeGreaterThan(0);
      expect(tier.available).toBe(false); // the breaker is open: no more waiting on it
      expect(await waitFor(async () => (await tier.get('slow'))?.bytes.length === 3, 5_000)).toBe(true);
    } finally {
      sleeper.disconnect();
      await tier.close();
      server.kill();
      dir.remove();
    }
  });

  it('reads as a miss, quickly, when its Redis is unreachable', async () => {
    const tier = new RedisTier({ url: `redis://127.0.0.1:${await freePort()}`, prefix });
    try {
      const started = performance.now();
      expect(await tier.get('x')).toBeUndefined();
      expect(await tier.set('x', { bytes: new Uint8Array(3), storedAt: 0 })).toBe(false);
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      await tier.close();
    }
  });
});

describe('edges sharing Redis', () => {
  const dirs = [tempDir('redis-a'), tempDir('redis-b')];
  let a: RunningEdge;
  let b: RunningEdge;
  beforeAll(async () => {
    const common = {
      PORT: '0',
      DEVNET_SHARDS: '100',
      DEVNET_NODES: '11',
      LOG_LEVEL: 'silent',
      REDIS_URL,
      REDIS_PREFIX: prefix,
    };
    a = await startEdge(loadConfig({ ...common, DATA_DIR: dirs[0]!.path }));
    // The second edge reads the first one's devnet, as two instances in front of one network would.
    b = await startEdge(loadConfig({ ...common, DATA_DIR: dirs[1]!.path, DEVNET_DIR: a.devnet!.dir }));
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    for (const dir of dirs) dir.remove();
  });

  it('serves from Redis what another edge reconstructed, and what it had before a restart', async () => {
    const data = randomBytes(150_000, 83);
    const { blobId } = await storeOnDevnet(a.devnet!, data);
    const first = await fetch(`${a.url}/v1/blobs/${blobId}`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    await first.arrayBuffer();
    // The Redis write is fire-and-forget: give it a moment.
    await new Promise((r) => setTimeout(r, 300));
    const other = await fetch(`${b.url}/v1/blobs/${blobId}`);
    expect(other.headers.get('x-cache')).toBe('HIT-REDIS');
    expect(new Uint8Array(await other.arrayBuffer())).toEqual(data);
    // Now in b's memory.
    expect((await fetch(`${b.url}/v1/blobs/${blobId}`, { method: 'HEAD' })).headers.get('x-cache')).toBe(
      'HIT-MEMORY',
    );

    // A restarted edge has an empty memory but finds the blob in Redis.
    await b.stop();
    b = await startEdge(
      loadConfig({
        PORT: '0',
        DATA_DIR: dirs[1]!.path,
        DEVNET_DIR: a.devnet!.dir,
        LOG_LEVEL: 'silent',
        REDIS_URL,
        REDIS_PREFIX: prefix,
      }),
    );
    const afterRestart = await fetch(`${b.url}/v1/blobs/${blobId}`);
    expect(afterRestart.headers.get('x-cache')).toBe('HIT-REDIS');
    expect(new Uint8Array(await afterRestart.arrayBuffer())).toEqual(data);
    expect(await (await fetch(`${b.url}/readyz`)).json()).toMatchObject({ ready: true, redis: 'up' });
    expect(await (await fetch(`${b.url}/metrics`)).text()).toMatch(/walrus_edge_cache_redis_up 1/);
  });
});

describe('an edge whose Redis dies mid-load', () => {
  let redis: RedisServer;
  let testEdge: TestEdge;
  let edge: RunningEdge;
  const dir = tempDir('redis-dies');
  beforeAll(async () => {
    redis = await startRedisServer(dir.path);
    testEdge = await startTestEdge({
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      // Small memory tier, so most requests need Redis or the storage nodes.
      CACHE_MEMORY_BYTES: '1',
    });
    edge = testEdge.edge;
  });
  afterAll(async () => {
    redis?.kill();
    await testEdge?.stop();
    dir.remove();
  });

  it('loses no request', async () => {
    const blobs = [];
    for (let i = 0; i < 3; i++) {
      const data = randomBytes(40_000, 85 + 2 * i);
      blobs.push({ data, ...(await storeOnDevnet(edge.devnet!, data)) });
    }
    const results: boolean[] = [];
    const load = (async () => {
      for (let round = 0; round < 30; round++) {
        const responses = await Promise.all(blobs.map((b) => fetch(`${edge.url}/v1/blobs/${b.blobId}`)));
        for (const [i, response] of responses.entries()) {
          const body = new Uint8Array(await response.arrayBuffer());
          results.push(response.status === 200 && Buffer.from(body).equals(Buffer.from(blobs[i]!.data)));
        }
        if (round === 10) redis.kill();
      }
    })();
    await load;
    expect(results).toHaveLength(90);
    expect(results.every(Boolean)).toBe(true);
    // Redis is gone: reported, not fatal.
    const ready = await fetch(`${edge.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, redis: 'down' });
    expect(await (await fetch(`${edge.url}/metrics`)).text()).toMatch(/walrus_edge_cache_redis_up 0/);

    // Redis comes back on its address: the edge finds it by itself and uses it again.
    redis = await startRedisServer(dir.path, [], redis.port);
    const back = async () =>
      ((await (await fetch(`${edge.url}/readyz`)).json()) as { redis: string }).redis === 'up';
    const until = Date.now() + 15_000;
    while (!(await back()) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(await back()).toBe(true);
    const blob = blobs[0]!;
    const tiers: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${edge.url}/v1/blobs/${blob.blobId}`);
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(blob.data))).toBe(true);
      tiers.push(response.headers.get('x-cache'));
    }
    expect(tiers).toEqual(['MISS', 'HIT-REDIS']);
  });
});

describe('one reconstruction across instances', () => {
  const dirs = [tempDir('flight-a'), tempDir('flight-b')];
  const flightPrefix = `${prefix}flight:`;
  let a: RunningEdge;
  let b: RunningEdge;
  beforeAll(async () => {
    const common = { PORT: '0', LOG_LEVEL: 'silent', REDIS_URL, REDIS_PREFIX: flightPrefix };
    a = await startEdge(
      loadConfig({ ...common, DATA_DIR: dirs[0]!.path, DEVNET_SHARDS: '100', DEVNET_NODES: '11' }),
    );
    b = await startEdge(loadConfig({ ...common, DATA_DIR: dirs[1]!.path, DEVNET_DIR: a.devnet!.dir }));
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    for (const dir of dirs) dir.remove();
  });

  it('turns concurrent cold requests at two edges sharing Redis into one reconstruction', async () => {
    const data = randomBytes(300_000, 89);
    const { blobId } = await storeOnDevnet(a.devnet!, data);
    const before = await nodeRequests(a.devnet!, 'sliver');
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/v1/blobs/${blobId}`)),
    );
    const bodies = await Promise.all(responses.map(async (r) => Buffer.from(await r.arrayBuffer())));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(bodies.every((body) => body.equals(Buffer.from(data)))).toBe(true);
    // One reconstruction needs the 34 systematic slivers at n=100; two would need 68.
    expect((await nodeRequests(a.devnet!, 'sliver')) - before).toBeLessThanOrEqual(34 + 2);
  });
});

describe('an edge on a devnet whose epochs follow a clock', () => {
  const clockPrefix = `${prefix}clock:`;
  let testEdge: TestEdge;
  let edge: RunningEdge;
  beforeAll(async () => {
    testEdge = await startTestEdge({ DEVNET_EPOCH_MS: '4000', REDIS_URL, REDIS_PREFIX: clockPrefix });
    edge = testEdge.edge;
  });
  afterAll(async () => {
    await testEdge?.stop();
  });

  it('keeps a blob in Redis and memory until its end epoch begins, and not a moment longer', async () => {
    const { blobId } = await storeOnDevnet(edge.devnet!, randomBytes(20_000, 86), { epochs: 2 });
    const first = await fetch(`${edge.url}/v1/blobs/${blobId}`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    await first.arrayBuffer();

    const chain = new DevnetChainClient(edge.devnet!.chainUrl);
    const [state, { objects }] = await Promise.all([chain.state(), chain.blobsById(blobId)]);
    const endEpoch = Math.max(...objects.map((o) => o.storage.endEpoch));
    const endsAt = state.epochStartedAtMs + (endEpoch - state.epoch) * 4_000;
    const redis = new Redis(REDIS_URL);
    try {
      const ttl = await redis.pttl(`${clockPrefix}blob:{${blobId}}`);
      expect(ttl).toBeGreaterThan(0);
      expect(Math.abs(Date.now() + ttl - endsAt)).toBeLessThan(1_000);
    } finally {
      redis.disconnect();
    }
    expect((await fetch(`${edge.url}/v1/blobs/${blobId}`, { method: 'HEAD' })).headers.get('x-cache')).toBe(
      'HIT-MEMORY',
    );

    // Past the end, before any epoch event can have arrived: the entry is gone by its clock alone.
    await new Promise((r) => setTimeout(r, endsAt - Date.now() + 20));
    const after = await fetch(`${edge.url}/v1/blobs/${blobId}`, { method: 'HEAD' });
    // (The storage nodes may stop serving it too: then a 404 without X-Cache.)
    expect(after.headers.get('x-cache') ?? 'none').not.toMatch(/^HIT/);
  });
});
