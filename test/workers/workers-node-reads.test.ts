// The Workers tier reading Walrus itself (src/workers/node-reads.ts): `wrangler dev` runs the Worker in
// workerd with NETWORK=devnet and no origin edge at all; it reads the committee from the devnet's Sui
// gRPC endpoint (grpc-web), the slivers from its storage nodes, and answers with the edge's own app.
// Witnesses: the storage nodes' request counters (a miss reads them, a repeat does not) and the bytes
// (against what was stored, with corrupt and missing slivers forcing the Worker to verify and decode).
import { encodeQuilt } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, storeOnDevnet, startTestDevnet } from '../support/devnet.ts';
import { nodeReads, nodeReadsDuring } from '../support/witnesses.ts';
import { startWorkersTier, type WorkersTier } from '../support/workers-tier.ts';

let devnet: RunningDevnet;
let tier: WorkersTier;
const stored: { blobId: string; bytes: Uint8Array }[] = [];
const files = [
  { identifier: 'sprites/hero.bin', contents: randomBytes(12_000, 7_800) },
  { identifier: 'notes.txt', contents: new TextEncoder().encode('level 1: the walrus wakes') },
];
let quilt: { quiltId: string; patchIds: string[] };

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  for (const [i, size] of [40_000, 120_000, 777].entries()) {
    const bytes = randomBytes(size, 7_700 + i);
    stored.push({ blobId: (await storeOnDevnet(devnet, bytes)).blobId, bytes });
  }
  const layout = encodeQuilt({ blobs: files, numShards: 100 });
  const quiltId = (await storeOnDevnet(devnet, layout.quilt)).blobId;
  quilt = {
    quiltId,
    patchIds: files.map((file) => {
      const patch = layout.index.patches.find((p) => p.identifier === file.identifier)!;
      return formatQuiltPatchId({
        quiltId: parseBlobId(quiltId),
        startIndex: patch.startIndex,
        endIndex: patch.endIndex,
      });
    }),
  };
  tier = await startWorkersTier({
    NETWORK: 'devnet',
    SUI_URL: devnet.suiUrl,
    WALRUS_SYSTEM_OBJECT: devnet.packageConfig.systemObjectId,
    WALRUS_STAKING_OBJECT: devnet.packageConfig.stakingPoolId,
    ORIGINS: '',
  });
}, 180_000);

afterAll(async () => {
  await tier?.stop();
  await devnet?.stop();
});

async function body(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

describe('the Workers tier reading the storage nodes itself', () => {
  it('rebuilds a blob from the nodes on a miss, and serves the repeat from its cache without them', async () => {
    const { blobId, bytes } = stored[0]!;
    const { result: first, reads } = await nodeReadsDuring(devnet, async () => {
      const response = await fetch(`${tier.url}/v1/blobs/${blobId}`);
      return { status: response.status, headers: response.headers, bytes: await body(response) };
    });
    expect(first.status).toBe(200);
    expect(first.bytes).toEqual(bytes);
    expect(first.headers.get('etag')).toBe(`"${blobId}"`);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(reads.metadata).toBeGreaterThan(0);
    expect(reads.sliver).toBeGreaterThan(0);

    // Once the cache has it (the put runs after the answer), repeats and ranges cost the nodes nothing.
    let settled = false;
    for (let i = 0; i < 50 && !settled; i++) {
      const { reads: again } = await nodeReadsDuring(devnet, async () =>
        body(await fetch(`${tier.url}/v1/blobs/${blobId}`)),
      );
      settled = again.metadata === 0 && again.sliver === 0;
    }
    expect(settled).toBe(true);
    const { result: range, reads: rangeReads } = await nodeReadsDuring(devnet, async () => {
      const response = await fetch(`${tier.url}/v1/blobs/${blobId}`, { headers: { range: 'bytes=5-1004' } });
      return { status: response.status, bytes: await body(response) };
    });
    expect(range.status).toBe(206);
    expect(range.bytes).toEqual(bytes.subarray(5, 1005));
    expect(rangeReads).toEqual({ metadata: 0, sliver: 0 });
  });

  it('verifies every sliver and decodes with walrus-wasm in workerd when nodes send corrupt slivers or are down', async () => {
    const { blobId, bytes } = stored[1]!;
    const [corruptA, corruptB, down] = devnet.committee.nodes;
    try {
      await postFault(corruptA!.url, 'corrupt-slivers');
      await postFault(corruptB!.url, 'corrupt-slivers');
      await postFault(down!.url, 'down');
      const before = await nodeReads(devnet);
      const response = await fetch(`${tier.url}/v1/blobs/${blobId}`);
      expect(response.status).toBe(200);
      expect(await body(response)).toEqual(bytes);
      const after = await nodeReads(devnet);
      expect(after.sliver - before.sliver).toBeGreaterThan(0);
    } finally {
      for (const node of [corruptA, corruptB, down]) await postFault(node!.url, 'ok');
    }
  });

  it('reads quilt patches by identifier and by patch ID, as the official aggregator answers them', async () => {
    for (const [i, file] of files.entries()) {
      const byIdentifier = await fetch(
        `${tier.url}/v1/blobs/by-quilt-id/${quilt.quiltId}/${file.identifier}`,
      );
      expect(byIdentifier.status, file.identifier).toBe(200);
      expect(await body(byIdentifier)).toEqual(file.contents);
      const byPatchId = await fetch(`${tier.url}/v1/blobs/by-quilt-patch-id/${quilt.patchIds[i]}`);
      expect(byPatchId.status).toBe(200);
      expect(byPatchId.headers.get('etag')).toBe(`"${quilt.patchIds[i]}"`);
      expect(decodeURIComponent(byPatchId.headers.get('x-quilt-patch-identifier')!)).toBe(file.identifier);
      expect(await body(byPatchId)).toEqual(file.contents);
    }
    const text = await fetch(`${tier.url}/v1/blobs/by-quilt-id/${quilt.quiltId}/notes.txt`);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    await text.arrayBuffer();
  });

  it('answers what the edge answers for a blob no one stored and for a malformed ID', async () => {
    const missing = await fetch(`${tier.url}/v1/blobs/${'A'.repeat(42)}E`);
    expect(missing.status).toBe(404);
    expect(
      ((await missing.json()) as { error: { details: { reason: string }[] } }).error.details[0]!.reason,
    ).toBe('BLOB_NOT_FOUND');
    const malformed = await fetch(`${tier.url}/v1/blobs/not-a-blob-id`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: number } }).error.code).toBe(400);
    // A patch of a blob that is no quilt: the quilt reader refuses it, as on the edge.
    const patchId = formatQuiltPatchId({
      quiltId: Uint8Array.from(Buffer.from(stored[2]!.blobId, 'base64url')) as never,
      startIndex: 1,
      endIndex: 2,
    });
    const patch = await fetch(`${tier.url}/v1/blobs/by-quilt-patch-id/${patchId}`);
    expect(patch.status).toBeGreaterThanOrEqual(400);
    expect(patch.status).toBeLessThan(500);
    await patch.arrayBuffer();
  });

  it('reports its network and committee at /status, read from Sui', async () => {
    const status = (await (await fetch(`${tier.url}/status`)).json()) as {
      network: string;
      nShards: number;
      storageNodes: number;
    };
    expect(status).toMatchObject({ network: 'devnet', nShards: 100, storageNodes: 11 });
  });
});
