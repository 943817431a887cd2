// The collector's thin executor against in-memory storage nodes (no devnet): real slivers from the
// official encoder at n = 10 (P = 4), a fake client per node, the inline codec.
import { describe, expect, it } from 'vitest';
import { encodeBlob } from '../../src/codec/blob-encoder.ts';
import { inlineCodec } from '../../src/codec/codec.ts';
import type { Committee } from '../../src/network/committee.ts';
import { StorageNodeError, type StorageNodeClient } from '../../src/network/storage-node-client.ts';
import { concatBytes } from '../../src/protocol/bytes.ts';
import { shardForPair } from '../../src/protocol/sliver-layout.ts';
import { NodeScores } from '../../src/read/node-scores.ts';
import { collectPrimarySlivers, type CollectOutcome } from '../../src/read/primary-sliver-collector.ts';
import { randomBytes } from '../protocol/oracle.ts';

const N = 10;
const data = randomBytes(5_000, 51);
const encoded = encodeBlob(data, N);
const committee: Committee = {
  nShards: N,
  epoch: 1,
  nodes: Array.from({ length: N }, (_, i) => ({
    name: `node-${i}`,
    url: `http://node-${i}.test`,
    blsPublicKey: '',
    shards: [i],
    nodeId: `0x${'0'.repeat(63)}${i}`,
  })),
};
const urlOf = (pair: number) => `http://node-${shardForPair(pair, encoded.blobId, N)}.test`;

type Behaviour = 'ok' | 'down' | 'corrupt' | 'hang';

/** Collects the whole blob (rows 0..P-1); `behaviour` says how each pair's node answers. */
async function collect(
  behaviour: (pair: number) => Behaviour = () => 'ok',
  options: { onRow?: (row: number) => void; signal?: AbortSignal } = {},
) {
  const requested: number[] = [];
  const rows: Uint8Array[] = [];
  const scores = new NodeScores();
  const client = {
    async getSliver(_blobId: string, pair: number, _type: string, { signal }: { signal: AbortSignal }) {
      requested.push(pair);
      await Promise.resolve();
      switch (behaviour(pair)) {
        case 'ok':
          return encoded.primary[pair]!;
        case 'down':
          throw new StorageNodeError(503, 'UNAVAILABLE', 'down');
        case 'corrupt': {
          const bytes = encoded.primary[pair]!.slice();
          bytes[3]! ^= 0xff;
          return bytes;
        }
        case 'hang':
          return new Promise<Uint8Array>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          );
      }
    },
  } as unknown as StorageNodeClient;
  const outcome: CollectOutcome = await collectPrimarySlivers({
    committee,
    blobId: 'test-blob',
    blobIdBytes: encoded.blobId,
    metadata: { encodingType: 1, unencodedLength: data.length, hashes: encoded.hashes },
    firstRow: 0,
    lastRow: 3,
    codec: inlineCodec(),
    clientFor: () => client,
    scores,
    signal: options.signal ?? new AbortController().signal,
    requestTimeoutMs: 1_000,
    hedgeDelayMs: 10_000,
    onRow: (row, bytes) => {
      options.onRow?.(row);
      rows.push(bytes.slice());
    },
    verifyDecodedRows: true,
  });
  const bytes = concatBytes(rows).subarray(0, data.length);
  return { outcome, requested, bytes, scores: scores.snapshot() };
}

describe('collectPrimarySlivers', () => {
  it('fetches exactly the systematic rows and decodes nothing when all answer', async () => {
    const { outcome, requested, bytes } = await collect();
    expect(outcome).toEqual({
      kind: 'ok',
      stats: { sliverRequests: 4, spareRequests: 0, failedRequests: 0, invalidSlivers: 0, decoded: false },
    });
    expect(requested.sort()).toEqual([0, 1, 2, 3]);
    expect(bytes).toEqual(data);
  });

  it('decodes around a down row and a corrupt one, and hands the decoded blob back', async () => {
    const { outcome, requested, bytes, scores } = await collect((pair) =>
      pair === 1 ? 'down' : pair === 2 ? 'corrupt' : 'ok',
    );
    expect(outcome.kind).toBe('ok');
    expect(outcome.stats).toEqual({
      sliverRequests: 6,
      spareRequests: 2,
      failedRequests: 1,
      invalidSlivers: 1,
      decoded: true,
    });
    expect(outcome.kind === 'ok' && outcome.decodedBlob).toEqual(data);
    expect(requested.length).toBe(6);
    expect(bytes).toEqual(data);
    expect(scores[urlOf(1)]).toMatchObject({ failures: 1, byzantine: 0 });
    expect(scores[urlOf(2)]).toMatchObject({ failures: 0, byzantine: 1 });
  });

  it('a cancelled read is unavailable, and its called-off requests are no fault of the nodes', async () => {
    const controller = new AbortController();
    const pending = collect(() => 'hang', { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    const { outcome, scores } = await pending;
    expect(outcome).toMatchObject({ kind: 'unavailable', message: 'the read was cancelled or timed out' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const pair of [0, 1, 2, 3]) expect(scores[urlOf(pair)]).toMatchObject({ failures: 0 });
  });

  it('a consumer that throws ends the read as unavailable instead of an unhandled rejection', async () => {
    const { outcome } = await collect(undefined, {
      onRow: (row) => {
        if (row === 1) throw new TypeError('Invalid state: Controller is already closed');
      },
    });
    expect(outcome).toMatchObject({
      kind: 'unavailable',
      message: 'the row consumer failed: Invalid state: Controller is already closed',
    });
  });
});
