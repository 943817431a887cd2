// Gathers the primary slivers a read needs: the thin executor of sliver-plan.ts, which decides what to
// fetch, when to hedge and when to decode. This file does the requests, the timer, the verification
// (each sliver against the metadata) and the decoding (in the codec pool), and feeds what happened back.
import { sliverDataView } from '../protocol/bcs.ts';
import { sliverLengths } from '../protocol/encoding.ts';
import type { ParsedMetadata } from '../protocol/metadata.ts';
import { shardForPair } from '../protocol/sliver-layout.ts';
import { nodeIndexByShard, type Committee, type CommitteeNode } from '../network/committee.ts';
import type { StorageNodeClient } from '../network/storage-node-client.ts';
import type { Codec } from '../codec/codec.ts';
import { attemptResultOf } from './attempt-policy.ts';
import type { RequestEnded } from './node-requests.ts';
import type { NodeScores } from './node-scores.ts';
import {
  SliverPlan,
  type CollectStats,
  type DecodeResult,
  type PlanAction,
  type PlanOutcome,
} from './sliver-plan.ts';

export type { CollectStats } from './sliver-plan.ts';

export interface CollectRequest {
  committee: Committee;
  blobId: string;
  blobIdBytes: Uint8Array;
  metadata: ParsedMetadata;
  /** Systematic rows [first, last] that the read must deliver. */
  firstRow: number;
  lastRow: number;
  codec: Codec;
  clientFor(node: CommitteeNode): StorageNodeClient;
  scores: NodeScores;
  /** Told of every sliver request's end (metrics). */
  requestEnded?: RequestEnded;
  signal: AbortSignal;
  requestTimeoutMs: number;
  hedgeDelayMs: number;
  /** Receives each needed row's symbol bytes, strictly in row order. */
  onRow(row: number, data: Uint8Array): void;
  /** Checks rows recovered by decoding against the metadata (the "default" consistency check). */
  verifyDecodedRows: boolean;
}

export type CollectOutcome =
  | { kind: 'ok'; stats: CollectStats; decodedBlob?: Uint8Array }
  | { kind: 'unavailable'; message: string; stats: CollectStats }
  | { kind: 'inconsistent'; message: string; stats: CollectStats };

