// The memory tier behind the HTTP routes, on a real devnet: one reconstruction for a crowd of misses,
// hits with X-Cache and Age, not-found remembered briefly, and no cached blob outliving its deletion
// or its end epoch. A hit is proven by the storage nodes' own counters: it costs them nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBlob } from '../../src/codec/blob-encoder.ts';
import type { RunningEdge } from '../../src/main.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { formatBlobId } from '../../src/protocol/blob-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { nodeRequests, storeOnDevnet } from '../support/devnet.ts';
import { waitFor } from '../http/http-helpers.ts';
import { nodeReadsDuring, type NodeReads } from '../support/witnesses.ts';

const N = 100;
let edge: RunningEdge;
let testEdge: TestEdge;

const NO_READS: NodeReads = { metadata: 0, sliver: 0 };

beforeAll(async () => {
  // A remembered 404 lasts a minute here, so one that ends within a test ended by an event.
  testEdge = await startTestEdge({ NEGATIVE_CACHE_TTL_MS: '60000' });
  edge = testEdge.edge;
});
afterAll(async () => {
  await testEdge?.stop();
});

async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${edge.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? NaN);
}
const purges = (reason: string) => metric(`walrus_edge_cache_chain_purges_total{reason="${reason}"}`);

/** A request to the edge, and the metadata and sliver reads the storage nodes counted for it. */
async function counted(url: string, init: RequestInit = {}) {
  const { result, reads } = await nodeReadsDuring(edge.devnet!, async () => {
    const response = await fetch(url, init);
    return { response, body: new Uint8Array(await response.arrayBuffer()) };
  });
  return { ...result, status: result.response.status, tier: result.response.headers.get('x-cache'), reads };
}

