// Quilt patches through the cache: the first patch read answers from its columns and fills the quilt
// in the background; after that every patch, by ID or by identifier, and the patch list come from the
// cached quilt with no storage-node request. A warmed quilt starts out that way, and a deleted quilt
// stops being served from cache.
import { encodeQuilt } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import {
  ADMIN_TOKEN,
  nodeRequests,
  startTestEdge,
  utf8,
  waitFor,
  type TestEdge,
} from '../http/http-helpers.ts';

const N = 100;
let t: TestEdge;

beforeAll(async () => {
  t = await startTestEdge();
});
afterAll(async () => {
  await t?.stop();
});

async function storeQuilt(seed: number, deletable = false) {
  const files = [
    { identifier: 'index.html', contents: utf8(`<!doctype html><p>quilt ${seed}</p>`) },
    { identifier: 'img/a.bin', contents: randomBytes(9_000, seed) },
    { identifier: 'notes.txt', contents: utf8('plain words') },
  ];
  const layout = encodeQuilt({ blobs: files, numShards: N });
  const stored = await storeOnDevnet(t.devnet, layout.quilt, { deletable });
  // The layout orders patches by identifier; patchIds follows `files`.
  const patchIds = files.map((file) => {
    const p = layout.index.patches.find((patch) => patch.identifier === file.identifier)!;
    return formatQuiltPatchId({
      quiltId: parseBlobId(stored.blobId),
      startIndex: p.startIndex,
      endIndex: p.endIndex,
    });
  });
  return { ...stored, files, patchIds };
}

/** Node requests of any kind (metadata, slivers) so far. */
async function nodeTraffic(): Promise<number> {
  return (await nodeRequests(t.devnet, 'metadata')) + (await nodeRequests(t.devnet, 'sliver'));
}

async function readAll(quilt: Awaited<ReturnType<typeof storeQuilt>>) {
  const answers = [];
  for (const [i, file] of quilt.files.entries()) {
    for (const path of [
      `/v1/blobs/by-quilt-patch-id/${quilt.patchIds[i]}`,
      `/v1/blobs/by-quilt-id/${quilt.blobId}/${file.identifier}`,
    ]) {
      const response = await fetch(`${t.url}${path}`);
      const body = new Uint8Array(await response.arrayBuffer());
      expect(response.status, path).toBe(200);
      expect(body, path).toEqual(file.contents);
      answers.push(response.headers.get('x-cache'));
    }
  }
  const list = await fetch(`${t.url}/v1/quilts/${quilt.blobId}/patches`);
  expect(((await list.json()) as { identifier: string }[]).map((p) => p.identifier).sort()).toEqual(
    quilt.files.map((f) => f.identifier).sort(),
  );
  return answers;
}

describe('quilt patches through the cache', () => {
  it('fills the quilt behind the first patch read, then serves every patch from memory', async () => {
    const quilt = await storeQuilt(301);
    const first = await fetch(`${t.url}/v1/blobs/by-quilt-id/${quilt.blobId}/notes.txt`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(await first.text()).toBe('plain words');
    const cached = await waitFor(async () => {
      const head = await fetch(`${t.url}/v1/blobs/${quilt.blobId}`, { method: 'HEAD' });
      return head.headers.get('x-cache') === 'HIT-MEMORY';
    }, 5_000);
    expect(cached).toBe(true);

    const before = await nodeTraffic();
    const answers = await readAll(quilt);
    expect(answers.every((tier) => tier === 'HIT-MEMORY')).toBe(true);
    expect(await nodeTraffic()).toBe(before);
    // A patch ID naming columns that are no patch of this quilt is still refused, cached or not.
    const forged = formatQuiltPatchId({ quiltId: parseBlobId(quilt.blobId), startIndex: 0, endIndex: 1 });
    expect((await fetch(`${t.url}/v1/blobs/by-quilt-patch-id/${forged}`)).status).toBe(404);
  });

  it('serves a warmed quilt from memory from the first patch on', async () => {
    const quilt = await storeQuilt(302);
    const warm = await fetch(`${t.url}/v1/admin/cache/warm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [quilt.blobId] }),
    });
    expect(await warm.json()).toEqual({ results: [{ id: quilt.blobId, result: 'cached' }] });
    const before = await nodeTraffic();
    expect((await readAll(quilt)).every((tier) => tier === 'HIT-MEMORY')).toBe(true);
    expect(await nodeTraffic()).toBe(before);
  });

  it('stops serving a deleted quilt from cache', async () => {
    const quilt = await storeQuilt(303, true);
    await readAll(quilt);
    expect(
      await waitFor(
        async () =>
          (await fetch(`${t.url}/v1/blobs/by-quilt-patch-id/${quilt.patchIds[0]}`)).headers.get('x-cache') ===
          'HIT-MEMORY',
        5_000,
      ),
    ).toBe(true);
    await quilt.chain.deleteBlob(quilt.objectId, quilt.sender);
    // Gone, not merely uncached: every patch route and the quilt itself answer 404 (the nodes no
    // longer serve it), none of them from a cache tier.
    const paths = [
      `/v1/blobs/by-quilt-patch-id/${quilt.patchIds[0]}`,
      `/v1/blobs/by-quilt-id/${quilt.blobId}/${quilt.files[0]!.identifier}`,
      `/v1/blobs/${quilt.blobId}`,
    ];
    const answers = async () =>
      Promise.all(
        paths.map(async (path) => {
          const response = await fetch(`${t.url}${path}`);
          await response.arrayBuffer();
          return `${response.status} ${/^HIT/.test(response.headers.get('x-cache') ?? '') ? 'cached' : 'uncached'}`;
        }),
      );
    expect(await waitFor(async () => (await answers()).every((a) => a === '404 uncached'), 5_000)).toBe(true);
  });
});
