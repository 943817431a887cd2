// README: "Quilt patches fetch only their own columns." Witness: the storage nodes' own counters. A
// patch read must make the nodes serve exactly the quilt's index columns plus the patch's columns
// (secondary sliver j = pair n-1-j, on the shard DESIGN §2 says), node by node, and nothing else; the
// layout comes from the official SDK's encodeQuilt, not from our quilt reader. When one of the patch's
// columns cannot be had (its node down or corrupting), the reader falls back to the whole blob: the
// nodes then serve primary slivers on top of the columns, and the patch's bytes are still right.
//
// Patch reads go through HTTP (the routes by patch ID and by identifier), which stays put while the
// reader's internals are refactored. The nodes count sliver requests of both kinds under one route; the
// happy path shows each wanted column is asked for exactly once, so what the nodes serve beyond the
// columns in a fallback is primary slivers. BlobReader.columns (the primitive under patch reads) is also
// read through a recording transport of the test's own, which tells the two kinds apart on the wire.
//
// Checked by hand in a private copy of the tree: with BlobReader.columns forced to always take the
// whole-blob path, the happy-path tests fail (primary slivers counted on top of the columns); with the
// fallback removed, the fault tests fail (503 instead of the patch).
import { encodeQuilt } from '@mysten/walrus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inlineCodec } from '../../src/codec/codec.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { BlobReader } from '../../src/read/blob-reader.ts';
import { fetchTransport, type NodeTransport } from '../../src/network/transport/node-transport.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, storeOnDevnet } from '../support/devnet.ts';
import {
  countedDuring,
  designParams,
  expectedSliverCounts,
  rowsCovering,
  sliverHolder,
  type CountsDelta,
} from '../support/node-stats.ts';
import { call, startTestEdge, type TestEdge } from '../http/http-helpers.ts';

const N = 100;
const { P } = designParams(N);
let t: TestEdge;
let reader: BlobReader;
/** Sliver GETs the reader sent, as seen on the wire: [type, pair]. */
const wire: ['primary' | 'secondary', number][] = [];

const recording = (inner: NodeTransport): NodeTransport => ({
  request(request) {
    const match = /\/slivers\/(\d+)\/(primary|secondary)$/.exec(new URL(request.url).pathname);
    if (request.method === 'GET' && match) wire.push([match[2] as 'primary' | 'secondary', Number(match[1])]);
    return inner.request(request);
  },
  close: () => inner.close(),
});

type File = { identifier: string; contents: Uint8Array; tags?: Record<string, string> };
interface StoredQuilt {
  quiltId: string;
  idBytes: Uint8Array;
  size: number;
  files: File[];
  /** Patches as the official layout places them, and the columns its index occupies. */
  patches: { identifier: string; startIndex: number; endIndex: number; patchId: string }[];
  indexColumns: number;
}

async function storeQuilt(files: File[]): Promise<StoredQuilt> {
  const layout = encodeQuilt({ blobs: files, numShards: N });
  const { blobId: quiltId } = await storeOnDevnet(t.devnet, layout.quilt);
  const idBytes = parseBlobId(quiltId);
  const patches = layout.index.patches.map((p) => ({
    identifier: p.identifier,
    startIndex: p.startIndex,
    endIndex: p.endIndex,
    patchId: formatQuiltPatchId({ quiltId: idBytes, startIndex: p.startIndex, endIndex: p.endIndex }),
  }));
  // The index fills the columns before the first patch.
  const indexColumns = Math.min(...patches.map((p) => p.startIndex));
  return { quiltId, idBytes, size: layout.quilt.length, files, patches, indexColumns };
}

let small: StoredQuilt;
let manyPatches: StoredQuilt;

