// Byzantine and slow nodes, using the devnet's fault endpoint: up to f shards' worth of misbehaving
// nodes never change a byte of what the reader returns; too many unreachable nodes give a clean,
// prompt "unavailable" instead of a hang.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { codecPool } from '../../src/codec/codec-pool.ts';
import type { Codec } from '../../src/codec/codec.ts';
import { encodingParams } from '../../src/protocol/encoding.ts';
import { BlobReader } from '../../src/read/blob-reader.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, startTestDevnet, storeOnDevnet } from '../support/devnet.ts';

const N = 100;
const { f } = encodingParams(N);
let devnet: RunningDevnet;
let codec: Codec;
let blobId: string;
let data: Uint8Array;

function freshReader(deadlineMs = 8_000) {
  return new BlobReader({
    committeeFor: async () => devnet.committee,
    codec,
    maxBlobSize: 1 << 30,
    deadlineMs,
    requestTimeoutMs: 1_500,
    hedgeDelayMs: 250,
  });
}

/** Nodes from the end of the list whose shards add up to at most `limit`. */
function nodesWithin(limit: number) {
  const chosen = [];
  let weight = 0;
  for (const node of [...devnet.committee.nodes].reverse()) {
    if (weight + node.shards.length > limit) continue;
    chosen.push(node);
    weight += node.shards.length;
  }
  return { nodes: chosen, weight };
}

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: N });
  codec = codecPool(2);
  data = randomBytes(400_000, 31);
  ({ blobId } = await storeOnDevnet(devnet, data));
});
afterEach(async () => {
  await Promise.all(devnet.committee.nodes.map((node) => postFault(node.url, 'ok')));
});
afterAll(async () => {
  await codec?.close();
  await devnet?.stop();
});

describe('reads under faults', () => {
  for (const mode of ['down', 'corrupt-slivers', 'corrupt-metadata', 'blocked'] as const) {
    it(`returns the right bytes with up to f shards' worth of nodes ${mode}`, async () => {
      const { nodes, weight } = nodesWithin(f);
      expect(weight).toBeGreaterThan(f - 10);
      for (const node of nodes) await postFault(node.url, mode);
      const result = await freshReader().read(blobId);
      expect(result.kind).toBe('ok');
      if (result.kind === 'ok') expect(result.bytes).toEqual(data);
    });
  }

  it('does not wait for slow nodes (2 s): spare slivers replace them', async () => {
    const { nodes } = nodesWithin(f);
    for (const node of nodes) await postFault(node.url, 'slow', 2_000);
    const started = performance.now();
    const result = await freshReader().read(blobId);
    const elapsed = performance.now() - started;
    expect(result.kind).toBe('ok');
    if (result.kind === 'ok') {
      expect(result.bytes).toEqual(data);
      expect(result.summary.stats?.decoded).toBe(true);
    }
    expect(elapsed).toBeLessThan(2_000);
  });

  it('survives a mix of down, slow and corrupting nodes', async () => {
    const { nodes } = nodesWithin(f);
    const modes = ['down', 'slow', 'corrupt-slivers', 'corrupt-metadata'] as const;
    for (const [i, node] of nodes.entries()) await postFault(node.url, modes[i % modes.length]!, 2_000);
    const result = await freshReader().read(blobId);
    expect(result.kind).toBe('ok');
    if (result.kind === 'ok') expect(result.bytes).toEqual(data);
  });

  it('never serves a wrong byte, even when most nodes corrupt their slivers', async () => {
    // More than 2f shards corrupt: too few honest primary slivers remain to decode.
    const corrupt = devnet.committee.nodes.slice(0, 9);
    for (const node of corrupt) await postFault(node.url, 'corrupt-slivers');
    const result = await freshReader(4_000).read(blobId);
    expect(result.kind).toBe('unavailable');
  });

  it('answers unavailable within the deadline when too many nodes are unreachable', async () => {
    const down = devnet.committee.nodes.slice(0, 9);
    for (const node of down) await postFault(node.url, 'down');
    const started = performance.now();
    const result = await freshReader(3_000).read(blobId);
    expect(result.kind).toBe('unavailable');
    expect(performance.now() - started).toBeLessThan(3_500);
  });

  it('answers unavailable within the deadline when too many nodes hang', async () => {
    const slow = devnet.committee.nodes.slice(0, 9);
    for (const node of slow) await postFault(node.url, 'slow', 60_000);
    const started = performance.now();
    const result = await freshReader(2_000).read(blobId);
    expect(result.kind).toBe('unavailable');
    expect(performance.now() - started).toBeLessThan(2_600);
  });

  it('reports blocked when a quorum of nodes block the blob', async () => {
    for (const node of devnet.committee.nodes.slice(0, 9)) await postFault(node.url, 'blocked');
    const result = await freshReader().metadata(blobId);
    expect(result.kind).toBe('blocked');
  });
});
