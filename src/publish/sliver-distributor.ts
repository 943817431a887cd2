// Sends an encoded blob to the storage nodes — metadata, then each node's primary and secondary
// slivers — and collects their signed confirmations into a certificate (signers covering more than 2f
// shards by weight). Used by the publisher (after registering) and by the upload relay (the client
// registered). Nothing here touches the chain.
//
// How a distribution goes:
// - Every node at once (distribution-node.ts), with at most `maxRequestsPerNode` requests in flight per
//   node and `maxRequests` uploads in all, those shared slots granted quorum-first (every node's
//   metadata, then the heaviest nodes' slivers: distribution-slots.ts), and with `shared` slots also
//   ordered across the service's concurrent distributions (those without a quorum, older first); a transient failure is retried on the same node as the shared
//   attempt policy says (read/attempt-policy.ts, the reads' table); each request has a timeout and the
//   whole distribution a deadline (`deadlineMs`).
// - Confirmations are tallied as nodes finish (distribution-confirmations.ts: grouped by message, one
//   aggregate BLS check, one by one only when that fails). Once the valid ones cover a quorum, more are
//   awaited only for a grace of `graceMs + graceFactor × the time the quorum took` (the official client's
//   sliver-write extra time, 500 ms + 0.5×; none by default when a `background` carries the stragglers
//   on), then the certificate is returned: a node that is down or never confirms costs at most that grace.
// - As soon as the nodes still pending cannot bring a quorum, or at the deadline, the answer is
//   `insufficient-confirmations` with the weight that did confirm.
// - Stragglers, nodes still uploading when the certificate is returned: with a `background` hook their
//   uploads go on there until done or the deadline (their confirmations are no longer asked for), so
//   those nodes hold their slivers without having to recover them; without one they are aborted. Once
//   distributeBlob has returned, the caller's signal no longer reaches them; the hook's does.
// - The caller's signal aborting before the return ends everything and rejects with its reason, as
//   fetch does: a cancellation is the caller's own doing, not an outcome to report back to it. A
//   signal that times out (reason TimeoutError, as AbortSignal.timeout gives) is a deadline instead:
//   the answer is then what the confirmations so far make, as at `deadlineMs`.
import type { EncodedBlob } from '../codec/blob-encoder.ts';
import { bytesToHex } from '../protocol/base64.ts';
import { isQuorum, parseConfirmationMessage } from '../protocol/confirmation.ts';
import type { Committee } from '../network/committee.ts';
import { StorageNodeClient } from '../network/storage-node-client.ts';
import type { NodeTransport } from '../network/transport/node-transport.ts';
import { retryingPolicy } from '../read/attempt-policy.ts';
import { reconstructionLimiter, type ReconstructionLimiter } from '../read/limiter.ts';
import type { BackgroundWork } from './distribution-background.ts';
import { prioritySlots, quorumFirstRanks, type SharedUploadSlots } from './distribution-slots.ts';
import {
  ConfirmationTally,
  type BlobCertificate,
  type NodeConfirmation,
} from './distribution-confirmations.ts';
import { uploadToNode, type NodeUploadEnd, type UploadRequestKind } from './distribution-node.ts';

export type { BlobCertificate, NodeConfirmation } from './distribution-confirmations.ts';
export type { BackgroundWork } from './distribution-background.ts';
export { sharedUploadSlots, type SharedUploadSlots } from './distribution-slots.ts';
export type { UploadRequestKind } from './distribution-node.ts';

/** Which confirmation the nodes sign: for the blob ID, or for one deletable Blob object (0x + 64 hex). */
export type UploadPersistence = { kind: 'permanent' } | { kind: 'deletable'; objectId: string };

