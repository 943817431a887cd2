// The three consistency modes (DESIGN §2, as the official aggregator): default re-checks decoded rows
// against the metadata, strict re-encodes the whole blob and compares the blob ID, skip does neither
// (sliver checks always stay). Told apart by witnesses outside the edge:
//  - the nodes' counters: strict reads all P rows even for a blob whose bytes fill fewer, and even for a
//    range through the reader; default and skip read only the rows covering the bytes;
//  - a blob whose encoding is inconsistent (support/inconsistent-blob.ts: every sliver verifies, the
//    repair rows belong to other bytes), stored through the nodes' real upload checks. On healthy nodes
//    only strict notices (re-encoding gives another blob ID). With the node holding row 0 down, the
//    read must decode: default then finds a decoded row that does not match the metadata
//    (inconsistent: HTTP 503 BLOB_UNAVAILABLE), while skip serves what decoding gave — the rows fetched
//    directly are the stored bytes, the decoded ones are not.
//
// Checked by hand in a private copy of the tree: treating strict as default, never verifying decoded
// rows, or verifying them under skip too each make tests here fail.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inlineCodec } from '../../src/codec/codec.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { BlobReader, type Consistency } from '../../src/read/blob-reader.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, storeOnDevnet } from '../support/devnet.ts';
import { storeInconsistentBlob } from '../support/inconsistent-blob.ts';
import {
  countedDuring,
  designParams,
  designRowBytes,
  expectedSliverCounts,
  rowsCovering,
  sliverHolder,
  type CountsDelta,
} from '../support/node-stats.ts';
import { call, expectError, startTestEdge, type TestEdge } from '../http/http-helpers.ts';

const N = 100;
const { P } = designParams(N);
/** 27 rows of 536 bytes: short of P = 34. */
const SIZE = 14_000;
let t: TestEdge;
let reader: BlobReader;

beforeAll(async () => {
  // No cache (nothing fits in 1 byte): every request reads from the nodes in the mode it asks for.
  t = await startTestEdge({ HEDGE_DELAY_MS: '10000', CACHE_MAX_OBJECT_BYTES: '1' });
  reader = new BlobReader({
    committeeFor: async () => t.devnet.committee,
    codec: inlineCodec(),
    maxBlobSize: 1 << 30,
    deadlineMs: 20_000,
    requestTimeoutMs: 5_000,
    hedgeDelayMs: 10_000,
  });
});
afterEach(async () => {
  await Promise.all(t.devnet.committee.nodes.map((node) => postFault(node.url, 'ok')));
});
afterAll(async () => {
  await t?.stop();
});

const FLAGS: Record<Consistency, string> = {
  default: '',
  strict: '?strict_consistency_check=true',
  skip: '?skip_consistency_check=true',
};

function expectRows(counted: CountsDelta, blobId: string, rows: number[]) {
  expect(counted.total('sliver')).toBe(rows.length);
  expect(counted.perNode('sliver')).toEqual(
    expectedSliverCounts(
      t.devnet.committee,
      parseBlobId(blobId),
      rows.map((index) => ({ index, type: 'primary' as const })),
    ),
  );
}

const allRows = () => Array.from({ length: P }, (_, i) => i);

describe('what each mode reads, counted at the nodes (an honest blob)', () => {
  it('BlobReader: strict reads all P rows, for the whole blob and for a range; default and skip the covering rows', async () => {
    const data = randomBytes(SIZE, 501);
    const { blobId } = await storeOnDevnet(t.devnet, data);
    expect(rowsCovering(SIZE, N).length).toBeLessThan(P);
    for (const [start, end] of [
      [0, SIZE],
      [1_000, 2_000],
    ] as const) {
      for (const consistency of ['default', 'strict', 'skip'] as const) {
        const { result, counted } = await countedDuring(t.devnet.committee, () =>
          reader.read(blobId, { start, end, consistency }),
        );
        expect(result.kind, consistency).toBe('ok');
        if (result.kind === 'ok') expect(result.bytes).toEqual(data.subarray(start, end));
        expectRows(counted, blobId, consistency === 'strict' ? allRows() : rowsCovering(SIZE, N, start, end));
      }
    }
  });

  it('GET /v1/blobs/{id}: strict_consistency_check reads all P rows, the others the covering rows', async () => {
    const data = randomBytes(SIZE, 502);
    const { blobId } = await storeOnDevnet(t.devnet, data);
    for (const consistency of ['default', 'strict', 'skip'] as const) {
      const { result, counted } = await countedDuring(t.devnet.committee, () =>
        call(t.url, `/v1/blobs/${blobId}${FLAGS[consistency]}`),
      );
      expect(result.status, consistency).toBe(200);
      expect(result.body).toEqual(data);
      expectRows(counted, blobId, consistency === 'strict' ? allRows() : rowsCovering(SIZE, N));
    }
  });

  it('GET with Range checks only the slivers it fetches, whatever the flag (as the official aggregator documents)', async () => {
    const data = randomBytes(SIZE, 503);
    const { blobId } = await storeOnDevnet(t.devnet, data);
    // The whole GET first, so the type is known and a range costs only its own rows.
    expect((await call(t.url, `/v1/blobs/${blobId}`)).status).toBe(200);
    for (const consistency of ['default', 'strict', 'skip'] as const) {
      const { result, counted } = await countedDuring(t.devnet.committee, () =>
        call(t.url, `/v1/blobs/${blobId}${FLAGS[consistency]}`, { headers: { range: 'bytes=1000-1999' } }),
      );
      expect(result.status, consistency).toBe(206);
      expect(result.body).toEqual(data.subarray(1_000, 2_000));
      expectRows(counted, blobId, rowsCovering(SIZE, N, 1_000, 2_000));
    }
  });

  it('default and skip both decode an honest blob right when row 0’s node is down', async () => {
    const data = randomBytes(SIZE, 504);
    const { blobId } = await storeOnDevnet(t.devnet, data);
    await postFault(sliverHolder(t.devnet.committee, parseBlobId(blobId), 0, 'primary').url, 'down');
    for (const consistency of ['default', 'skip', 'strict'] as const) {
      const result = await reader.read(blobId, { consistency });
      expect(result.kind, consistency).toBe('ok');
      if (result.kind === 'ok') expect(result.bytes).toEqual(data);
      const answer = await call(t.url, `/v1/blobs/${blobId}${FLAGS[consistency]}`);
      expect(answer.status, consistency).toBe(200);
      expect(answer.body).toEqual(data);
    }
  });
});

