// The Redis tier against the real Redis (127.0.0.1:6379, as CI provides): shared between edges, kept
// across restarts, never the reason a request fails (not when its server hangs under load, not when it
// is killed with requests in flight), and never serving a blob the chain has deleted or expired. The
// evidence comes from outside the edge: the storage nodes' request counters (a hit costs them nothing),
// Redis's own keys, TTLs and stats through connections of the test's own, and the chain's state.
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, RedisTier } from '../../src/cache/redis-tier.ts';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { nodeRequests, startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { freePort } from '../support/free-port.ts';
import { startRedisServer, type RedisServer } from '../support/redis-servers.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import {
  blobKeys,
  bytesInRedis,
  chainLife,
  nodeReads,
  nodeReadsDuring,
  storedKeys,
  ttlProblems,
  type NodeReads,
} from '../support/witnesses.ts';
import { waitFor } from '../http/http-helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `walrus-edge-test:${process.pid}:${Date.now()}:`;
/** The cap on an entry's life in Redis when the chain gives its blob no end time (README: 7 days). */
const CAP_MS = 7 * 24 * 3600 * 1000;
const NO_READS: NodeReads = { metadata: 0, sliver: 0 };

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

/** GET through an edge: status, X-Cache and the body's bytes. */
async function read(url: string, blobId: string, init: RequestInit = {}) {
  const response = await fetch(`${url}/v1/blobs/${blobId}`, init);
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, tier: response.headers.get('x-cache'), body };
}

/**
 * Resolves once the edge is connected to its Redis (/readyz says so). A just-started edge waits only a
 * moment for Redis and otherwise reads from the nodes: asking it earlier would prove nothing.
 */
async function usingRedis(edge: RunningEdge): Promise<RunningEdge> {
  const up = async () =>
    ((await (await fetch(`${edge.url}/readyz`)).json()) as { redis: string }).redis === 'up';
  expect(await waitFor(up, 10_000)).toBe(true);
  return edge;
}

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** `INFO stats` of a Redis server, as numbers. */
async function redisStats(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('stats');
  return Object.fromEntries(
    info
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), Number(line.slice(line.indexOf(':') + 1))]),
  );
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
      const expiresAt = Date.now() + 60_000;
      const from = Date.now();
      expect(await tier.set('blob-t', { bytes, storedAt: Date.now(), endEpoch: 5, expiresAt })).toBe(true);
      const to = Date.now();
      const keys = await blobKeys(redis, prefix, 'blob-t');
      expect(keys).toEqual([
        `${prefix}blob:{blob-t}`,
        `${prefix}blob:{blob-t}:0`,
        `${prefix}blob:{blob-t}:1`,
      ]);
      // Every key ends at expiresAt, as Redis counts: no earlier, and no later than the write's delay.
      expect(await ttlProblems(redis, keys, expiresAt, { from, to })).toEqual([]);
      expect((await tier.get('blob-t'))?.expiresAt).toBe(expiresAt);
      // A blob already ended is not stored at all.
      expect(await tier.set('blob-u', { bytes, storedAt: Date.now(), expiresAt: Date.now() - 1 })).toBe(
        false,
      );
      expect(await blobKeys(redis, prefix, 'blob-u')).toEqual([]);
      // Without an end time the cap applies (7 days by default).
      const capFrom = Date.now();
      expect(await tier.set('blob-v', { bytes: bytes.subarray(0, 10), storedAt: Date.now() })).toBe(true);
      const capTo = Date.now();
      const capKeys = await blobKeys(redis, prefix, 'blob-v');
      expect(capKeys).toHaveLength(2);
      expect(await ttlProblems(redis, capKeys, capFrom + CAP_MS, { from: capFrom, to: capTo })).toEqual([]);
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
    const witness = new Redis(server.port, '127.0.0.1');
    try {
      expect(await connected(tier)).toBe(true);
      expect(await witness.ping()).toBe('PONG');
      expect(await tier.set('slow', { bytes: new Uint8Array([1, 2, 3]), storedAt: 1 })).toBe(true);
      // The server stops answering for 2 s. The witness's PING, sent now, is answered only at the end.
      await sleeper.call('CLIENT', 'PAUSE', '2000', 'ALL');
      const order: string[] = [];
      const redisAnswered = witness.ping().then(() => order.push('redis'));
      const tierAnswer = await tier.get('slow');
      order.push('tier');
      const breakerOpen = !tier.available; // the breaker is open: no more waiting on it
      await redisAnswered;
      // The tier gave up (a miss) before Redis itself answered anything.
      expect(tierAnswer).toBeUndefined();
      expect(order).toEqual(['tier', 'redis']);
      expect(tier.failures).toBeGreaterThan(0);
      expect(breakerOpen).toBe(true);
      expect(await waitFor(async () => (await tier.get('slow'))?.bytes.length === 3, 5_000)).toBe(true);
    } finally {
      sleeper.disconnect();
      witness.disconnect();
      await tier.close();
      server.kill();
      dir.remove();
    }
  });

  it('reads as a miss, without waiting, when its Redis is unreachable', async () => {
    const tier = new RedisTier({ url: `redis://127.0.0.1:${await freePort()}`, prefix });
    try {
      // The first call may give a just-started tier its moment to connect; it finds nothing there.
      expect(await tier.get('x')).toBeUndefined();
      // From then on nothing waits on Redis: a thousand calls settle before the event loop's next turn,
      // so none of them waited for a socket or a timer.
      let settled = 0;
      const calls = Array.from({ length: 1_000 }, (_, i) =>
        (i % 2 ? tier.get('x') : tier.set('x', { bytes: new Uint8Array(3), storedAt: 0 })).finally(
          () => settled++,
        ),
      );
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(1_000);
      const results = await Promise.all(calls);
      expect(results.every((result, i) => (i % 2 ? result === undefined : result === false))).toBe(true);
      expect(tier.available).toBe(false);
    } finally {
      await tier.close();
    }
  });
});

