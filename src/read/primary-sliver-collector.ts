// Gathers the primary slivers a read needs. Happy path: exactly the systematic rows that cover the
// requested bytes, from the shards that hold them, each verified against the metadata, handed out in
// order as they arrive — nothing decoded. A row that fails, does not verify or is slow (past the hedge
// delay) is covered by "spare" requests for other primary slivers; once P verified slivers are in hand
// while a needed row is still missing, the blob is decoded from them instead (in the codec pool).
import { sliverDataView } from '../protocol/bcs.ts';
import { encodingParams, sliverLengths } from '../protocol/encoding.ts';
import type { ParsedMetadata } from '../protocol/metadata.ts';
import { shardForPair } from '../protocol/sliver-layout.ts';
import { nodeIndexByShard, type Committee, type CommitteeNode } from '../network/committee.ts';
import type { StorageNodeClient } from '../network/storage-node-client.ts';
import type { Codec } from '../codec/codec.ts';
import type { NodeScores } from './node-scores.ts';

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
  signal: AbortSignal;
  requestTimeoutMs: number;
  hedgeDelayMs: number;
  /** Receives each needed row's symbol bytes, strictly in row order. */
  onRow(row: number, data: Uint8Array): void;
  /** Checks rows recovered by decoding against the metadata (the "default" consistency check). */
  verifyDecodedRows: boolean;
}

export interface CollectStats {
  sliverRequests: number;
  spareRequests: number;
  failedRequests: number;
  invalidSlivers: number;
  decoded: boolean;
}

export type CollectOutcome =
  | { kind: 'ok'; stats: CollectStats; decodedBlob?: Uint8Array }
  | { kind: 'unavailable'; message: string; stats: CollectStats }
  | { kind: 'inconsistent'; message: string; stats: CollectStats };