describe('a blob whose slivers verify but do not form one encoding', () => {
  let data: Uint8Array;
  let blobId: string;

  beforeAll(async () => {
    data = randomBytes(SIZE, 510);
    ({ blobId } = await storeInconsistentBlob(t.devnet, data, randomBytes(SIZE, 511)));
  });

  it('healthy nodes: default and skip serve the stored rows; strict re-encodes and says inconsistent', async () => {
    for (const consistency of ['default', 'skip'] as const) {
      const result = await reader.read(blobId, { consistency });
      expect(result.kind, consistency).toBe('ok');
      if (result.kind === 'ok') expect(result.bytes).toEqual(data);
      const answer = await call(t.url, `/v1/blobs/${blobId}${FLAGS[consistency]}`);
      expect(answer.status, consistency).toBe(200);
      expect(answer.body).toEqual(data);
    }
    // Every row strict fetched verified (the nodes served all P, nothing was decoded): only
    // re-encoding can tell.
    const { result, counted } = await countedDuring(t.devnet.committee, () =>
      reader.read(blobId, { consistency: 'strict' }),
    );
    expect(result.kind).toBe('inconsistent');
    expectRows(counted, blobId, allRows());
    const answer = await call(t.url, `/v1/blobs/${blobId}${FLAGS.strict}`);
    expectError(answer, 503, 'BLOB_UNAVAILABLE');
    expect((answer.json() as { error: { message: string } }).error.message).toMatch(/consisten/i);
  });

  it('row 0’s node down, so the read decodes: default says inconsistent where skip serves bytes', async () => {
    const idBytes = parseBlobId(blobId);
    const down = sliverHolder(t.devnet.committee, idBytes, 0, 'primary');
    await postFault(down.url, 'down');

    for (const consistency of ['default', 'strict'] as const) {
      expect((await reader.read(blobId, { consistency })).kind, consistency).toBe('inconsistent');
      const answer = await call(t.url, `/v1/blobs/${blobId}${FLAGS[consistency]}`);
      expectError(answer, 503, 'BLOB_UNAVAILABLE');
      expect((answer.json() as { error: { message: string } }).error.message).toMatch(/consisten/i);
    }

    // Skip: rows served by live nodes are the stored bytes; the rows of the down node came from
    // decoding a mix of the two encodings, so they are not.
    const rowBytes = designRowBytes(SIZE, N);
    const split = (bytes: Uint8Array) => {
      const direct: Uint8Array[] = [];
      const decoded: Uint8Array[] = [];
      for (const row of rowsCovering(SIZE, N)) {
        const piece = bytes.subarray(row * rowBytes, Math.min(SIZE, (row + 1) * rowBytes));
        (sliverHolder(t.devnet.committee, idBytes, row, 'primary').name === down.name
          ? decoded
          : direct
        ).push(piece);
      }
      return { direct: Buffer.concat(direct), decoded: Buffer.concat(decoded) };
    };
    const stored = split(data);
    const viaReader = await reader.read(blobId, { consistency: 'skip' });
    expect(viaReader.kind).toBe('ok');
    const answer = await call(t.url, `/v1/blobs/${blobId}${FLAGS.skip}`);
    expect(answer.status).toBe(200);
    for (const bytes of [viaReader.kind === 'ok' ? viaReader.bytes : new Uint8Array(0), answer.body]) {
      expect(bytes.length).toBe(SIZE);
      const served = split(bytes);
      expect(served.direct.equals(stored.direct)).toBe(true);
      expect(served.decoded.length).toBeGreaterThan(0);
      expect(served.decoded.equals(stored.decoded)).toBe(false);
    }
  });
});
