// The README's bench table at mainnet's shard count (n = 1000, 20 nodes) quotes our sliver requests for
// cold reads: 77 for 100 KiB, 263 for 1 MiB, 328 for 10 MiB (P = 334). Those are the rows DESIGN §2's
// formula says hold the bytes; here the nodes' own counters must show exactly that many sliver requests
// — and from exactly the nodes holding those rows — for a read through BlobReader and for a
// GET /v1/blobs/{id} through the edge, on a healthy devnet. A reader fetching all P rows gets 334.
// (Checked by hand in a private copy of the tree with BlobReader.stream forced to rows 0..P-1: both tests
// failed with 334 counted; the change was thrown away.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineCodec } from '../../src/codec/codec.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { BlobReader } from '../../src/read/blob-reader.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { countedDuring, designParams, expectedSliverCounts, rowsCovering } from '../support/node-stats.ts';
import { call, startTestEdge, type TestEdge } from '../http/http-helpers.ts';

const N = 1000;
const KiB = 1024;
const MiB = 1024 * KiB;
/** What README.md's bench table says our reader sends, by blob size. */
const README_FIGURES: [label: string, size: number, sliverRequests: number][] = [
  ['100 KiB', 100 * KiB, 77],
  ['1 MiB', MiB, 263],
  ['10 MiB', 10 * MiB, 328],
];

let t: TestEdge;
let reader: BlobReader;
const blobs: { size: number; data: Uint8Array; blobId: string }[] = [];

beforeAll(async () => {
  t = await startTestEdge({
    DEVNET_SHARDS: String(N),
    DEVNET_NODES: '20',
    HEDGE_DELAY_MS: '10000',
    CACHE_MAX_OBJECT_BYTES: '1',
    READ_DEADLINE_MS: '60000',
    NODE_REQUEST_TIMEOUT_MS: '30000',
  });
  reader = new BlobReader({
    committeeFor: async () => t.devnet.committee,
    codec: inlineCodec(),
    maxBlobSize: 1 << 30,
    deadlineMs: 60_000,
    requestTimeoutMs: 30_000,
    hedgeDelayMs: 10_000,
  });
  for (const [i, [, size]] of README_FIGURES.entries()) {
    const data = randomBytes(size, 1000 + i);
    blobs.push({ size, data, blobId: (await storeOnDevnet(t.devnet, data)).blobId });
  }
}, 300_000);
afterAll(async () => {
  await t?.stop();
});

function expected(blobId: string, size: number) {
  const rows = rowsCovering(size, N);
  return {
    count: rows.length,
    perNode: expectedSliverCounts(
      t.devnet.committee,
      parseBlobId(blobId),
      rows.map((index) => ({ index, type: 'primary' as const })),
    ),
  };
}

describe('sliver requests at n = 1000, counted by the nodes', () => {
  it("the formula gives the README's figures, all short of P", () => {
    for (const [label, size, figure] of README_FIGURES) {
      expect(rowsCovering(size, N).length, label).toBe(figure);
      expect(figure).toBeLessThan(designParams(N).P);
    }
  });

  it('BlobReader.read', async () => {
    for (const { size, data, blobId } of blobs) {
      const { result, counted } = await countedDuring(t.devnet.committee, () => reader.read(blobId));
      expect(result.kind).toBe('ok');
      if (result.kind === 'ok')
        expect(result.bytes.length === size && Buffer.from(result.bytes).equals(data)).toBe(true);
      const want = expected(blobId, size);
      expect(counted.total('metadata')).toBe(1);
      expect(counted.total('sliver'), `${size} bytes`).toBe(want.count);
      expect(counted.perNode('sliver')).toEqual(want.perNode);
    }
  }, 120_000);

  it('GET /v1/blobs/{id}', async () => {
    for (const { size, data, blobId } of blobs) {
      const { result, counted } = await countedDuring(t.devnet.committee, () =>
        call(t.url, `/v1/blobs/${blobId}`, { timeoutMs: 60_000 }),
      );
      expect(result.status).toBe(200);
      expect(Buffer.from(result.body).equals(data)).toBe(true);
      const want = expected(blobId, size);
      expect(counted.total('metadata')).toBe(1);
      expect(counted.total('sliver'), `${size} bytes`).toBe(want.count);
      expect(counted.perNode('sliver')).toEqual(want.perNode);
    }
  }, 120_000);
});