export interface DistributeInput {
  encoded: EncodedBlob;
  /** The blob ID in its string form (base64url). */
  blobId: string;
  committee: Committee;
  persistence: UploadPersistence;
  transport?: NodeTransport;
  signal?: AbortSignal;
  /** The whole distribution, from the call (default 120 s; the publisher passes PUBLISH_UPLOAD_DEADLINE_MS). */
  deadlineMs?: number;
  /** Each request to a node (default 30 s), never past the deadline. */
  requestTimeoutMs?: number;
  /**
   * Wait after the quorum for more nodes: graceMs + graceFactor × time to quorum. Default: the official
   * client's 500 ms + 0.5× without a `background` (it is the stragglers' only chance to finish); none
   * with one, where they go on anyway and the certificate needs no more signers than a quorum.
   */
  graceMs?: number;
  graceFactor?: number;
  /** Requests in flight per node (default 8): enough to fill a link, few enough not to flood a node. */
  maxRequestsPerNode?: number;
  /** Metadata and sliver uploads in flight for the whole distribution (default 64). */
  maxRequests?: number;
  /** Attempts per request, the first included (default 4), and the backoff between them (250 ms doubling to 2 s). */
  retry?: { attemptsPerRequest?: number; backoffMs?: number; maxBackoffMs?: number };
  observer?: DistributionObserver;
  /** Takes over uploads to stragglers after the return; without it they are aborted then. */
  background?: BackgroundWork;
  /**
   * Upload slots shared with the service's other distributions (those without a quorum, older first),
   * in place of `maxRequests`.
   */
  shared?: SharedUploadSlots;
}

/** The tuning and hooks of a distribution, for callers that pass them through (storeBlob). */
export type DistributionOptions = Omit<
  DistributeInput,
  'encoded' | 'blobId' | 'committee' | 'persistence' | 'transport' | 'signal'
>;

export type DistributeOutcome =
  | { ok: true; certificate: BlobCertificate; confirmedShards: number }
  | {
      ok: false;
      kind: 'insufficient-confirmations';
      /** Shards (by weight) whose nodes confirmed with a valid signature. */
      confirmedShards: number;
      nShards: number;
      message: string;
    };

/**
 * How one node's part ended, as of distributeBlob's return. invalid-confirmation: it signed another
 * message, or its signature did not verify. not-needed: still going when the result was decided.
 */
export type NodeOutcome =
  'confirmed' | 'invalid-confirmation' | 'failed' | 'timed-out' | 'not-needed' | 'cancelled';

/** How a straggler's uploads, continued in the background, ended. */
export type StragglerOutcome = 'stored' | 'failed' | 'timed-out' | 'cancelled';

export interface DistributedNode {
  name: string;
  /** Its shard weight. */
  shards: number;
}

/** Hooks for metrics: the distributor stays free of any metrics library. A hook that throws is ignored. */
export interface DistributionObserver {
  /** Once per committee node when distributeBlob settles; `ms`: when its part ended, from the start. */
  nodeFinished?(outcome: NodeOutcome, node: DistributedNode, ms: number): void;
  /** Each retry of a request on the same node, after a transient failure. */
  requestRetried?(kind: UploadRequestKind): void;
  /** Body bytes of each metadata or sliver attempt sent (retries included). */
  bytesSent?(bytes: number): void;
  /** Valid confirmations first covered a quorum, `ms` after the start. */
  quorumReached?(ms: number): void;
  distributionFinished?(outcome: 'certified' | 'insufficient-confirmations' | 'cancelled', ms: number): void;
  /** A straggler's uploads that went on in the background ended. */
  stragglerFinished?(outcome: StragglerOutcome, node: DistributedNode): void;
}

const DEFAULTS = {
  deadlineMs: 120_000,
  requestTimeoutMs: 30_000,
  graceMs: 500,
  graceFactor: 0.5,
  maxRequestsPerNode: 8,
  maxRequests: 64,
  attemptsPerRequest: 4,
  backoffMs: 250,
  maxBackoffMs: 2_000,
};

