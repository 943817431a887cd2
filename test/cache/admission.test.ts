// Admission keeps the hot set: one scan of cold large blobs must not flush it, while a large blob that
// is asked for again does get cached. What is cached is told by the storage nodes' counters: a hit
// costs them no request, a miss does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEdge } from '../../src/main.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { nodeReadsDuring } from '../support/witnesses.ts';

let edge: RunningEdge;
let testEdge: TestEdge;

beforeAll(async () => {
  testEdge = await startTestEdge({ CACHE_MEMORY_BYTES: '1500000' });
  edge = testEdge.edge;
});
afterAll(async () => {
  await testEdge?.stop();
});

/** X-Cache, and whether the storage nodes were asked (`nodes`) or not (`none`). */
const get = async (blobId: string) => {
  const { result, reads } = await nodeReadsDuring(edge.devnet!, async () => {
    const response = await fetch(`${edge.url}/v1/blobs/${blobId}`);
    await response.arrayBuffer();
    return response.headers.get('x-cache');
  });
  return `${result} ${reads.metadata + reads.sliver > 0 ? 'nodes' : 'none'}`;
};

describe('cache admission', () => {
  it('survives a scan of large cold blobs with its hot set intact', async () => {
    const hot: string[] = [];
    for (let i = 0; i < 5; i++)
      hot.push((await storeOnDevnet(edge.devnet!, randomBytes(100_000, 301 + 2 * i))).blobId);
    const large: string[] = [];
    for (let i = 0; i < 4; i++)
      large.push((await storeOnDevnet(edge.devnet!, randomBytes(400_000, 401 + 2 * i))).blobId);

    for (const id of hot) expect(await get(id)).toBe('MISS nodes');
    for (const id of hot) expect(await get(id)).toBe('HIT-MEMORY none');
    // One pass over 1.6 MB of large blobs: more than the whole 1.5 MB budget.
    for (const id of large) expect(await get(id)).toBe('MISS nodes');
    for (const id of hot) expect(await get(id)).toBe('HIT-MEMORY none');

    // Asked for again, a large blob is admitted.
    expect(await get(large[0]!)).toBe('MISS nodes');
    expect(await get(large[0]!)).toBe('HIT-MEMORY none');
  });
});
