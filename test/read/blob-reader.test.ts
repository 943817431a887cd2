import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { inlineCodec } from '../../src/codec/codec.ts';
import { computeBlobId } from '../../src/codec/blob-id-of.ts';
import { BlobReader } from '../../src/read/blob-reader.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { pairForShard, shardForPair } from '../../src/protocol/sliver-layout.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { nodeRequests, postFault, startTestDevnet, storeOnDevnet } from '../support/devnet.ts';
import { countsAt, rowsCovering } from '../support/node-stats.ts';

let devnet: RunningDevnet;
let reader: BlobReader;

function newReader(overrides: Partial<ConstructorParameters<typeof BlobReader>[0]> = {}) {
  return new BlobReader({
    committeeFor: async () => devnet.committee,
    codec: inlineCodec(),
    maxBlobSize: 100 * 1024 * 1024,
    deadlineMs: 10_000,
    requestTimeoutMs: 3_000,
    hedgeDelayMs: 300,
    ...overrides,
  });
}

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  reader = newReader();
});
afterAll(async () => {
  await devnet?.stop();
});

describe('BlobReader', () => {
  it('reads a blob from the systematic slivers only', async () => {
    const data = randomBytes(500_000, 21);
    const { blobId } = await storeOnDevnet(devnet, data);
    const result = await reader.read(blobId);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.bytes).toEqual(data);
    expect(result.summary.stats?.decoded).toBe(false);
    expect(result.summary.stats?.sliverRequests).toBe(34);
  });

  it('reads a byte range from only the slivers that cover it', async () => {
    const data = randomBytes(500_000, 22);
    const { blobId } = await storeOnDevnet(devnet, data);
    const result = await reader.read(blobId, { start: 100_000, end: 100_010 });
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.bytes).toEqual(data.subarray(100_000, 100_010));
    expect(result.summary.stats?.sliverRequests).toBe(1);
  });

  it('survives a down node and a corrupting node by decoding from spare slivers', async () => {
    const data = randomBytes(300_000, 23);
    const { blobId } = await storeOnDevnet(devnet, data);
    const [a, b] = [devnet.committee.nodes[1]!, devnet.committee.nodes[4]!];
    try {
      await postFault(a.url, 'down');
      await postFault(b.url, 'corrupt-slivers');
      const result = await newReader().read(blobId);
      expect(result.kind).toBe('ok');
      if (result.kind !== 'ok') return;
      expect(result.bytes).toEqual(data);
      expect(result.summary.stats?.decoded).toBe(true);
      expect(result.summary.stats?.invalidSlivers).toBeGreaterThan(0);
    } finally {
      await postFault(a.url, 'ok');
      await postFault(b.url, 'ok');
    }
  });

  it('reports not-found for an unknown blob', async () => {
    const result = await reader.metadata('M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk');
    expect(result.kind).toBe('not-found');
  });
});

describe('BlobReader streaming, cancellation and checks', () => {
  it('sends the first bytes before the last sliver has arrived', async () => {
    // The node holding the blob's last row (33) stalls for 3 s; no hedging, so the read waits for it.
    // Which node that is depends on the blob ID: take bytes whose first row lives elsewhere. A stalling
    // devnet node counts a request only once it serves it, so its counter is the witness: still
    // unchanged when the first bytes are out, raised by the rows it holds once the last byte is.
    const holder = (id: string, pair: number) =>
      devnet.committee.nodes.find((node) => node.shards.includes(shardForPair(pair, parseBlobId(id), 100)))!;
    let data = randomBytes(500_000, 24);
    for (let seed = 25; holder(computeBlobId(data, 100), 33) === holder(computeBlobId(data, 100), 0); seed++)
      data = randomBytes(500_000, seed);
    const { blobId } = await storeOnDevnet(devnet, data);
    const slowReader = newReader({ hedgeDelayMs: 10_000, requestTimeoutMs: 10_000 });
    const meta = await slowReader.metadata(blobId);
    if (meta.kind !== 'ok') throw new Error(meta.kind);
    const lastRowNode = holder(blobId, 33);
    const rowsOnIt = rowsCovering(data.length, 100).filter((row) => holder(blobId, row) === lastRowNode);
    const served = async () => (await countsAt(devnet.committee))[lastRowNode.name]!.sliver ?? 0;
    await postFault(lastRowNode.url, 'slow', 3_000);
    try {
      const before = await served();
      const result = await slowReader.stream(meta);
      if (result.kind !== 'ok') throw new Error(result.kind);
      const reader = result.body.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      expect(await served()).toBe(before);
      const chunks = [first.value!];
      for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
      expect(await served()).toBe(before + rowsOnIt.length);
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(data));
    } finally {
      await postFault(lastRowNode.url, 'ok');
    }
  });

  it('stops fetching slivers when the caller aborts', async () => {
    // Every node stalls for 2 s; the caller aborts after 100 ms. Marker: a probe request to a node,
    // sent just before the read, which comes back when the stall ends: the read must answer first (it
    // waited for no stalled request). And the nodes must never serve the dropped requests (a stalling
    // devnet node serves and counts a request only if its client still waits): checked once a second
    // probe, sent after the answer, is back — its stall ends after theirs would have.
    const data = randomBytes(300_000, 25);
    const { blobId } = await storeOnDevnet(devnet, data);
    const meta = await reader.metadata(blobId);
    if (meta.kind !== 'ok') throw new Error(meta.kind);
    const probed = devnet.committee.nodes[0]!;
    const probePair = pairForShard(probed.shards[0]!, parseBlobId(blobId), 100);
    const probe = () => fetch(`${probed.url}/v1/blobs/${blobId}/slivers/${probePair}/primary`);
    await Promise.all(devnet.committee.nodes.map((n) => postFault(n.url, 'slow', 2_000)));
    try {
      const before = await nodeRequests(devnet, 'sliver');
      const early = probe();
      const controller = new AbortController();
      const pending = reader.stream(meta, { signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      const firstDone = await Promise.race([pending.then(() => 'read'), early.then(() => 'probe')]);
      expect(firstDone).toBe('read');
      expect((await pending).kind).toBe('unavailable');
      const late = probe();
      expect([(await early).status, (await late).status]).toEqual([200, 200]);
      expect(await nodeRequests(devnet, 'sliver')).toBe(before + 2);
    } finally {
      await Promise.all(devnet.committee.nodes.map((n) => postFault(n.url, 'ok')));
    }
  });

  it('refuses blobs over the configured maximum with too-large', async () => {
    const { blobId } = await storeOnDevnet(devnet, randomBytes(20_000, 26));
    const result = await newReader({ maxBlobSize: 10_000 }).metadata(blobId);
    expect(result).toMatchObject({ kind: 'too-large', size: 20_000, limit: 10_000 });
  });

  it('reads in strict and skip consistency modes, decoding or not', async () => {
    const data = randomBytes(200_000, 27);
    const { blobId } = await storeOnDevnet(devnet, data);
    for (const consistency of ['strict', 'skip'] as const) {
      const result = await reader.read(blobId, { consistency, start: 1_000, end: 150_000 });
      expect(result.kind).toBe('ok');
      if (result.kind === 'ok') expect(result.bytes).toEqual(data.subarray(1_000, 150_000));
    }
  });
});
