// Byzantine and slow nodes, using the devnet's fault endpoint: up to f shards' worth of misbehaving
// nodes never change a byte of what the reader returns; too many unreachable nodes give a clean,
// prompt "unavailable" instead of a hang.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { codecPool } from '../../src/codec/codec-pool.ts';
import type { Codec } from '../../src/codec/codec.ts';
import { encodingParams } from '../../src/protocol/encoding.ts';
import { BlobReader } from '../../src/read/blob-reader.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { pairForShard } from '../../src/protocol/sliver-layout.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, startTestDevnet, storeOnDevnet } from '../support/devnet.ts';
import { countsAt, countsDelta } from '../support/node-stats.ts';

const N = 100;
const { f, primarySymbols: P } = encodingParams(N);
let devnet: RunningDevnet;
let codec: Codec;
let blobId: string;
let data: Uint8Array;

function freshReader(deadlineMs = 8_000, requestTimeoutMs = 1_500) {
  return new BlobReader({
    committeeFor: async () => devnet.committee,
    codec,
    maxBlobSize: 1 << 30,
    deadlineMs,
    requestTimeoutMs,
    hedgeDelayMs: 250,
  });
}

/**
 * A sliver request of our own to a stalled node, sent now: it comes back when the node's stall ends.
 * The marker the reader's answer must beat.
 */
function probeStall(node: { url: string; shards: number[] }): Promise<Response> {
  const pair = pairForShard(node.shards[0]!, parseBlobId(blobId), N);
  return fetch(`${node.url}/v1/blobs/${blobId}/slivers/${pair}/primary`);
}

/** Which of two promises settles first. */
function firstOf(a: Promise<unknown>, b: Promise<unknown>): Promise<'first' | 'second'> {
  const settled = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      () => undefined,
    );
  return Promise.race([settled(a).then(() => 'first' as const), settled(b).then(() => 'second' as const)]);
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

  it('does not wait for slow nodes: spare slivers replace them', async () => {
    // Nodes holding up to f shards stall for 5 s, and the reader's request timeout (10 s) is longer:
    // only hedging can spare it the wait. Witnesses: the read answers before a probe sent to a stalled
    // node at the start comes back; the live nodes served at least P slivers (decoding needs P
    // verified ones, and the stalled nodes delivered none); and the stalled nodes never serve what the
    // reader asked them (a stalling devnet node serves and counts a request only if its client still
    // waits), checked once a second probe, sent after the answer, is back: every request of the
    // reader's reached the nodes before it, so its stall ended first.
    const { nodes } = nodesWithin(f);
    const stalled = new Set(nodes.map((node) => node.name));
    for (const node of nodes) await postFault(node.url, 'slow', 5_000);
    const before = await countsAt(devnet.committee);
    const probe = probeStall(nodes[0]!);
    const read = freshReader(20_000, 10_000).read(blobId);
    expect(await firstOf(read, probe)).toBe('first');
    const result = await read;
    const lateProbe = probeStall(nodes[0]!);
    expect(result.kind).toBe('ok');
    if (result.kind === 'ok') expect(result.bytes).toEqual(data);
    expect([(await probe).status, (await lateProbe).status]).toEqual([200, 200]);
    const counted = countsDelta(before, await countsAt(devnet.committee)).perNode('sliver');
    for (const [name, count] of Object.entries(counted)) {
      if (stalled.has(name)) expect(count, name).toBe(name === nodes[0]!.name ? 2 : 0);
    }
    const live = Object.entries(counted).filter(([name]) => !stalled.has(name));
    expect(live.reduce((sum, [, count]) => sum + count, 0)).toBeGreaterThanOrEqual(P);
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

  it('answers unavailable at once, not at its deadline, when too many nodes are unreachable', async () => {
    // 9 of 11 nodes refuse: too few primary slivers remain, and the reader must say so as soon as it
    // knows, not when its deadline (30 s) ends the read. Marker: a timer at a third of the deadline.
    const down = devnet.committee.nodes.slice(0, 9);
    for (const node of down) await postFault(node.url, 'down');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const marker = new Promise((resolve) => (timer = setTimeout(resolve, 10_000)));
    const read = freshReader(30_000).read(blobId);
    try {
      expect(await firstOf(read, marker)).toBe('first');
    } finally {
      clearTimeout(timer);
    }
    expect((await read).kind).toBe('unavailable');
  });

  it('answers unavailable by its deadline when too many nodes hang', async () => {
    // 9 of 11 nodes stall for 5 s; the request timeout (30 s) is longer, so only the read's deadline
    // (2 s) can end it. It must answer before a probe sent to a stalled node at the start comes back,
    // and the stalled nodes must never serve what the reader asked them (the deadline dropped it),
    // checked once a second probe, sent after the answer, is back.
    const slow = devnet.committee.nodes.slice(0, 9);
    for (const node of slow) await postFault(node.url, 'slow', 5_000);
    const before = await countsAt(devnet.committee);
    const probe = probeStall(slow[0]!);
    const read = freshReader(2_000, 30_000).read(blobId);
    expect(await firstOf(read, probe)).toBe('first');
    expect((await read).kind).toBe('unavailable');
    const lateProbe = probeStall(slow[0]!);
    expect([(await probe).status, (await lateProbe).status]).toEqual([200, 200]);
    const counted = countsDelta(before, await countsAt(devnet.committee));
    for (const node of slow) {
      expect(counted.perNode('sliver')[node.name], node.name).toBe(node === slow[0] ? 2 : 0);
      expect(counted.perNode('metadata')[node.name], node.name).toBe(0);
    }
  });

  it('reports blocked when a quorum of nodes block the blob', async () => {
    for (const node of devnet.committee.nodes.slice(0, 9)) await postFault(node.url, 'blocked');
    const result = await freshReader().metadata(blobId);
    expect(result.kind).toBe('blocked');
  });
});