export function distributeBlob(input: DistributeInput): Promise<DistributeOutcome> {
  const { encoded, blobId, committee, persistence, signal } = input;
  if (signal?.aborted) {
    if (!isTimeout(signal.reason)) return Promise.reject(signal.reason);
    return Promise.resolve(insufficient(0, committee.nShards, 'the deadline had passed before the start'));
  }
  const settings = withDefaults(input);
  const observer = guarded(input.observer ?? {});
  const n = committee.nShards;
  const started = performance.now();
  const deadline = started + settings.deadlineMs;
  const elapsed = () => performance.now() - started;
  const describeNode = (index: number): DistributedNode => ({
    name: committee.nodes[index]!.name,
    shards: committee.nodes[index]!.shards.length,
  });

  const uploads = new AbortController();
  const confirming = new AbortController();
  const policy = retryingPolicy({
    attemptsPerTarget: settings.attemptsPerRequest,
    backoffMs: settings.backoffMs,
    maxBackoffMs: settings.maxBackoffMs,
  });
  // Slots for this distribution's uploads: every node's metadata first (small, and a node takes no
  // sliver before it), then slivers by the node's rank, heaviest first (distribution-slots.ts).
  const allUploads = prioritySlots(settings.maxRequests);
  const shared = input.shared?.forDistribution(() => phase === 'collecting');
  // With shared slots they alone bound the uploads (this distribution's own limit would let each
  // concurrent one keep its requests in flight whatever its turn); without, this distribution's own.
  const uploadSlots = (rank: number): ReconstructionLimiter => (shared ? shared(rank) : allUploads.at(rank));
  const ranks = quorumFirstRanks(
    committee.nodes.map((node) => node.shards.length),
    encoded.blobId[0] ?? 0,
  );
  const tally = new ConfirmationTally(committee);
  const ended: ({ end: NodeUploadEnd; ms: number } | undefined)[] = committee.nodes.map(() => undefined);
  let pendingShards = committee.nodes.reduce((sum, node) => sum + node.shards.length, 0);
  let phase: 'collecting' | 'grace' | 'done' | 'background' = 'collecting';

  return new Promise<DistributeOutcome>((resolve, reject) => {
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const deadlineTimer = setTimeout(
      safely(() => {
        if (phase === 'collecting' || phase === 'grace') finish('deadline');
        else uploads.abort(new DOMException('the distribution deadline passed', 'TimeoutError'));
      }),
      // Timers overflow past 2^31 - 1 ms (and would fire at once).
      Math.min(settings.deadlineMs, 2 ** 31 - 1),
    );
    const onCallerAbort = safely(() => (isTimeout(signal?.reason) ? finish('deadline') : cancel()));
    signal?.addEventListener('abort', onCallerAbort, { once: true });

    const tasks = committee.nodes.map((node, index) => {
      const perNode = reconstructionLimiter(settings.maxRequestsPerNode, Infinity);
      const limits = { policy, deadline, requestTimeoutMs: settings.requestTimeoutMs };
      return uploadToNode({
        client: new StorageNodeClient(node.url, input.transport),
        node,
        encoded,
        blobId,
        nShards: n,
        persistence,
        metadataLimits: { ...limits, slots: [perNode, uploadSlots(-1)] },
        uploadLimits: { ...limits, slots: [perNode, uploadSlots(ranks[index]!)] },
        // A confirmation is tiny and may hang on a bad node: it takes no upload slot from the others.
        confirmationLimits: { ...limits, slots: [perNode] },
        onRetry: (kind) => observer.requestRetried(kind),
        onSent: (bytes) => observer.bytesSent(bytes),
        uploadSignal: uploads.signal,
        confirmSignal: confirming.signal,
      })
        .catch((error: unknown): NodeUploadEnd => ({ kind: 'failed', detail: String(error) }))
        .then((end) => onNodeEnd(index, end))
        .catch(fail);
    });

    function onNodeEnd(index: number, end: NodeUploadEnd): void {
      if (phase === 'background') {
        observer.stragglerFinished(stragglerOutcome(end), describeNode(index));
        return;
      }
      if (phase === 'done') return;
      ended[index] = { end, ms: elapsed() };
      pendingShards -= committee.nodes[index]!.shards.length;
      if (end.kind === 'confirmed' && confirmsThisBlob(end.serializedMessage)) {
        tally.add({ index, serializedMessage: end.serializedMessage, signature: end.signature });
      }
      if (phase === 'collecting' && isQuorum(tally.optimisticShards, n) && tally.check().ok) {
        phase = 'grace';
        const quorumMs = elapsed();
        observer.quorumReached(quorumMs);
        const graceMs = settings.graceMs + settings.graceFactor * quorumMs;
        graceTimer = setTimeout(
          safely(() => finish('settled')),
          Math.min(graceMs, deadline - performance.now()),
        );
      }
      const quorumImpossible = phase === 'collecting' && !isQuorum(tally.optimisticShards + pendingShards, n);
      if (pendingShards === 0 || quorumImpossible) finish('settled');
    }

    function finish(why: 'settled' | 'deadline'): void {
      const result = tally.check();
      settle();
      const signers = new Set(result.ok ? result.certificate.signers : result.signers);
      const stillGoing = why === 'deadline' ? 'timed-out' : 'not-needed';
      reportNodes(signers, stillGoing);
      observer.distributionFinished(result.ok ? 'certified' : 'insufficient-confirmations', elapsed());
      resolve(
        result.ok
          ? { ok: true, certificate: result.certificate, confirmedShards: result.confirmedShards }
          : insufficient(result.confirmedShards, n, summary(signers, stillGoing)),
      );
      const stragglers = ended.some((e) => e === undefined);
      if (result.ok && stragglers && why === 'settled' && input.background) {
        phase = 'background';
        try {
          input.background.run(async (shutdown) => {
            const stop = () => uploads.abort(shutdown.reason);
            if (shutdown.aborted) stop();
            shutdown.addEventListener('abort', stop, { once: true });
            await Promise.all(tasks);
            shutdown.removeEventListener('abort', stop);
            clearTimeout(deadlineTimer);
          });
          return;
        } catch {
          // A background that refuses work: the stragglers are aborted like without one.
          phase = 'done';
        }
      }
      uploads.abort(new DOMException('the distribution has ended', 'AbortError'));
      clearTimeout(deadlineTimer);
    }

    function cancel(): void {
      if (phase !== 'collecting' && phase !== 'grace') return;
      settle();
      uploads.abort(signal?.reason);
      clearTimeout(deadlineTimer);
      reportNodes(new Set(), 'cancelled');
      observer.distributionFinished('cancelled', elapsed());
      reject(signal?.reason);
    }

    /** A bug of ours must still settle the call, never escape as an unhandled rejection. */
    function fail(error: unknown): void {
      if (phase !== 'collecting' && phase !== 'grace') return;
      settle();
      uploads.abort(error);
      clearTimeout(deadlineTimer);
      reject(error);
    }

    /** For timers and listeners, where a throw would be uncaught: it fails the call instead. */
    function safely(run: () => void): () => void {
      return () => {
        try {
          run();
        } catch (error) {
          fail(error);
        }
      };
    }

    function settle(): void {
      phase = 'done';
      clearTimeout(graceTimer);
      confirming.abort();
      signal?.removeEventListener('abort', onCallerAbort);
    }

    function reportNodes(signers: Set<number>, stillGoing: NodeOutcome): void {
      committee.nodes.forEach((_, index) => {
        const done = ended[index];
        const outcome = done ? nodeOutcome(done.end, signers.has(index)) : stillGoing;
        observer.nodeFinished(outcome, describeNode(index), done?.ms ?? elapsed());
      });
    }

    function summary(signers: Set<number>, stillGoing: NodeOutcome): string {
      const counts = new Map<NodeOutcome, number>();
      committee.nodes.forEach((_, index) => {
        const done = ended[index];
        const outcome = done ? nodeOutcome(done.end, signers.has(index)) : stillGoing;
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      });
      const examples = committee.nodes.flatMap((node, index) => {
        const end = ended[index]?.end;
        return end && 'detail' in end ? [`${node.name}: ${end.detail}`] : [];
      });
      return [
        [...counts].map(([outcome, count]) => `${count} ${outcome}`).join(', '),
        ...examples.slice(0, 3),
      ].join('; ');
    }

    function stragglerOutcome(end: NodeUploadEnd): StragglerOutcome {
      if (end.kind === 'confirmed') return 'stored';
      if (end.kind === 'cancelled' && performance.now() >= deadline) return 'timed-out';
      return end.kind;
    }
  });

  /** The node signed a confirmation of this blob, with this persistence (any epoch: grouping decides). */
  function confirmsThisBlob(message: Uint8Array): boolean {
    let parsed;
    try {
      parsed = parseConfirmationMessage(message);
    } catch {
      return false;
    }
    if (bytesToHex(parsed.blobId) !== bytesToHex(encoded.blobId)) return false;
    if (persistence.kind === 'permanent') return parsed.persistence.kind === 'permanent';
    return (
      parsed.persistence.kind === 'deletable' &&
      '0x' + bytesToHex(parsed.persistence.objectId) === persistence.objectId.toLowerCase()
    );
  }
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}

