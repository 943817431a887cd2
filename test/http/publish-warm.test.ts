// PUBLISH_WARM_CACHE: a blob published at one edge is in the shared Redis tier at once, so another
// edge sharing that Redis serves it without a single request to the storage nodes. Witnesses: the
// blob's bytes in Redis under the documented keys, and the nodes' own request counters.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import type { RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';
import { putNewlyCreated, readCounted, startPublishingEdge } from '../support/publishing.ts';
import { bytesInRedis } from '../support/witnesses.ts';
import { waitFor } from './http-helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `walrus-edge-test:publish-warm:${process.pid}:${Date.now()}:`;
let devnet: RunningDevnet;
let publisher: RunningEdge;
let reader: RunningEdge;
const dirs = [tempDir('publish-warm-a'), tempDir('publish-warm-b')];
let redis: Redis;

const edgeOn = (dataDir: string, warm: 'true' | 'false') =>
  startPublishingEdge(devnet, dataDir, { PUBLISH_WARM_CACHE: warm, REDIS_URL, REDIS_PREFIX: prefix });
const redisUp = (edge: RunningEdge) => async () =>
  ((await (await fetch(`${edge.url}/readyz`)).json()) as { redis: string }).redis === 'up';

const publish = async (edge: RunningEdge, data: Uint8Array) =>
  (await putNewlyCreated(edge, '?epochs=2', data)).blobObject.blobId;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 7, shards: 100 });
  redis = new Redis(REDIS_URL);
  [publisher, reader] = await Promise.all([edgeOn(dirs[0]!.path, 'true'), edgeOn(dirs[1]!.path, 'false')]);
  expect(await waitFor(redisUp(publisher), 10_000)).toBe(true);
  expect(await waitFor(redisUp(reader), 10_000)).toBe(true);
});
afterAll(async () => {
  await publisher?.stop();
  await reader?.stop();
  await devnet?.stop();
  for (const dir of dirs) dir.remove();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('a published blob warms the shared cache', () => {
  it('is in Redis at once, and another edge serves it with no request to the nodes', async () => {
    const data = randomBytes(40_000, 1401);
    const blobId = await publish(publisher, data);
    expect(await waitFor(async () => (await bytesInRedis(redis, prefix, blobId)) !== undefined, 5_000)).toBe(
      true,
    );
    expect(await bytesInRedis(redis, prefix, blobId)).toEqual(data);

    const read = await readCounted(reader, devnet, blobId);
    expect(read.status).toBe(200);
    expect(read.bytes).toEqual(data);
    expect(read.counted.total('sliver')).toBe(0);
    expect(read.counted.total('metadata')).toBe(0);
  });

  it('with PUBLISH_WARM_CACHE=false nothing is cached by publishing: the first read reconstructs', async () => {
    const data = randomBytes(20_000, 1402);
    // The reader edge does not warm: publish through it.
    const blobId = await publish(reader, data);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await bytesInRedis(redis, prefix, blobId)).toBeUndefined();
    const read = await readCounted(publisher, devnet, blobId);
    expect(read.bytes).toEqual(data);
    expect(read.counted.total('sliver')).toBeGreaterThan(0);
  });
});