export function collectPrimarySlivers(request: CollectRequest): Promise<CollectOutcome> {
  const { committee, metadata, blobId, blobIdBytes, scores, codec } = request;
  const n = committee.nShards;
  const { primary: sliverBytes, symbolSize } = sliverLengths(metadata.unencodedLength, n);
  const owners = nodeIndexByShard(committee);
  const ownerOf = (pair: number) => committee.nodes[owners[shardForPair(pair, blobIdBytes, n)]!]!;
  const own = new AbortController();
  const signal = AbortSignal.any([request.signal, own.signal]);
  const plan = new SliverPlan({
    n,
    firstRow: request.firstRow,
    lastRow: request.lastRow,
    hedgeDelayMs: request.hedgeDelayMs,
    cost: (pair) => scores.cost(ownerOf(pair).url),
  });
  /** Rows and slivers in hand by pair index: BCS (the decoder's input; empty for decoded rows) and symbol bytes. */
  const slivers = new Map<number, { bcs: Uint8Array; data: Uint8Array }>();
  let decodedBlob: Uint8Array | undefined;
  let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;

  return new Promise<CollectOutcome>((resolve) => {
    const settle = (outcome: PlanOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(hedgeTimer);
      own.abort();
      request.signal.removeEventListener('abort', onAbort);
      const stats = plan.stats;
      resolve(
        outcome.kind === 'ok' && decodedBlob ? { ...outcome, stats, decodedBlob } : { ...outcome, stats },
      );
    };

    const dispatch = (actions: PlanAction[]) => {
      for (const action of actions) {
        if (settled) return;
        switch (action.kind) {
          case 'fetch':
            for (const pair of action.pairs) fetchPair(pair);
            break;
          case 'emit':
            try {
              request.onRow(action.row, slivers.get(action.row)!.data);
            } catch (error) {
              // The consumer is gone (say, its stream was cancelled): nobody wants the rest.
              settle({
                kind: 'unavailable',
                message: `the row consumer failed: ${(error as Error).message}`,
              });
            }
            break;
          case 'decode':
            own.abort(); // outstanding requests are no longer needed
            void decode(action.pairs, action.rows);
            break;
          case 'wake':
            hedgeTimer = setTimeout(() => dispatch(plan.tick(performance.now())), action.afterMs);
            break;
          case 'finish':
            settle(action.outcome);
            break;
        }
      }
    };

    const onAbort = () => dispatch(plan.cancel());

    function fetchPair(pair: number) {
      const node = ownerOf(pair);
      scores.started(node.url);
      const started = performance.now();
      request
        .clientFor(node)
        .getSliver(blobId, pair, 'primary', { signal, timeoutMs: request.requestTimeoutMs })
        .then(
          (bcs) => {
            const now = performance.now();
            scores.succeeded(node.url, now - started);
            if (plan.sliverReceived(pair, now)) void verify(pair, node, bcs, now - started);
            // Not wanted any more (another sliver filled its place): an answer all the same.
            else request.requestEnded?.(node, { kind: 'ok', value: undefined }, now - started);
          },
          (error: unknown) => {
            const now = performance.now();
            const result = attemptResultOf(error, signal);
            if (result.kind === 'cancelled') scores.cancelled(node.url, now - started);
            else scores.failed(node.url, now - started);
            request.requestEnded?.(node, result, now - started);
            dispatch(plan.attemptEnded(pair, result, now));
          },
        );
    }

    /** `fetchMs`: how long the node took to answer (reported once the answer is judged). */
    async function verify(pair: number, node: CommitteeNode, bcs: Uint8Array, fetchMs: number) {
      const data = sliverData(bcs, pair, symbolSize, sliverBytes);
      const valid =
        data !== undefined &&
        (await codec
          .verifySliver(
            { data, symbolSize, type: 'primary', n, expectedHash: metadata.hashes[pair]!.primary },
            pair,
          )
          .catch(() => false));
      if (valid) slivers.set(pair, { bcs, data });
      else scores.byzantine(node.url);
      request.requestEnded?.(node, valid ? { kind: 'ok', value: undefined } : { kind: 'invalid' }, fetchMs);
      dispatch(
        plan.attemptEnded(pair, valid ? { kind: 'ok', value: data } : { kind: 'invalid' }, performance.now()),
      );
    }

    async function decode(pairs: number[], rows: number[]) {
      let result: DecodeResult;
      try {
        const blob = await codec.decode({
          n,
          blobId: blobIdBytes,
          size: metadata.unencodedLength,
          primarySlivers: pairs.map((pair) => slivers.get(pair)!.bcs),
        });
        if (settled) return;
        result = await keepDecodedRows(blob, rows);
        if (result.kind === 'ok') decodedBlob = blob;
      } catch (error) {
        result = { kind: 'failed', message: (error as Error).message };
      }
      dispatch(plan.decodeEnded(result));
    }

    /** Cuts the missing rows out of the decoded blob, checking each against the metadata if asked to. */
    async function keepDecodedRows(blob: Uint8Array, rows: number[]): Promise<DecodeResult> {
      for (const row of rows) {
        const data = new Uint8Array(sliverBytes);
        data.set(blob.subarray(row * sliverBytes, Math.min(blob.length, (row + 1) * sliverBytes)));
        if (request.verifyDecodedRows) {
          const expectedHash = metadata.hashes[row]!.primary;
          const ok = await codec.verifySliver({ data, symbolSize, type: 'primary', n, expectedHash });
          if (!ok) return { kind: 'inconsistent', row };
        }
        slivers.set(row, { bcs: new Uint8Array(0), data });
      }
      return { kind: 'ok' };
    }

    request.signal.addEventListener('abort', onAbort, { once: true });
    dispatch(request.signal.aborted ? plan.cancel() : plan.start(performance.now()));
  });
}

/** The sliver's symbol bytes (a view) if the BCS frames a primary sliver of this pair with the right sizes. */
function sliverData(
  bcs: Uint8Array,
  pair: number,
  symbolSize: number,
  length: number,
): Uint8Array | undefined {
  const sliver = sliverDataView(bcs);
  if (!sliver || sliver.index !== pair || sliver.symbolSize !== symbolSize || sliver.data.length !== length)
    return undefined;
  return sliver.data;
}