function nodeOutcome(end: NodeUploadEnd, signed: boolean): NodeOutcome {
  switch (end.kind) {
    case 'confirmed':
      return signed ? 'confirmed' : 'invalid-confirmation';
    case 'stored':
      return 'not-needed';
    default:
      return end.kind;
  }
}

function insufficient(
  confirmedShards: number,
  n: number,
  nodes: string,
): Extract<DistributeOutcome, { ok: false }> {
  return {
    ok: false,
    kind: 'insufficient-confirmations',
    confirmedShards,
    nShards: n,
    message:
      `confirmations cover ${confirmedShards} of ${n} shards; a certificate needs more than two thirds` +
      (nodes ? ` (nodes: ${nodes})` : ''),
  };
}

/**
 * Aggregates confirmations that sign the same message into a certificate with a shard-weight quorum.
 * Optimistic: one aggregate check; only when it fails is each signature checked on its own, so one
 * byzantine node cannot spoil a certificate.
 */
export function aggregateConfirmations(
  committee: Committee,
  confirmations: NodeConfirmation[],
): DistributeOutcome {
  const tally = new ConfirmationTally(committee);
  for (const confirmation of confirmations) tally.add(confirmation);
  const result = tally.check();
  return result.ok
    ? { ok: true, certificate: result.certificate, confirmedShards: result.confirmedShards }
    : insufficient(result.confirmedShards, committee.nShards, '');
}

