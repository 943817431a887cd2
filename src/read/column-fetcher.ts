// Fetches columns of a blob's matrix (secondary slivers: P symbols each) straight from the shards that
// hold them, each verified against the metadata. Only one shard holds a column, so a column that cannot
// be had is left out (undefined) for the caller to recover another way (BlobReader reads the whole blob).
import { sliverDataView } from '../protocol/bcs.ts';
import { sliverLengths } from '../protocol/encoding.ts';
import type { ParsedMetadata } from '../protocol/metadata.ts';
import { pairForSliver, shardForPair } from '../protocol/sliver-layout.ts';
import { nodeIndexByShard, type Committee, type CommitteeNode } from '../network/committee.ts';
import type { StorageNodeClient } from '../network/storage-node-client.ts';
import type { Codec } from '../codec/codec.ts';
import { attemptResultOf, nextStep, type AttemptResult } from './attempt-policy.ts';
import type { RequestEnded } from './node-requests.ts';
import type { NodeScores } from './node-scores.ts';

export interface ColumnsRequest {
  committee: Committee;
  blobId: string;
  blobIdBytes: Uint8Array;
  metadata: ParsedMetadata;
  /** Columns [from, to), known to exist. */
  from: number;
  to: number;
  codec: Codec;
  clientFor(node: CommitteeNode): StorageNodeClient;
  scores: NodeScores;
  /** Told of every sliver request's end (metrics). */
  requestEnded?: RequestEnded;
  signal: AbortSignal;
  requestTimeoutMs: number;
}

/** Each column's symbol bytes, in order; undefined for one that failed, did not verify or was cancelled. */
export function fetchColumns(request: ColumnsRequest): Promise<(Uint8Array | undefined)[]> {
  const { committee, blobIdBytes } = request;
  const n = committee.nShards;
  const owners = nodeIndexByShard(committee);
  const columns = Array.from({ length: request.to - request.from }, (_, i) => request.from + i);
  return Promise.all(
    columns.map(async (column) => {
      const pair = pairForSliver(column, 'secondary', n);
      const node = committee.nodes[owners[shardForPair(pair, blobIdBytes, n)]!]!;
      const step = nextStep(await attemptColumn(request, node, column, pair));
      // Any other step: no other node holds this column.
      return step.kind === 'ok' ? step.value : undefined;
    }),
  );
}

async function attemptColumn(
  request: ColumnsRequest,
  node: CommitteeNode,
  column: number,
  pair: number,
): Promise<AttemptResult<Uint8Array>> {
  const { scores, signal, metadata, codec } = request;
  const n = request.committee.nShards;
  const { secondary: columnBytes, symbolSize } = sliverLengths(metadata.unencodedLength, n);
  const started = performance.now();
  scores.started(node.url);
  let bcs: Uint8Array;
  try {
    bcs = await request.clientFor(node).getSliver(request.blobId, pair, 'secondary', {
      signal,
      timeoutMs: request.requestTimeoutMs,
    });
  } catch (error) {
    const result = attemptResultOf(error, signal);
    const ms = performance.now() - started;
    if (result.kind === 'cancelled') scores.cancelled(node.url, ms);
    else scores.failed(node.url, ms);
    request.requestEnded?.(node, result, ms);
    return result;
  }
  const fetchMs = performance.now() - started;
  scores.succeeded(node.url, fetchMs);
  const sliver = sliverDataView(bcs);
  const framed =
    sliver !== undefined &&
    sliver.index === column &&
    sliver.symbolSize === symbolSize &&
    sliver.data.length === columnBytes;
  const valid =
    framed &&
    (await codec
      .verifySliver({
        data: sliver.data,
        symbolSize,
        type: 'secondary',
        n,
        expectedHash: metadata.hashes[pair]!.secondary,
      })
      .catch(() => false));
  const result: AttemptResult<Uint8Array> = valid ? { kind: 'ok', value: sliver.data } : { kind: 'invalid' };
  if (!valid) scores.byzantine(node.url);
  request.requestEnded?.(node, result, fetchMs);
  return result;
}