export function collectPrimarySlivers(request: CollectRequest): Promise<CollectOutcome> {
  const { committee, metadata, blobId, blobIdBytes, scores, firstRow, lastRow } = request;
  const n = committee.nShards;
  const { primarySymbols: P } = encodingParams(n);
  const { primary: sliverBytes, symbolSize } = sliverLengths(metadata.unencodedLength, n);
  const owners = nodeIndexByShard(committee);
  const ownerOf = (pair: number) => committee.nodes[owners[shardForPair(pair, blobIdBytes, n)]!]!;
  const own = new AbortController();
  const signal = AbortSignal.any([request.signal, own.signal]);
  const stats: CollectStats = {
    sliverRequests: 0,
    spareRequests: 0,
    failedRequests: 0,
    invalidSlivers: 0,
    decoded: false,
  };

  /** Verified primary slivers by pair index: BCS (for decoding) and symbol bytes. */
  const verified = new Map<number, { bcs: Uint8Array; data: Uint8Array }>();
  const requested = new Set<number>();
  const failedPairs = new Set<number>();
  let inFlight = 0;
  let nextRowToEmit = firstRow;
  let settled = false;
  let decoding = false;
  let hedgeTimer: ReturnType<typeof setTimeout> | undefined;

  return new Promise<CollectOutcome>((resolve) => {
    const finish = (outcome: CollectOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(hedgeTimer);
      own.abort();
      request.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = () =>
      finish({ kind: 'unavailable', message: 'the read was cancelled or timed out', stats });
    request.signal.addEventListener('abort', onAbort, { once: true });
    if (request.signal.aborted) return onAbort();

    const neededMissing = () => {
      let missing = 0;
      for (let row = nextRowToEmit; row <= lastRow; row++) if (!verified.has(row)) missing++;
      return missing;
    };

    const emitInOrder = () => {
      while (nextRowToEmit <= lastRow && verified.has(nextRowToEmit)) {
        request.onRow(nextRowToEmit, verified.get(nextRowToEmit)!.data);
        nextRowToEmit++;
      }
      if (nextRowToEmit > lastRow) finish({ kind: 'ok', stats });
    };

    /** Spare candidates, best first: unrequested primary slivers of healthy, fast nodes. */
    const spareCandidates = (): number[] => {
      const pairs: number[] = [];
      for (let pair = 0; pair < n; pair++) if (!requested.has(pair)) pairs.push(pair);
      return pairs.sort((a, b) => scores.cost(ownerOf(a).url) - scores.cost(ownerOf(b).url));
    };

    const requestSpares = (count: number) => {
      if (count <= 0) return;
      for (const pair of spareCandidates().slice(0, count)) {
        stats.spareRequests++;
        fetchPair(pair);
      }
    };

    /** Enough verified slivers to decode while a needed row is still missing: decode now. */
    const maybeDecode = () => {
      if (settled || decoding || verified.size < P || neededMissing() === 0) return;
      decoding = true;
      stats.decoded = true;
      own.abort(); // outstanding requests are no longer needed
      const inputs = [...verified.entries()].slice(0, P).map(([, s]) => s.bcs);
      request.codec
        .decode({ n, blobId: blobIdBytes, size: metadata.unencodedLength, primarySlivers: inputs })
        .then(async (blob) => {
          if (settled) return;
          const rowBytes = sliverBytes;
          for (let row = nextRowToEmit; row <= lastRow; row++) {
            if (verified.has(row)) continue;
            const data = new Uint8Array(rowBytes);
            data.set(blob.subarray(row * rowBytes, Math.min(blob.length, (row + 1) * rowBytes)));
            if (request.verifyDecodedRows) {
              const ok = await request.codec.verifySliver({
                data,
                symbolSize,
                type: 'primary',
                n,
                expectedHash: metadata.hashes[row]!.primary,
              });
              if (!ok)
                return finish({
                  kind: 'inconsistent',
                  message: `decoded row ${row} does not match the blob's metadata`,
                  stats,
                });
            }
            verified.set(row, { bcs: new Uint8Array(0), data });
          }
          emitInOrder();
          if (!settled) finish({ kind: 'ok', stats, decodedBlob: blob });
        })
        .catch((error: unknown) =>
          finish({ kind: 'unavailable', message: `decoding failed: ${(error as Error).message}`, stats }),
        );
    };

    const giveUpIfHopeless = () => {
      if (settled || decoding) return;
      const stillPossible = n - failedPairs.size;
      if (stillPossible < P && neededMissing() > 0) {
        finish({
          kind: 'unavailable',
          message: `only ${stillPossible} of ${n} primary slivers can still be had; ${P} are needed`,
          stats,
        });
      } else if (inFlight === 0 && neededMissing() > 0 && verified.size < P) {
        requestSpares(P - verified.size);
        if (inFlight === 0)
          finish({ kind: 'unavailable', message: `could not collect ${P} verified primary slivers`, stats });
      }
    };

    /** When each outstanding request started, and how long finished ones took (this read only). */
    const startedAt = new Map<number, number>();
    const latencies: number[] = [];

    /**
     * Needed rows whose request has been out much longer than this read's typical one (and than the
     * hedge delay): the stragglers a hedge gives up on. Relative, so a large blob whose slivers all
     * take a while to transfer does not look like a blob of stragglers.
     */
    const stragglers = () => {
      if (latencies.length === 0) return 0;
      const sorted = [...latencies].sort((a, b) => a - b);
      const typical = sorted[Math.floor(sorted.length / 2)]!;
      const threshold = Math.max(request.hedgeDelayMs, 3 * typical);
      const now = performance.now();
      let count = 0;
      for (let row = nextRowToEmit; row <= lastRow; row++) {
        const since = startedAt.get(row);
        if (since !== undefined && !verified.has(row) && now - since > threshold) count++;
      }
      return count;
    };

    const onFailure = (pair: number) => {
      failedPairs.add(pair);
      if (settled || decoding || neededMissing() === 0) return;
      // A needed row is lost for good: from here on the read decodes, so keep P slivers within reach.
      requestSpares(P - verified.size - inFlight);
      giveUpIfHopeless();
    };

    function fetchPair(pair: number) {
      const node = ownerOf(pair);
      requested.add(pair);
      inFlight++;
      stats.sliverRequests++;
      scores.started(node.url);
      const started = performance.now();
      startedAt.set(pair, started);
      request
        .clientFor(node)
        .getSliver(blobId, pair, 'primary', { signal, timeoutMs: request.requestTimeoutMs })
        .then(
          async (bcs) => {
            const latency = performance.now() - started;
            startedAt.delete(pair);
            latencies.push(latency);
            scores.succeeded(node.url, latency);
            if (settled || decoding) {
              inFlight--;
              return;
            }
            const data = sliverData(bcs, pair, symbolSize, sliverBytes);
            const ok =
              data !== undefined &&
              (await request.codec
                .verifySliver(
                  { data, symbolSize, type: 'primary', n, expectedHash: metadata.hashes[pair]!.primary },
                  pair,
                )
                .catch(() => false));
            inFlight--;
            if (settled || decoding) return;
            if (!ok) {
              stats.invalidSlivers++;
              scores.byzantine(node.url);
              return onFailure(pair);
            }
            verified.set(pair, { bcs, data: data! });
            emitInOrder();
            maybeDecode();
          },
          () => {
            inFlight--;
            startedAt.delete(pair);
            stats.failedRequests++;
            scores.failed(node.url, performance.now() - started);
            if (settled || decoding) return;
            onFailure(pair);
          },
        );
    }

    for (let row = firstRow; row <= lastRow; row++) fetchPair(row);
    const armHedge = () => {
      hedgeTimer = setTimeout(() => {
        if (settled || decoding || neededMissing() === 0) return;
        // Assume the stragglers never come: enough other slivers must be verified or on their way to decode.
        const late = stragglers();
        if (late > 0) requestSpares(P - verified.size - (inFlight - late));
        armHedge();
      }, request.hedgeDelayMs);
    };
    armHedge();
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