describe('edges sharing Redis', () => {
  const dirs = [tempDir('redis-a'), tempDir('redis-b')];
  let a: RunningEdge;
  let b: RunningEdge;
  const redis = new Redis(REDIS_URL);
  beforeAll(async () => {
    const common = {
      PORT: '0',
      DEVNET_SHARDS: '100',
      DEVNET_NODES: '11',
      LOG_LEVEL: 'silent',
      REDIS_URL,
      REDIS_PREFIX: prefix,
      // Far more than the default 250 ms. Twice on CI (2026-12-02, with 250 ms and with 1 s) Redis
      // never held the variant; not reproduced locally. The likely cause: these edges run inside the
      // test's process, beside its encoding and a devnet, and on a loaded 2-core machine that event
      // loop stalls; a command whose answer and deadline come due in one stall loses to its timer
      // (timers run before I/O), the failure opens the breaker, and the next writes are skipped.
      REDIS_COMMAND_TIMEOUT_MS: '5000',
    };
    a = await startEdge(loadConfig({ ...common, DATA_DIR: dirs[0]!.path }));
    // The second edge reads the first one's devnet, as two instances in front of one network would.
    b = await startEdge(loadConfig({ ...common, DATA_DIR: dirs[1]!.path, DEVNET_DIR: a.devnet!.dir }));
    await Promise.all([usingRedis(a), usingRedis(b)]);
  });
  afterAll(async () => {
    redis.disconnect();
    await b?.stop();
    await a?.stop();
    for (const dir of dirs) dir.remove();
  });

  it('serves from Redis what another edge reconstructed, and what it had before a restart', async () => {
    const data = randomBytes(150_000, 83);
    const { blobId } = await storeOnDevnet(a.devnet!, data);
    const first = await read(a.url, blobId);
    expect(first.tier).toBe('MISS');
    expect(first.body).toEqual(data);
    // By Redis's own account, it holds the blob's bytes now.
    expect(await waitFor(async () => (await bytesInRedis(redis, prefix, blobId)) !== undefined, 5_000)).toBe(
      true,
    );
    expect(await bytesInRedis(redis, prefix, blobId)).toEqual(data);

    // b never read this blob, so its memory cannot hold it; it answers with no storage-node read.
    const other = await nodeReadsDuring(a.devnet!, () => read(b.url, blobId));
    expect(other.reads).toEqual(NO_READS);
    expect(other.result.body).toEqual(data);
    expect(other.result.tier).toBe('HIT-REDIS');
    // Now in b's memory.
    const head = await nodeReadsDuring(a.devnet!, () => read(b.url, blobId, { method: 'HEAD' }));
    expect(head.reads).toEqual(NO_READS);
    expect(head.result.tier).toBe('HIT-MEMORY');

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
        REDIS_COMMAND_TIMEOUT_MS: '5000',
      }),
    );
    await usingRedis(b);
    const afterRestart = await nodeReadsDuring(a.devnet!, () => read(b.url, blobId));
    expect(afterRestart.reads).toEqual(NO_READS);
    expect(afterRestart.result.body).toEqual(data);
    expect(afterRestart.result.tier).toBe('HIT-REDIS');
    expect(await (await fetch(`${b.url}/readyz`)).json()).toMatchObject({ ready: true });
    expect(await metric(b.url, 'walrus_edge_cache_redis_up')).toBe(1);
  });

  it('serves from Redis an image variant another edge made, reading nothing from the nodes', async () => {
    const photo = new Uint8Array(
      await sharp({ create: { width: 800, height: 600, channels: 3, background: '#884422' } })
        .jpeg()
        .toBuffer(),
    );
    const { blobId } = await storeOnDevnet(a.devnet!, photo);
    const path = `/v1/blobs/${blobId}?w=64&format=webp`;
    const made = await fetch(`${a.url}${path}`);
    const variant = new Uint8Array(await made.arrayBuffer());
    expect(made.headers.get('content-type')).toBe('image/webp');
    const key = `${blobId}~w64.h0.inside.q0.webp`;
    expect(made.headers.get('etag')).toBe(`"${key}"`);
    // By Redis's own account, it holds the variant's bytes under its key; if not, the edge's count of
    // failed Redis operations says whether its breaker had skipped the write.
    const held = await waitFor(async () => (await bytesInRedis(redis, prefix, key)) !== undefined, 5_000);
    const failures = held ? 0 : await metric(a.url, 'walrus_edge_cache_redis_failures_total');
    expect(held, `not in Redis; the edge counted ${failures} failed Redis operations`).toBe(true);
    expect(await bytesInRedis(redis, prefix, key)).toEqual(variant);

    const other = await nodeReadsDuring(a.devnet!, async () => {
      const response = await fetch(`${b.url}${path}`);
      return { tier: response.headers.get('x-cache'), body: new Uint8Array(await response.arrayBuffer()) };
    });
    expect(other.reads).toEqual(NO_READS);
    expect(other.result).toEqual({ tier: 'HIT-REDIS', body: variant });
  });
});

