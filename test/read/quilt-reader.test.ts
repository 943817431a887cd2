import { encodeQuilt } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { inlineCodec } from '../../src/codec/codec.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { BlobReader } from '../../src/read/blob-reader.ts';
import { bytesHandle } from '../../src/read/blob-source.ts';
import { QuiltReader, quiltOpener } from '../../src/read/quilt-reader.ts';
import { reconstructingSource } from '../../src/read/reconstructing-source.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, startTestDevnet, storeOnDevnet } from '../support/devnet.ts';

const N = 100;
let devnet: RunningDevnet;
let quilts: QuiltReader;
let quiltId: string;
const files: { identifier: string; contents: Uint8Array; tags?: Record<string, string> }[] = [
  { identifier: 'cat.png', contents: randomBytes(30_000, 41), tags: { 'content-type': 'image/png' } },
  { identifier: 'notes.txt', contents: new TextEncoder().encode('hello quilt') },
  { identifier: 'big.bin', contents: randomBytes(120_000, 42), tags: { a: '1', b: '2' } },
  { identifier: 'empty', contents: new Uint8Array(0) },
];
let layout: ReturnType<typeof encodeQuilt>;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: N });
  // The official SDK lays the quilt out; we store the bytes and read patches back.
  layout = encodeQuilt({ blobs: files, numShards: N });
  ({ blobId: quiltId } = await storeOnDevnet(devnet, layout.quilt));
  quilts = new QuiltReader(
    quiltOpener(
      reconstructingSource(
        new BlobReader({
          committeeFor: async () => devnet.committee,
          codec: inlineCodec(),
          maxBlobSize: 1 << 30,
          deadlineMs: 10_000,
          requestTimeoutMs: 2_000,
          hedgeDelayMs: 300,
        }),
      ),
    ),
  );
});
afterAll(async () => {
  await devnet?.stop();
});

describe('QuiltReader', () => {
  it('lists the patches of a quilt laid out by the official SDK', async () => {
    const patches = await quilts.patches(quiltId);
    expect(Array.isArray(patches)).toBe(true);
    if (!Array.isArray(patches)) return;
    expect(patches.map((p) => p.identifier)).toEqual(['big.bin', 'cat.png', 'empty', 'notes.txt']);
    for (const [i, patch] of patches.entries()) {
      const official = layout.index.patches[i]!;
      expect([patch.startIndex, patch.endIndex]).toEqual([official.startIndex, official.endIndex]);
    }
    expect(patches[1]!.tags).toEqual({ 'content-type': 'image/png' });
  });

  it('reads each patch by patch ID and by identifier, fetching only its columns', async () => {
    for (const official of layout.index.patches) {
      const file = files.find((f) => f.identifier === official.identifier)!;
      const patchId = formatQuiltPatchId({
        quiltId: parseBlobId(quiltId),
        startIndex: official.startIndex,
        endIndex: official.endIndex,
      });
      const byId = await quilts.patchById(patchId);
      expect('contents' in byId && byId.contents).toEqual(file.contents);
      expect('identifier' in byId && byId.identifier).toBe(file.identifier);
      const byName = await quilts.patchByIdentifier(quiltId, file.identifier);
      expect('contents' in byName && byName.contents).toEqual(file.contents);
      expect('tags' in byName && byName.tags).toEqual(file.tags ?? {});
    }
  });

  it('falls back to the whole blob when a patch column cannot be had', async () => {
    const target = layout.index.patches.find((p) => p.identifier === 'big.bin')!;
    const patchId = formatQuiltPatchId({
      quiltId: parseBlobId(quiltId),
      startIndex: target.startIndex,
      endIndex: target.endIndex,
    });
    const node = devnet.committee.nodes[2]!;
    try {
      await postFault(node.url, 'corrupt-slivers');
      const patch = await quilts.patchById(patchId);
      expect('contents' in patch && patch.contents).toEqual(files[2]!.contents);
    } finally {
      await postFault(node.url, 'ok');
    }
  });

  it('answers not-found for unknown identifiers, bad patch IDs and blobs that are not quilts', async () => {
    expect(await quilts.patchByIdentifier(quiltId, 'nope')).toMatchObject({ kind: 'not-found' });
    expect(await quilts.patchById('not-a-patch-id')).toMatchObject({ kind: 'not-found' });
    const { blobId } = await storeOnDevnet(devnet, randomBytes(5000, 43));
    expect(await quilts.patches(blobId)).toMatchObject({ kind: 'not-found' });
  });
});

describe('QuiltReader against forged patch IDs', () => {
  it('refuses a patch ID that points at the index columns or straddles two patches', async () => {
    const first = layout.index.patches[0]!;
    const second = layout.index.patches[1]!;
    const quilt = parseBlobId(quiltId);
    const intoIndex = formatQuiltPatchId({ quiltId: quilt, startIndex: 0, endIndex: first.startIndex });
    const straddling = formatQuiltPatchId({
      quiltId: quilt,
      startIndex: first.startIndex,
      endIndex: second.endIndex,
    });
    expect(await quilts.patchById(intoIndex)).toMatchObject({ kind: 'not-found' });
    expect(await quilts.patchById(straddling)).toMatchObject({ kind: 'not-found' });
  });
});

describe('a quilt read from its bytes (a cache hit)', () => {
  it('gives the same index and patches as the storage nodes, with the source it was given', async () => {
    const fromBytes = new QuiltReader(async (id) => bytesHandle(id, layout.quilt, N, 'HIT-MEMORY', 7));
    const index = await fromBytes.patches(quiltId);
    expect(index).toEqual(await quilts.patches(quiltId));
    for (const file of files) {
      const patch = await fromBytes.patchByIdentifier(quiltId, file.identifier);
      if ('kind' in patch) throw new Error(patch.message);
      expect(patch.contents).toEqual(file.contents);
      expect(patch).toMatchObject({ identifier: file.identifier, source: 'HIT-MEMORY', age: 7 });
      const fromNodes = await quilts.patchById(patch.patchId);
      expect(fromNodes).toMatchObject({ contents: file.contents, source: 'MISS', age: 0 });
    }
  });
});
