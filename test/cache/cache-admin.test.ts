// The operator's handles on the cache: stats, purge, warm and pin (Bearer ADMIN_TOKEN), /readyz and
// the cache metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEdge } from '../../src/main.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { nodeReadsDuring } from '../support/witnesses.ts';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let edge: RunningEdge;
let testEdge: TestEdge;

beforeAll(async () => {
  testEdge = await startTestEdge({
    ADMIN_TOKEN: TOKEN,
    // Room for one 60 kB blob at a time, so the LRU must evict and pinning must matter.
    CACHE_MEMORY_BYTES: '100000',
  });
  edge = testEdge.edge;
});
afterAll(async () => {
  await testEdge?.stop();
});

/** A HEAD's X-Cache, and whether the storage nodes were asked (`nodes`) or not (`none`). */
const xcache = async (blobId: string) => {
  const { result, reads } = await nodeReadsDuring(edge.devnet!, async () =>
    (await fetch(`${edge.url}/v1/blobs/${blobId}`, { method: 'HEAD' })).headers.get('x-cache'),
  );
  return `${result} ${reads.metadata + reads.sliver > 0 ? 'nodes' : 'none'}`;
};

describe('cache administration', () => {
  it('warms and pins blobs, purges them, and reports stats', async () => {
    const [a, b, c] = [91, 93, 95].map((seed) => randomBytes(60_000, seed));
    const ids = [];
    for (const data of [a!, b!, c!]) ids.push((await storeOnDevnet(edge.devnet!, data)).blobId);
    const [idA, idB, idC] = ids as [string, string, string];

    const unauthorized = await fetch(`${edge.url}/v1/admin/cache/warm`, { method: 'POST', body: '{}' });
    expect(unauthorized.status).toBe(401);

    const warm = await fetch(`${edge.url}/v1/admin/cache/warm`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [idA, 'not-an-id'], pin: true }),
    });
    expect(await warm.json()).toEqual({
      results: [
        { id: idA, result: 'pinned' },
        { id: 'not-an-id', result: 'invalid-id' },
      ],
    });
    // Filling b and then c would evict b from a 100 kB LRU; the pinned a stays.
    await (await fetch(`${edge.url}/v1/blobs/${idB}`)).arrayBuffer();
    await (await fetch(`${edge.url}/v1/blobs/${idC}`)).arrayBuffer();
    expect(await xcache(idA)).toBe('HIT-MEMORY none');
    expect(await xcache(idB)).toBe('MISS nodes');
    expect(await xcache(idC)).toBe('HIT-MEMORY none');

    const stats = (await (await fetch(`${edge.url}/v1/admin/cache`, { headers: auth })).json()) as {
      memory: { pinned: number; entries: number; bytes: number };
      fills: number;
      redis: unknown;
    };
    expect(stats.memory.pinned).toBe(1);
    expect(stats.memory.bytes).toBeGreaterThanOrEqual(120_000);
    expect(stats.fills).toBeGreaterThanOrEqual(3);
    expect(stats.redis).toBeNull();

    const purge = await fetch(`${edge.url}/v1/admin/cache/${idA}`, { method: 'DELETE', headers: auth });
    expect(purge.status).toBe(204);
    expect(await xcache(idA)).toBe('MISS nodes');
    expect((await fetch(`${edge.url}/v1/admin/cache/nope`, { method: 'DELETE', headers: auth })).status).toBe(
      400,
    );
  });

  it('is ready once the committee is known, and says Redis is not configured', async () => {
    const ready = await fetch(`${edge.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      redis: 'not configured',
      committee: { nodes: 11 },
    });
  });

  it('exports cache metrics', async () => {
    const text = await (await fetch(`${edge.url}/metrics`)).text();
    expect(text).toMatch(/walrus_edge_cache_memory_bytes [1-9]\d*/);
    expect(text).toMatch(/walrus_edge_cache_memory_lookups_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/walrus_edge_cache_fills_total [1-9]/);
    expect(text).not.toMatch(/walrus_edge_cache_redis_up \d/);
  });
});