describe('an edge whose Redis hangs or dies under load', () => {
  // The edge's read deadline, and each request's: a request that waited for a hanging Redis to come
  // back (PAUSE_MS) would blow it.
  const DEADLINE_MS = 4_000;
  const PAUSE_MS = 8_000;
  let redis: RedisServer;
  let testEdge: TestEdge;
  const dir = tempDir('redis-load');
  const blobs: { blobId: string; data: Uint8Array }[] = [];
  const loadPrefix = 'load:';
  beforeAll(async () => {
    redis = await startRedisServer(dir.path);
    testEdge = await startTestEdge({
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      REDIS_PREFIX: loadPrefix,
      // Nothing fits in memory: every answer comes from Redis or from the storage nodes.
      CACHE_MEMORY_BYTES: '1',
      READ_DEADLINE_MS: String(DEADLINE_MS),
      // Well under the deadline, but more than the default 250 ms: on a loaded 2-core CI machine a
      // healthy Redis answered a chunk slower than that once, and the hit went to the nodes.
      REDIS_COMMAND_TIMEOUT_MS: '1000',
    });
    await usingRedis(testEdge.edge);
    for (let i = 0; i < 3; i++) {
      const data = randomBytes(40_000, 85 + 2 * i);
      blobs.push({ data, blobId: (await storeOnDevnet(testEdge.devnet, data)).blobId });
    }
  });
  afterAll(async () => {
    redis?.kill();
    await testEdge?.stop();
    dir.remove();
  });

  /**
   * Every blob is in Redis by Redis's own account, and one round of reads is answered with no
   * storage-node read and with Redis counting the lookups: the edge is serving from Redis.
   */
  async function servedFromRedis(): Promise<void> {
    const direct = new Redis(redis.port, '127.0.0.1');
    try {
      for (const blob of blobs) {
        const answer = await read(testEdge.url, blob.blobId);
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual(blob.data);
      }
      for (const blob of blobs) {
        await storedKeys(direct, loadPrefix, blob.blobId, 1);
        expect(await bytesInRedis(direct, loadPrefix, blob.blobId)).toEqual(blob.data);
      }
      const quiet = await waitFor(async () => {
        const hitsBefore = (await redisStats(direct)).keyspace_hits!;
        const round = await nodeReadsDuring(testEdge.devnet, async () => {
          for (const blob of blobs) {
            const answer = await read(testEdge.url, blob.blobId);
            if (answer.status !== 200 || !Buffer.from(answer.body).equals(Buffer.from(blob.data)))
              return false;
          }
          return true;
        });
        const hits = (await redisStats(direct)).keyspace_hits! - hitsBefore;
        // Each answer from Redis looks up the record and its chunk: two hits at least.
        return (
          round.result && round.reads.sliver === 0 && round.reads.metadata === 0 && hits >= 2 * blobs.length
        );
      }, 15_000);
      expect(quiet).toBe(true);
    } finally {
      direct.disconnect();
    }
  }

  interface Answer {
    started: number;
    ended: number;
    ok: boolean;
    problem?: string;
  }

  /**
   * `workers` clients, each reading the blobs in turn until `stop()` says so, every request with the
   * deadline; answers land in `answers` as they come. `clock` orders starts, ends and outside events
   * (ticks, not milliseconds).
   */
  async function load(workers: number, answers: Answer[], stop: () => boolean, onAnswer?: () => void) {
    const run = async (worker: number) => {
      for (let i = 0; !stop(); i++) {
        const blob = blobs[(worker + i) % blobs.length]!;
        const started = ++clock.now;
        clock.inFlight++;
        try {
          const response = await fetch(`${testEdge.url}/v1/blobs/${blob.blobId}`, {
            signal: AbortSignal.timeout(DEADLINE_MS),
          });
          const body = Buffer.from(await response.arrayBuffer());
          const ok = response.status === 200 && body.equals(Buffer.from(blob.data));
          answers.push({
            started,
            ended: ++clock.now,
            ok,
            problem: ok ? undefined : `HTTP ${response.status}`,
          });
        } catch (error) {
          answers.push({ started, ended: ++clock.now, ok: false, problem: String(error) });
        } finally {
          clock.inFlight--;
        }
        onAnswer?.();
      }
    };
    await Promise.all(Array.from({ length: workers }, (_, w) => run(w)));
    return answers;
  }
  const clock = { now: 0, inFlight: 0 };

  it('keeps answering, from the nodes and within the deadline, while its Redis hangs', async () => {
    await servedFromRedis();
    const sleeper = new Redis(redis.port, '127.0.0.1');
    const witness = new Redis(redis.port, '127.0.0.1');
    try {
      expect(await witness.ping()).toBe('PONG');
      const before = await nodeReads(testEdge.devnet);
      // Redis stops answering anyone. The witness's PING, sent now, comes back when it answers again.
      await sleeper.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
      let back: number | undefined;
      const redisBack = witness.ping().then(() => (back = ++clock.now));
      const answers = await load(4, [], () => back !== undefined);
      await redisBack;
      const after = await nodeReads(testEdge.devnet);

      expect(answers.filter((a) => !a.ok).map((a) => a.problem)).toEqual([]);
      // Answered, and many of them, while Redis itself answered nothing at all.
      expect(answers.filter((a) => a.ended < back!).length).toBeGreaterThanOrEqual(8);
      // ...by the storage nodes.
      expect(after.metadata).toBeGreaterThan(before.metadata);
      expect(after.sliver).toBeGreaterThan(before.sliver);
    } finally {
      sleeper.disconnect();
      witness.disconnect();
    }
    // Redis answers again: the edge goes back to it by itself (after its breaker's pause).
    await servedFromRedis();
  });

  it('loses no request when its Redis is killed with requests in flight, after serving hits', async () => {
    await servedFromRedis();
    const before = await nodeReads(testEdge.devnet);
    const WORKERS = 6;
    const answers: Answer[] = [];
    let killedAt: number | undefined;
    let inFlightAtKill = 0;
    await load(
      WORKERS,
      answers,
      () => killedAt !== undefined && answers.filter((a) => a.started > killedAt!).length >= 30,
      () => {
        // Killed from an answer's callback, 20 answers in: the other workers' requests are in flight
        // at that moment (each worker asks again as soon as it has its answer).
        if (killedAt !== undefined || answers.length < 20) return;
        redis.kill();
        killedAt = ++clock.now;
        inFlightAtKill = clock.inFlight;
      },
    );
    const after = await nodeReads(testEdge.devnet);

    expect(answers.filter((a) => !a.ok).map((a) => a.problem)).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(50);
    expect(inFlightAtKill).toBeGreaterThan(0);
    // Requests that were in flight when Redis died were answered, with the right bytes.
    expect(answers.filter((a) => a.started < killedAt! && a.ended > killedAt!).length).toBeGreaterThan(0);
    // Once Redis was gone, the storage nodes answered.
    expect(after.sliver).toBeGreaterThan(before.sliver);

    // Redis is gone: reported, not fatal.
    const ready = await fetch(`${testEdge.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, redis: 'down' });
    expect(await metric(testEdge.url, 'walrus_edge_cache_redis_up')).toBe(0);

    // Redis comes back (empty) on its address: the edge finds it by itself and uses it again.
    redis = await startRedisServer(dir.path, [], redis.port);
    const up = async () =>
      ((await (await fetch(`${testEdge.url}/readyz`)).json()) as { redis: string }).redis === 'up';
    expect(await waitFor(up, 15_000)).toBe(true);
    const blob = blobs[0]!;
    const refill = await nodeReadsDuring(testEdge.devnet, () => read(testEdge.url, blob.blobId));
    expect(refill.result.body).toEqual(blob.data);
    expect(refill.reads.sliver).toBeGreaterThan(0); // the new Redis was empty
    const direct = new Redis(redis.port, '127.0.0.1');
    try {
      await storedKeys(direct, loadPrefix, blob.blobId, 1);
      expect(await bytesInRedis(direct, loadPrefix, blob.blobId)).toEqual(blob.data);
    } finally {
      direct.disconnect();
    }
    const hit = await nodeReadsDuring(testEdge.devnet, () => read(testEdge.url, blob.blobId));
    expect(hit.result.body).toEqual(blob.data);
    expect(hit.reads).toEqual(NO_READS);
    expect([refill.result.tier, hit.result.tier]).toEqual(['MISS', 'HIT-REDIS']);
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
    await Promise.all([usingRedis(a), usingRedis(b)]);
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
  const freshDir = tempDir('clock-fresh');
  let fresh: RunningEdge | undefined;
  const redis = new Redis(REDIS_URL);
  beforeAll(async () => {
    // 8 s epochs: a 2-epoch blob must outlive its own store (slower on a loaded machine) with room to spare.
    testEdge = await startTestEdge({ DEVNET_EPOCH_MS: '8000', REDIS_URL, REDIS_PREFIX: clockPrefix });
    edge = await usingRedis(testEdge.edge);
  });
  afterAll(async () => {
    redis.disconnect();
    await fresh?.stop();
    await testEdge?.stop();
    freshDir.remove();
  });

  it('keeps a blob in Redis and memory until its end epoch begins, and not a moment longer', async () => {
    const data = randomBytes(20_000, 86);
    const { blobId } = await storeOnDevnet(edge.devnet!, data, { epochs: 2 });
    const from = Date.now();
    const first = await read(edge.url, blobId);
    expect(first.tier).toBe('MISS');
    expect(first.body).toEqual(data);
    const { keys, seenAt } = await storedKeys(redis, clockPrefix, blobId, 1);

    // The end as the chain's own state tells it: epoch, its start, the duration, the blob's end epoch.
    const life = await chainLife(edge.devnet!, blobId);
    expect(life.endsAtMs).toBeGreaterThan(Date.now());
    const endsAt = life.endsAtMs;
    // Redis's own TTLs of the record and the chunk end exactly then (the write's delay aside).
    expect(keys).toEqual([`${clockPrefix}blob:{${blobId}}`, `${clockPrefix}blob:{${blobId}}:0`]);
    expect(await ttlProblems(redis, keys, endsAt, { from, to: seenAt })).toEqual([]);
    const hit = await nodeReadsDuring(edge.devnet!, () => read(edge.url, blobId, { method: 'HEAD' }));
    expect(hit.reads).toEqual(NO_READS);
    expect(hit.result.tier).toBe('HIT-MEMORY');

    // Past the end, before any epoch event can have arrived: the entry is gone by its clock alone.
    await new Promise((r) => setTimeout(r, endsAt - Date.now() + 20));
    const after = await read(edge.url, blobId, { method: 'HEAD' });
    // (The storage nodes may still serve it until the chain ticks: then a 200 MISS.)
    expect(after.tier ?? 'none').not.toMatch(/^HIT/);
    // Redis forgot it by itself.
    expect(await blobKeys(redis, clockPrefix, blobId)).toEqual([]);
    // Once the chain has moved on, the blob is gone everywhere: here, and at a fresh edge on this Redis.
    expect(await waitFor(async () => (await read(edge.url, blobId)).status === 404, 5_000)).toBe(true);
    fresh = await startEdge(
      loadConfig({
        PORT: '0',
        DATA_DIR: freshDir.path,
        DEVNET_DIR: edge.devnet!.dir,
        LOG_LEVEL: 'silent',
        REDIS_URL,
        REDIS_PREFIX: clockPrefix,
      }),
    );
    await usingRedis(fresh);
    const atFresh = await read(fresh.url, blobId);
    expect([atFresh.status, atFresh.tier ?? 'none']).toEqual([404, expect.not.stringMatching(/^HIT/)]);
  });
});

describe('a blob deleted or expired on chain, for edges sharing Redis (epochs on command)', () => {
  const lifePrefix = `${prefix}life:`;
  const redis = new Redis(REDIS_URL);
  let devnet: RunningDevnet;
  let a: RunningEdge;
  const running = new Set<RunningEdge>();
  const dirs: ReturnType<typeof tempDir>[] = [];
  /** Each edge's Redis key prefix: edges with the same one share their entries. */
  const prefixOf = new Map<RunningEdge, string>();
  /** An edge on the shared devnet and Redis; the same `dataDir` again = that edge restarted. */
  async function edgeAt(dataDir?: ReturnType<typeof tempDir>, keyPrefix = lifePrefix): Promise<RunningEdge> {
    const dir = dataDir ?? tempDir('life');
    if (!dirs.includes(dir)) dirs.push(dir);
    const edge = await startEdge(
      loadConfig({
        PORT: '0',
        DATA_DIR: dir.path,
        DEVNET_DIR: devnet.dir,
        LOG_LEVEL: 'silent',
        REDIS_URL,
        REDIS_PREFIX: keyPrefix,
      }),
    );
    running.add(edge);
    prefixOf.set(edge, keyPrefix);
    return usingRedis(edge);
  }
  async function stopEdge(edge: RunningEdge): Promise<void> {
    running.delete(edge);
    await edge.stop();
  }
  beforeAll(async () => {
    devnet = await startTestDevnet({ nodes: 11, shards: 100 });
    a = await edgeAt();
  });
  afterAll(async () => {
    redis.disconnect();
    for (const edge of running) await edge.stop();
    for (const dir of dirs) dir.remove();
    await devnet?.stop();
  });

  /**
   * Caches a new blob at `edge`: a MISS, then, by Redis's account, its bytes with the chain's end epoch
   * and (epochs follow no clock here) the 7-day cap as TTL; and a memory hit that costs the nodes nothing.
   */
  async function cachedAt(
    edge: RunningEdge,
    data: Uint8Array,
    options: { epochs?: number; deletable?: boolean },
  ) {
    const stored = await storeOnDevnet(devnet, data, options);
    const keyPrefix = prefixOf.get(edge)!;
    const from = Date.now();
    const first = await read(edge.url, stored.blobId);
    expect(first.tier).toBe('MISS');
    expect(first.body).toEqual(data);
    const { keys, seenAt } = await storedKeys(redis, keyPrefix, stored.blobId, 1);
    expect(await bytesInRedis(redis, keyPrefix, stored.blobId)).toEqual(data);
    const life = await chainLife(devnet, stored.blobId);
    const record = JSON.parse((await redis.get(`${keyPrefix}blob:{${stored.blobId}}`))!) as {
      endEpoch: number;
    };
    expect(record.endEpoch).toBe(life.endEpoch);
    // Epochs on command are announced on Sui as days: the keys end then, or at the 7-day cap.
    expect(
      await ttlProblems(redis, keys, Math.min(life.endsAtMs, from + CAP_MS), { from, to: seenAt }),
    ).toEqual([]);
    const hit = await nodeReadsDuring(devnet, () => read(edge.url, stored.blobId));
    expect(hit.reads).toEqual(NO_READS);
    expect(hit.result.body).toEqual(data);
    return { ...stored, endEpoch: life.endEpoch };
  }

  /** A 404, and from no cache tier. */
  async function expectGone(edge: RunningEdge, blobId: string): Promise<void> {
    const answer = await read(edge.url, blobId);
    expect({ status: answer.status, tier: answer.tier ?? 'none' }).toEqual({
      status: 404,
      tier: expect.not.stringMatching(/^HIT-(MEMORY|REDIS)$/),
    });
  }

  it('serves a deleted blob from no tier: not here, not at a fresh edge, and Redis forgets it', async () => {
    const stored = await cachedAt(a, randomBytes(30_000, 601), { deletable: true });
    await stored.chain.deleteBlob(stored.objectId, stored.sender);
    // The deletion event reaches the edge (it polls the chain), which purges memory and Redis.
    expect(await waitFor(async () => (await read(a.url, stored.blobId)).status === 404, 5_000)).toBe(true);
    expect(
      await waitFor(async () => (await blobKeys(redis, lifePrefix, stored.blobId)).length === 0, 3_000),
    ).toBe(true);
    await expectGone(await edgeAt(), stored.blobId);
    await expectGone(a, stored.blobId);
  });

  it('serves a blob deleted while no edge was running from no tier', async () => {
    // An edge caches the blob, then goes away (a restart, a deploy); the deletion happens meanwhile.
    // Its entries are its own (a key prefix no running edge uses), so no other edge hears the
    // deletion on their behalf.
    const ownPrefix = `${lifePrefix}restarted:`;
    const dir = tempDir('life-restarted');
    const first = await edgeAt(dir, ownPrefix);
    const stored = await cachedAt(first, randomBytes(30_000, 603), { deletable: true });
    await stopEdge(first);
    await stored.chain.deleteBlob(stored.objectId, stored.sender);
    // The storage nodes know: none of them serves its metadata any more.
    const statuses = await Promise.all(
      devnet.committee.nodes.map(
        async (node) => (await fetch(`${node.url}/v1/blobs/${stored.blobId}/metadata`)).status,
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([404]));
    // Edges started after the deletion, a new one and the old one restarted, share its entries.
    await expectGone(await edgeAt(undefined, ownPrefix), stored.blobId);
    await expectGone(await edgeAt(dir, ownPrefix), stored.blobId);
  });

  it('serves an expired blob from no tier: not at a fresh edge, not here', async () => {
    const stored = await cachedAt(a, randomBytes(30_000, 605), { epochs: 1 });
    const chain = stored.chain;
    while ((await chain.state()).epoch < stored.endEpoch) await chain.advanceEpoch();
    // Wait until this edge has heard of the new epoch (its memory entry is then purged).
    expect(
      await waitFor(
        async () => (await metric(a.url, 'walrus_edge_cache_chain_epoch')) >= stored.endEpoch,
        5_000,
      ),
    ).toBe(true);
    // A fresh edge first (asking this one first would let it clear Redis on the way), then this one.
    await expectGone(await edgeAt(), stored.blobId);
    await expectGone(a, stored.blobId);
  });
});