type Hooks = { [K in keyof DistributionObserver]-?: NonNullable<DistributionObserver[K]> };

/** Every hook callable, and none able to break a distribution by throwing. */
function guarded(observer: DistributionObserver): Hooks {
  const wrap =
    <A extends unknown[]>(hook: ((...args: A) => void) | undefined) =>
    (...args: A) => {
      try {
        hook?.apply(observer, args);
      } catch {
        // Metrics must never fail an upload.
      }
    };
  return {
    nodeFinished: wrap(observer.nodeFinished),
    requestRetried: wrap(observer.requestRetried),
    bytesSent: wrap(observer.bytesSent),
    quorumReached: wrap(observer.quorumReached),
    distributionFinished: wrap(observer.distributionFinished),
    stragglerFinished: wrap(observer.stragglerFinished),
  };
}

function withDefaults(input: DistributeInput): typeof DEFAULTS {
  const retry = input.retry ?? {};
  return {
    deadlineMs: input.deadlineMs ?? DEFAULTS.deadlineMs,
    requestTimeoutMs: input.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    graceMs: input.graceMs ?? (input.background ? 0 : DEFAULTS.graceMs),
    graceFactor: input.graceFactor ?? (input.background ? 0 : DEFAULTS.graceFactor),
    maxRequestsPerNode: input.maxRequestsPerNode ?? DEFAULTS.maxRequestsPerNode,
    maxRequests: input.maxRequests ?? DEFAULTS.maxRequests,
    attemptsPerRequest: retry.attemptsPerRequest ?? DEFAULTS.attemptsPerRequest,
    backoffMs: retry.backoffMs ?? DEFAULTS.backoffMs,
    maxBackoffMs: retry.maxBackoffMs ?? DEFAULTS.maxBackoffMs,
  };
}
