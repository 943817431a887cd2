// The Redis tier's metrics against Redis itself: a private redis-server with a small maxmemory, whose
// own INFO stats say how many keys it evicted while the test filled it (walrus_edge_cache_redis_evicted_keys),
// and which the test pauses (CLIENT PAUSE) so the edge's next cache lookup and JWT
// claim time out (walrus_edge_redis_errors_total by operation), while reads still answer from the nodes.
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet, tempDir } from '../support/devnet.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { grew, scrape } from '../support/metrics-text.ts';
import { startRedisServer, type RedisServer } from '../support/redis-servers.ts';
import { storedKeys } from '../support/witnesses.ts';

const PREFIX = 'metrics-test:';
const SECRET = 'redis-metrics-test-secret-0123456789';
const dir = tempDir('redis-metrics');
let server: RedisServer;
let redis: Redis;
let edge: TestEdge;
const blobs: { blobId: string; bytes: Uint8Array }[] = [];
const metrics = () => scrape(`${edge.url}/metrics`);

beforeAll(async () => {
  server = await startRedisServer(dir.path, ['--maxmemory', '4mb', '--maxmemory-policy', 'allkeys-lru']);
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  edge = await startTestEdge({
    REDIS_URL: `redis://127.0.0.1:${server.port}`,
    REDIS_PREFIX: PREFIX,
    PUBLISHER_AUTH: 'jwt',
    JWT_SECRET: SECRET,
  });
  for (const seed of [1, 2]) {
    const bytes = randomBytes(200_000, 3000 + seed);
    blobs.push({ blobId: (await storeOnDevnet(edge.devnet, bytes)).blobId, bytes });
  }
}, 120_000);

afterAll(async () => {
  await edge?.stop();
  redis?.disconnect();
  server?.kill();
  dir.remove();
});

const evictedKeys = async () => Number(/^evicted_keys:(\d+)/m.exec(await redis.info('stats'))![1]);

async function read({ blobId, bytes }: { blobId: string; bytes: Uint8Array }) {
  const response = await fetch(`${edge.url}/v1/blobs/${blobId}`);
  expect(response.status).toBe(200);
  expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
}

describe('the Redis tier', () => {
  it("counts the keys Redis evicted for its maxmemory, as Redis's own INFO counts them", async () => {
    const [stored] = blobs as [(typeof blobs)[0]];
    await read(stored);
    await storedKeys(redis, PREFIX, stored.blobId, 1);
    const before = await metrics();
    const evictedBefore = await evictedKeys();
    // More than maxmemory of other keys: Redis must make room.
    const junk = Buffer.alloc(100_000, 7);
    for (let i = 0; i < 60; i++) await redis.set(`junk:${i}`, junk);
    const evicted = (await evictedKeys()) - evictedBefore;
    expect(evicted).toBeGreaterThan(0);
    const after = await metrics();
    expect(grew(before, after, 'walrus_edge_cache_redis_evicted_keys')).toBe(evicted);
    expect(after.sum('walrus_edge_cache_redis_evicted_keys')).toBe(evictedBefore + evicted);
  });

  it('counts the operations a paused Redis failed, by operation, and still answers from the nodes', async () => {
    const [, fresh] = blobs as [unknown, (typeof blobs)[0]];
    const before = await metrics();
    // Every client but replicas waits until the pause ends; the edge gives up after 250 ms a command.
    await redis.call('CLIENT', 'PAUSE', '3000', 'ALL');
    const started = Date.now();
    await read(fresh);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setJti(crypto.randomUUID())
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const upload = await fetch(`${edge.url}/v1/blobs?epochs=1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${jwt}` },
      body: randomBytes(1_000, 9) as Uint8Array<ArrayBuffer>,
    });
    // The replay guard cannot tell whether the token was used: refused, and retryable.
    expect(upload.status).toBe(503);
    expect(Date.now() - started, 'both ran while Redis was paused').toBeLessThan(3_000);
    const after = await metrics();
    expect(grew(before, after, 'walrus_edge_redis_errors_total', { operation: 'cache_get' })).toBe(1);
    expect(grew(before, after, 'walrus_edge_redis_errors_total', { operation: 'jwt_claim' })).toBe(1);
    expect(grew(before, after, 'walrus_edge_redis_errors_total')).toBe(2);
    // The older, operation-less counter agrees for the cache tier.
    expect(grew(before, after, 'walrus_edge_cache_redis_failures_total')).toBe(1);
  });
});
