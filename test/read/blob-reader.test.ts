import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { inlineCodec } from '../../src/codec/codec.ts';
import { computeBlobId } from '../../src/codec/blob-id-of.ts';
import { BlobReader } from '../../src/read/blob-reader.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { shardForPair } from '../../src/protocol/sliver-layout.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { nodeRequests, postFault, startTestDevnet, storeOnDevnet } from '../support/devnet.ts';

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
    // The node holding the blob's last row (33) answers 1.5 s late; no hedging, so the read waits for
    // it. Which node that is depends on the blob ID: take bytes whose first row lives elsewhere.
    const holder = (id: string, pair: number) =>
      devnet.committee.nodes.find((node) => node.shards.includes(shardForPair(pair, parseBlobId(id), 100)))!;
    let data = randomBytes(500_000, 24);
    for (let seed = 25; holder(computeBlobId(data, 100), 33) === holder(computeBlobId(data, 100), 0); seed++)
      data = randomBytes(500_000, seed);
    const { blobId } = await storeOnDevnet(devnet, data);
    const slowReader = newReader({ hedgeDelayMs: 10_000 });
    const meta = await slowReader.metadata(blobId);
    if (meta.kind !== 'ok') throw new Error(meta.kind);
    const lastRowNode = holder(blobId, 33);
    await postFault(lastRowNode.url, 'slow', 1_500);
    try {
      const started = performance.now();
      const result = await slowReader.stream(meta);
      if (result.kind !== 'ok') throw new Error(result.kind);
      const reader = result.body.getReader();
      const first = await reader.read();
      const firstAt = performance.now() - started;
      const chunks = [first.value!];
      for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
      const lastAt = performance.now() - started;
      expect(firstAt).toBeLessThan(1_000);
      expect(lastAt).toBeGreaterThanOrEqual(1_400);
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(data));
    } finally {
      await postFault(lastRowNode.url, 'ok');
    }
  });

  it('stops fetching slivers when the caller aborts', async () => {
    const data = randomBytes(300_000, 25);
    const { blobId } = await storeOnDevnet(devnet, data);
    const meta = await reader.metadata(blobId);
    if (meta.kind !== 'ok') throw new Error(meta.kind);
    await Promise.all(devnet.committee.nodes.map((n) => postFault(n.url, 'slow', 800)));
    try {
      const before = await nodeRequests(devnet, 'sliver');
      const controller = new AbortController();
      const pending = reader.stream(meta, { signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      const started = performance.now();
      const result = await pending;
      expect(result.kind).toBe('unavailable');
      expect(performance.now() - started).toBeLessThan(500);
      // The nodes saw every request dropped before they served a single sliver.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await nodeRequests(devnet, 'sliver')).toBe(before);
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