describe('the memory cache behind /v1/blobs', () => {
  it('turns 200 concurrent cold requests into one reconstruction, then serves hits', async () => {
    const data = randomBytes(300_000, 61);
    const { blobId } = await storeOnDevnet(edge.devnet!, data);
    const before = await nodeRequests(edge.devnet!, 'sliver');
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => fetch(`${edge.url}/v1/blobs/${blobId}`)),
    );
    const bodies = await Promise.all(responses.map(async (r) => new Uint8Array(await r.arrayBuffer())));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(bodies.every((b) => Buffer.from(b).equals(Buffer.from(data)))).toBe(true);
    // 300 kB at n=100 needs 34 systematic slivers; a second reconstruction would double that.
    const used = (await nodeRequests(edge.devnet!, 'sliver')) - before;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(34 + 2);

    await new Promise((r) => setTimeout(r, 1_100));
    const hit = await counted(`${edge.url}/v1/blobs/${blobId}`);
    expect(hit.reads).toEqual(NO_READS);
    expect(hit.tier).toBe('HIT-MEMORY');
    expect(Number(hit.response.headers.get('age'))).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(hit.body).equals(Buffer.from(data))).toBe(true);
    // Ranges of a cached blob come from memory too.
    const range = await counted(`${edge.url}/v1/blobs/${blobId}`, { headers: { range: 'bytes=10-19' } });
    expect(range.reads).toEqual(NO_READS);
    expect(range.status).toBe(206);
    expect(range.tier).toBe('HIT-MEMORY');
    expect(range.body).toEqual(data.subarray(10, 20));
  });

  it('fills the whole blob behind a range miss', async () => {
    const data = randomBytes(200_000, 63);
    const { blobId } = await storeOnDevnet(edge.devnet!, data);
    const range = await fetch(`${edge.url}/v1/blobs/${blobId}`, { headers: { range: 'bytes=100-199' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('x-cache')).toBe('MISS');
    expect(new Uint8Array(await range.arrayBuffer())).toEqual(data.subarray(100, 200));
    expect(
      await waitFor(async () => {
        const r = await fetch(`${edge.url}/v1/blobs/${blobId}`, { method: 'HEAD' });
        return r.headers.get('x-cache') === 'HIT-MEMORY';
      }, 4_000),
    ).toBe(true);
    // The whole blob, from memory: not a node is asked.
    const whole = await counted(`${edge.url}/v1/blobs/${blobId}`);
    expect(whole.reads).toEqual(NO_READS);
    expect(whole.body).toEqual(data);
  });

  it('remembers not-found without asking the nodes again, and forgets it once the blob is certified', async () => {
    const data = randomBytes(5_000, 65);
    const blobId = formatBlobId(encodeBlob(data, N).blobId);
    const first = await counted(`${edge.url}/v1/blobs/${blobId}`);
    expect(first.status).toBe(404);
    expect(first.tier).toBeNull();
    expect(first.reads.metadata).toBeGreaterThan(0); // the nodes were asked
    const again = await counted(`${edge.url}/v1/blobs/${blobId}`);
    expect(again.status).toBe(404);
    expect(again.tier).toBe('HIT-NEGATIVE');
    expect(again.reads).toEqual(NO_READS); // remembered: not asked again
    expect(again.response.headers.get('cache-control')).toMatch(/max-age=[1-9]/);
    // The certification event clears the remembered 404: with a minute's TTL, nothing else can within
    // this wait.
    await storeOnDevnet(edge.devnet!, data);
    expect(
      await waitFor(async () => (await fetch(`${edge.url}/v1/blobs/${blobId}`)).status === 200, 10_000),
    ).toBe(true);
  });

  it('never serves a deleted blob from the cache', async () => {
    const data = randomBytes(20_000, 67);
    const stored = await storeOnDevnet(edge.devnet!, data, { deletable: true });
    const url = `${edge.url}/v1/blobs/${stored.blobId}`;
    await (await fetch(url)).arrayBuffer();
    const hit = await counted(url);
    expect(hit.reads).toEqual(NO_READS);
    expect(hit.tier).toBe('HIT-MEMORY');
    const before = await purges('deleted');
    await stored.chain.deleteBlob(stored.objectId, stored.sender);
    expect(await waitFor(async () => (await fetch(url)).status === 404, 4_000)).toBe(true);
    expect(await purges('deleted')).toBe(before + 1);
  });

  it('never serves a blob past its end epoch', async () => {
    const data = randomBytes(20_000, 69);
    const stored = await storeOnDevnet(edge.devnet!, data, { epochs: 1 });
    const url = `${edge.url}/v1/blobs/${stored.blobId}`;
    const first = await fetch(url);
    expect([first.status, await first.text().then((t) => t.slice(0, 200))]).toEqual([
      200,
      expect.any(String),
    ]);
    const hit = await counted(url);
    expect(hit.reads).toEqual(NO_READS);
    expect(hit.tier).toBe('HIT-MEMORY');
    const before = await purges('expired');
    const epoch = edge.devnet!.ledger.advanceEpoch();
    expect(await waitFor(async () => (await fetch(url)).status === 404, 4_000)).toBe(true);
    expect(await purges('expired')).toBeGreaterThan(before);
    expect(await metric('walrus_edge_cache_chain_epoch')).toBe(epoch);
  });

  it('bypasses the cache for strict and skip consistency reads', async () => {
    const data = randomBytes(10_000, 71);
    const { blobId } = await storeOnDevnet(edge.devnet!, data);
    await (await fetch(`${edge.url}/v1/blobs/${blobId}`)).arrayBuffer();
    for (const query of ['strict_consistency_check=true', 'skip_consistency_check=true']) {
      const answer = await counted(`${edge.url}/v1/blobs/${blobId}?${query}`);
      expect(answer.tier, query).toBe('MISS');
      expect(answer.body, query).toEqual(data);
      // Read from the nodes again, though the blob is in memory.
      expect(answer.reads.metadata, query).toBeGreaterThan(0);
      expect(answer.reads.sliver, query).toBeGreaterThan(0);
    }
  });
});