beforeAll(async () => {
  // No cache (nothing fits in 1 byte): no background fill of the quilt behind a patch read.
  t = await startTestEdge({ HEDGE_DELAY_MS: '10000', CACHE_MAX_OBJECT_BYTES: '1' });
  reader = new BlobReader({
    committeeFor: async () => t.devnet.committee,
    codec: inlineCodec(),
    transport: recording(fetchTransport()),
    maxBlobSize: 1 << 30,
    deadlineMs: 20_000,
    requestTimeoutMs: 5_000,
    hedgeDelayMs: 10_000,
  });
  small = await storeQuilt([
    { identifier: 'cat.png', contents: randomBytes(30_000, 61), tags: { 'content-type': 'image/png' } },
    { identifier: 'notes.txt', contents: new TextEncoder().encode('hello quilt') },
    { identifier: 'big.bin', contents: randomBytes(120_000, 62), tags: { a: '1', b: '2' } },
    { identifier: 'tiny', contents: randomBytes(10, 63) },
  ]);
  // Eight patches with long names and tags: the index spans several columns.
  manyPatches = await storeQuilt(
    Array.from({ length: 8 }, (_, i) => ({
      identifier: `file-${i}-with-a-rather-long-name.txt`,
      contents: randomBytes(1_000, 70 + i),
      tags: { 'content-type': 'text/plain', i: String(i) },
    })),
  );
});
afterEach(async () => {
  await Promise.all(t.devnet.committee.nodes.map((node) => postFault(node.url, 'ok')));
});
afterAll(async () => {
  await t?.stop();
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** The secondary slivers a patch read must cost: the index columns and the patch's own. */
function columnsOf(quilt: StoredQuilt, patch: { startIndex: number; endIndex: number }): number[] {
  return [...range(0, quilt.indexColumns), ...range(patch.startIndex, patch.endIndex)];
}

function expectOnlyColumns(counted: CountsDelta, quilt: StoredQuilt, columns: number[]) {
  expect(counted.total('sliver')).toBe(columns.length);
  expect(counted.perNode('sliver')).toEqual(
    expectedSliverCounts(
      t.devnet.committee,
      quilt.idBytes,
      columns.map((index) => ({ index, type: 'secondary' as const })),
    ),
  );
}

const contentsOf = (quilt: StoredQuilt, identifier: string) =>
  quilt.files.find((f) => f.identifier === identifier)!.contents;

const patchPaths = (quilt: StoredQuilt, patch: StoredQuilt['patches'][number]) => [
  `/v1/blobs/by-quilt-patch-id/${patch.patchId}`,
  `/v1/blobs/by-quilt-id/${quilt.quiltId}/${encodeURIComponent(patch.identifier)}`,
];

describe('a patch read costs its columns and the index columns, counted at the nodes', () => {
  it('the quilts cover both index shapes (one column, several columns)', () => {
    expect(small.indexColumns).toBe(1);
    expect(manyPatches.indexColumns).toBeGreaterThan(1);
  });

  for (const name of ['small', 'manyPatches'] as const) {
    it(`GET by patch ID and by identifier, every patch (${name})`, async () => {
      const quilt = name === 'small' ? small : manyPatches;
      for (const patch of quilt.patches) {
        for (const path of patchPaths(quilt, patch)) {
          const { result, counted } = await countedDuring(t.devnet.committee, () => call(t.url, path));
          expect(result.status, path).toBe(200);
          expect(result.body, path).toEqual(contentsOf(quilt, patch.identifier));
          expect(counted.total('metadata'), path).toBe(1);
          expectOnlyColumns(counted, quilt, columnsOf(quilt, patch));
        }
      }
    });
  }

  it('BlobReader.columns asks for secondary slivers only, each once', async () => {
    const meta = await reader.metadata(small.quiltId);
    if (meta.kind !== 'ok') throw new Error(meta.kind);
    const patch = small.patches.find((p) => p.identifier === 'big.bin')!;
    wire.length = 0;
    const { result, counted } = await countedDuring(t.devnet.committee, () =>
      reader.columns(meta, patch.startIndex, patch.endIndex),
    );
    expect(Array.isArray(result) && result.length).toBe(patch.endIndex - patch.startIndex);
    const columns = range(patch.startIndex, patch.endIndex);
    expectOnlyColumns(counted, small, columns);
    expect(wire.map(([type, pair]) => `${type} ${pair}`).sort()).toEqual(
      columns.map((c) => `secondary ${N - 1 - c}`).sort(),
    );
  });
});

/** The largest patch of a quilt and a node holding one of its columns but none of the index columns. */
function patchAndNodeToFault(quilt: StoredQuilt) {
  const committee = t.devnet.committee;
  const indexHolders = new Set(
    range(0, quilt.indexColumns).map((c) => sliverHolder(committee, quilt.idBytes, c, 'secondary').name),
  );
  const patch = [...quilt.patches].sort(
    (a, b) => b.endIndex - b.startIndex - (a.endIndex - a.startIndex),
  )[0]!;
  const column = range(patch.startIndex, patch.endIndex).find(
    (c) => !indexHolders.has(sliverHolder(committee, quilt.idBytes, c, 'secondary').name),
  );
  if (column === undefined) throw new Error('every column of the patch shares a node with the index');
  const node = sliverHolder(committee, quilt.idBytes, column, 'secondary');
  // The whole-blob read must decode (from P verified slivers) if the node also holds one of the
  // quilt's rows; else it reads exactly those rows.
  const rows = rowsCovering(quilt.size, N);
  const holdsARow = rows.some(
    (row) => sliverHolder(committee, quilt.idBytes, row, 'primary').name === node.name,
  );
  return { patch, column, node, rows, holdsARow };
}

/** Primary slivers the nodes served: everything they served beyond the (each once) columns. */
function expectWholeBlobRead(primaryServed: number, fault: ReturnType<typeof patchAndNodeToFault>) {
  if (fault.holdsARow) expect(primaryServed).toBeGreaterThanOrEqual(P);
  else expect(primaryServed).toBe(fault.rows.length);
}

describe('when a column cannot be had, the whole blob is read instead', () => {
  for (const mode of ['down', 'corrupt-slivers'] as const) {
    it(`GET by patch ID and by identifier with the column's node ${mode}`, async () => {
      for (const quilt of [small, manyPatches]) {
        const fault = patchAndNodeToFault(quilt);
        await postFault(fault.node.url, mode);
        for (const path of patchPaths(quilt, fault.patch)) {
          const { result, counted } = await countedDuring(t.devnet.committee, () => call(t.url, path));
          expect(result.status, path).toBe(200);
          expect(result.body, path).toEqual(contentsOf(quilt, fault.patch.identifier));
          const columns = columnsOf(quilt, fault.patch);
          // A down node serves (and counts) nothing; a corrupting one serves every request, bad bytes.
          const servedColumns =
            mode === 'down'
              ? columns.filter(
                  (c) =>
                    sliverHolder(t.devnet.committee, quilt.idBytes, c, 'secondary').name !== fault.node.name,
                )
              : columns;
          if (mode === 'down') expect(counted.perNode('sliver')[fault.node.name]).toBe(0);
          expectWholeBlobRead(counted.total('sliver') - servedColumns.length, fault);
        }
        await postFault(fault.node.url, 'ok');
      }
    });
  }

  it('BlobReader.columns with the node down: every column once, then primary slivers, on the wire', async () => {
    const fault = patchAndNodeToFault(small);
    const meta = await reader.metadata(small.quiltId);
    if (meta.kind !== 'ok') throw new Error(meta.kind);
    await postFault(fault.node.url, 'down');
    wire.length = 0;
    const { patch } = fault;
    const { result, counted } = await countedDuring(t.devnet.committee, () =>
      reader.columns(meta, patch.startIndex, patch.endIndex),
    );
    expect(Array.isArray(result) && result.length).toBe(patch.endIndex - patch.startIndex);
    const columns = range(patch.startIndex, patch.endIndex);
    const secondary = wire.filter(([type]) => type === 'secondary').map(([, pair]) => N - 1 - pair);
    expect(secondary.sort((a, b) => a - b)).toEqual(columns);
    const primaryServed =
      counted.total('sliver') -
      columns.filter(
        (c) => sliverHolder(t.devnet.committee, small.idBytes, c, 'secondary').name !== fault.node.name,
      ).length;
    expectWholeBlobRead(primaryServed, fault);
    expect(wire.filter(([type]) => type === 'primary').length).toBeGreaterThanOrEqual(primaryServed);
  });
});
