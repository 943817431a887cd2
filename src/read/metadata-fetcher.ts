// Fetches a blob's metadata: the best-scored node first, another after a hedge delay or a failure, and
// the first answer that derives to the blob ID wins. 404s and 451s are tallied by shard weight: a quorum
// (≥ 2f+1 shards) of them means the blob does not exist, or is blocked.
import { isQuorum } from '../protocol/confirmation.ts';
import {
  InvalidMetadataError,
  metadataMatchesBlobId,
  parseMetadata,
  type ParsedMetadata,
} from '../protocol/metadata.ts';
import type { Committee, CommitteeNode } from '../network/committee.ts';
import type { StorageNodeClient } from '../network/storage-node-client.ts';
import { attemptResultOf, nextStep, type AttemptResult, type MoveOnStep } from './attempt-policy.ts';
import type { RequestEnded } from './node-requests.ts';
import type { NodeScores } from './node-scores.ts';
import { failure, type ReadFailure } from './read-errors.ts';

export interface MetadataRequest {
  committee: Committee;
  blobId: string;
  blobIdBytes: Uint8Array;
  clientFor(node: CommitteeNode): StorageNodeClient;
  scores: NodeScores;
  /** Told of every request's end (metrics). */
  requestEnded?: RequestEnded;
  signal: AbortSignal;
  requestTimeoutMs: number;
  /** Start another node when none has answered after this long. */
  hedgeDelayMs: number;
}

export type MetadataOutcome = { kind: 'ok'; metadata: ParsedMetadata; from: string } | ReadFailure;

/** How many nodes to ask at once once 404s start arriving, to reach (or refute) a quorum quickly. */
const NOT_FOUND_FANOUT = 6;

export function fetchMetadata(request: MetadataRequest): Promise<MetadataOutcome> {
  const { committee, blobId, blobIdBytes, scores, signal } = request;
  const n = committee.nShards;
  const ordered = [...committee.nodes].sort((a, b) => scores.cost(a.url) - scores.cost(b.url));
  const own = new AbortController();
  const linked = AbortSignal.any([signal, own.signal]);

  return new Promise<MetadataOutcome>((resolve) => {
    let next = 0;
    let inFlight = 0;
    /** Shard weight of the nodes that answered 404 (not found) and 451 (blocked). */
    const absent = { 'not-found': 0, blocked: 0 };
    let settled = false;
    let hedgeTimer: ReturnType<typeof setTimeout> | undefined;

    const finish = (outcome: MetadataOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(hedgeTimer);
      own.abort();
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = () => finish(failure('unavailable', 'the read was cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return onAbort();

    const armHedge = () => {
      clearTimeout(hedgeTimer);
      hedgeTimer = setTimeout(() => {
        if (!settled && next < ordered.length) {
          // Nobody answered in time: double the nodes in flight, so many hanging nodes cost a few
          // hedge delays, not one each.
          const more = Math.max(1, inFlight);
          for (let i = 0; i < more; i++) launch();
          armHedge();
        }
      }, request.hedgeDelayMs);
    };

    const exhaustedCheck = () => {
      if (!settled && inFlight === 0 && next >= ordered.length) {
        finish(
          failure(
            'unavailable',
            `no storage node returned valid metadata (${absent['not-found']} shards said not found, ${absent.blocked} blocked, of ${n})`,
          ),
        );
      }
    };

    const launch = () => {
      if (settled || next >= ordered.length) return exhaustedCheck();
      const node = ordered[next++]!;
      inFlight++;
      scores.started(node.url);
      const started = performance.now();
      const ended = (result: AttemptResult<ParsedMetadata>) => attemptEnded(node, result, started);
      request
        .clientFor(node)
        .getMetadata(blobId, { signal: linked, timeoutMs: request.requestTimeoutMs })
        .then(
          (bytes) => {
            const metadata = verified(bytes, blobIdBytes, n);
            ended(metadata ? { kind: 'ok', value: metadata } : { kind: 'invalid' });
          },
          (error: unknown) => ended(attemptResultOf(error, linked)),
        );
    };

    const attemptEnded = (node: CommitteeNode, result: AttemptResult<ParsedMetadata>, started: number) => {
      inFlight--;
      const step = nextStep(result);
      const ms = performance.now() - started;
      score(scores, node.url, result, step, ms);
      request.requestEnded?.(node, result, ms);
      if (settled) return;
      switch (step.kind) {
        case 'ok':
          return finish({ kind: 'ok', metadata: step.value, from: node.name });
        case 'retry-next':
          return launch();
        case 'stop':
          if (step.reason !== 'cancelled') answeredAbsent(node, step.reason);
          return;
      }
    };

    /** A 404 or 451: tally it, and ask more nodes at once so the quorum is reached (or refuted) soon. */
    const answeredAbsent = (node: CommitteeNode, reason: 'not-found' | 'blocked') => {
      const weight = (absent[reason] += node.shards.length);
      if (isQuorum(weight, n)) {
        const message =
          reason === 'not-found'
            ? `storage nodes holding ${weight} of ${n} shards do not have the blob`
            : `storage nodes holding ${weight} of ${n} shards block the blob`;
        return finish(failure(reason, message));
      }
      while (inFlight < NOT_FOUND_FANOUT && next < ordered.length) launch();
      exhaustedCheck();
    };

    launch();
    armHedge();
  });
}

/** Scores by what the attempt means: a 404 or 451 is an answer that counts toward a quorum, not a fault. */
function score(
  scores: NodeScores,
  node: string,
  result: AttemptResult,
  step: MoveOnStep,
  latencyMs: number,
): void {
  switch (step.kind) {
    case 'ok':
      return scores.succeeded(node, latencyMs);
    case 'stop':
      if (step.reason === 'cancelled') return scores.cancelled(node, latencyMs);
      return scores.succeeded(node, latencyMs);
    case 'retry-next':
      if (result.kind !== 'invalid') return scores.failed(node, latencyMs);
      scores.succeeded(node, latencyMs);
      return scores.byzantine(node);
  }
}

/** Parsed metadata if the bytes are BlobMetadataWithId for exactly this blob ID, else undefined. */
function verified(bytes: Uint8Array, blobIdBytes: Uint8Array, n: number): ParsedMetadata | undefined {
  if (bytes.length < 33 || !bytes.subarray(0, 32).every((b, i) => b === blobIdBytes[i])) return undefined;
  try {
    const metadata = parseMetadata(bytes.subarray(32));
    return metadataMatchesBlobId(metadata, blobIdBytes, n) ? metadata : undefined;
  } catch (error) {
    if (error instanceof InvalidMetadataError) return undefined;
    throw error;
  }
}
