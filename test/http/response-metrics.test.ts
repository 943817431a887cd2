// Bytes served and the time to the first and last byte (src/http/metrics.ts), by route and cache
// result, for the fast path and the app alike — each proven by a witness outside the edge: the bytes
// the client received, summed, against the counter; a miss told from a hit by the storage nodes' own
// request counters; a Redis hit by a second edge that never read the blob (its memory is empty, the
// nodes were not asked, Redis holds the bytes); the times bounded by the client's own clock.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { bytesInRedis, nodeReadsDuring } from '../support/witnesses.ts';
import { startTestEdge, type TestEdge } from './http-helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `walrus-edge-test:response-metrics:${process.pid}:${Date.now()}:`;
const ROUTE = '/v1/blobs/:blobId';

let a: TestEdge;
/** A second edge on a's devnet, sharing its Redis. */
let b: TestEdge;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  a = await startTestEdge({ REDIS_URL, REDIS_PREFIX: PREFIX });
  b = await startTestEdge({ DEVNET_DIR: a.devnet.dir, REDIS_URL, REDIS_PREFIX: PREFIX });
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

/** Every sample of an edge's /metrics, by `name{labels}`. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

const series = (name: string, route: string, cache: string) => `${name}{route="${route}",cache="${cache}"}`;
const BYTES = 'walrus_edge_http_response_bytes_total';
const FIRST = 'walrus_edge_http_first_byte_seconds';
const LAST = 'walrus_edge_http_last_byte_seconds';

/** What changed in each series between two scrapes (absent = 0). */
function delta(before: Map<string, number>, after: Map<string, number>, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

/** One request: the body's length as received, and how long it took by the test's clock (s). */
async function received(url: string, init: RequestInit = {}) {
  const started = performance.now();
  const response = await fetch(url, init);
  const length = (await response.arrayBuffer()).byteLength;
  return { response, length, seconds: (performance.now() - started) / 1000 };
}

describe('bytes served and time to first and last byte', () => {
  it('counts every body by how the read stack obtained it: miss, memory (both paths), Redis, none', async () => {
    const data = randomBytes(150_000, 31);
    const { blobId } = await storeOnDevnet(a.devnet, data);
    const blobUrl = `${a.url}/v1/blobs/${blobId}`;
    const beforeA = await scrape(a.url);
    const beforeB = await scrape(b.url);

    // A miss: the nodes were asked.
    const { result: miss, reads: missReads } = await nodeReadsDuring(a.devnet, () => received(blobUrl));
    expect(missReads.sliver).toBeGreaterThan(0);
    expect(miss.length).toBe(data.length);

    // Memory hits, none of which reaches a node: the fast path (whole, one range, HEAD) and the app
    // (a query parameter the route ignores sends the request through it).
    const { result: hits, reads: hitReads } = await nodeReadsDuring(a.devnet, async () => [
      await received(blobUrl),
      await received(blobUrl, { headers: { range: 'bytes=100-1099' } }),
      await received(blobUrl, { method: 'HEAD' }),
      await received(`${blobUrl}?via=app`),
    ]);
    expect(hitReads).toEqual({ metadata: 0, sliver: 0 });
    expect(hits.map((hit) => hit.response.status)).toEqual([200, 206, 200, 200]);
    expect(hits.map((hit) => hit.length)).toEqual([data.length, 1000, 0, data.length]);

    // A Redis hit: the other edge has never read the blob, Redis holds it, and no node is asked.
    await expect.poll(() => bytesInRedis(redis, PREFIX, blobId), { timeout: 5_000 }).toEqual(data);
    const { result: shared, reads: sharedReads } = await nodeReadsDuring(a.devnet, () =>
      received(`${b.url}/v1/blobs/${blobId}`),
    );
    expect(sharedReads).toEqual({ metadata: 0, sliver: 0 });
    expect(shared.length).toBe(data.length);

    // Answers not read through the cache: a refused ID on the same route, and a status page.
    const refused = await received(`${a.url}/v1/blobs/not-a-blob-id`);
    expect(refused.response.status).toBe(400);
    const status = await received(`${a.url}/status`);
    expect(status.length).toBeGreaterThan(0);

    // The last byte is observed once Node's response has finished, which the client may see first.
    let afterA = beforeA;
    let afterB = beforeB;
    await expect
      .poll(async () => {
        [afterA, afterB] = await Promise.all([scrape(a.url), scrape(b.url)]);
        return [
          delta(beforeA, afterA, series(`${LAST}_count`, ROUTE, 'miss')),
          delta(beforeA, afterA, series(`${LAST}_count`, ROUTE, 'memory')),
          delta(beforeB, afterB, series(`${LAST}_count`, ROUTE, 'redis')),
        ];
      })
      .toEqual([1, hits.length, 1]);
    const bytesOf = (cache: string, route = ROUTE) => delta(beforeA, afterA, series(BYTES, route, cache));
    expect(bytesOf('miss')).toBe(miss.length);
    expect(bytesOf('memory')).toBe(hits.reduce((sum, hit) => sum + hit.length, 0));
    expect(bytesOf('redis')).toBe(0);
    expect(delta(beforeB, afterB, series(BYTES, ROUTE, 'redis'))).toBe(shared.length);
    expect(bytesOf('none')).toBe(refused.length);
    expect(bytesOf('none', '/status')).toBe(status.length);

    // One observation per answer, in each histogram, under the same labels as its bytes.
    const answered: [{ url: string }, typeof beforeA, typeof afterA, string, (typeof hits)[number][]][] = [
      [a, beforeA, afterA, 'miss', [miss]],
      [a, beforeA, afterA, 'memory', hits],
      [b, beforeB, afterB, 'redis', [shared]],
    ];
    for (const [edge, before, after, cache, answers] of answered) {
      for (const name of [FIRST, LAST])
        expect(
          delta(before, after, series(`${name}_count`, ROUTE, cache)),
          `${edge.url} ${name} ${cache}`,
        ).toBe(answers.length);
      // Within what the client measured around each answer, the first byte before the last.
      const first = delta(before, after, series(`${FIRST}_sum`, ROUTE, cache));
      const last = delta(before, after, series(`${LAST}_sum`, ROUTE, cache));
      expect(first).toBeGreaterThan(0);
      expect(last).toBeGreaterThanOrEqual(first);
      expect(last).toBeLessThanOrEqual(answers.reduce((sum, answer) => sum + answer.seconds, 0));
    }
  });
});
