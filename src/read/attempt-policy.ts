// What to do after one upstream attempt (a request to a storage node) ends. Every caller — metadata,
// primary slivers, quilt columns, the publisher's uploads — asks here, so a 404, a 503 or a corrupt
// sliver means the same thing everywhere and no caller grows its own retry rules.
//
// Two entry points over one table of verdicts: `nextStep` for callers that always have somewhere else
// to go (reads: another node's metadata, another primary sliver, the whole blob instead of a column),
// which never wait on the same node; and `retryingPolicy` for callers whose target is fixed (an upload
// must reach that node), which may wait and try the same node again, within a budget and a deadline.
import { StorageNodeError } from '../network/storage-node-client.ts';

/** How an attempt ended. `invalid`: the node answered with bytes that do not verify. */
export type AttemptResult<T = unknown> =
  | { kind: 'ok'; value: T }
  | { kind: 'invalid' }
  | { kind: 'status'; status: number }
  | { kind: 'timeout' }
  | { kind: 'unreachable' }
  | { kind: 'cancelled' };

/**
 * not-found / blocked: this node answered 404 / 451, which is an answer, not a fault; the caller tallies
 * them (a quorum of shards decides). cancelled: the caller's signal ended the attempt. deadline: no time
 * is left for another attempt.
 */
export type StopReason = 'not-found' | 'blocked' | 'cancelled' | 'deadline';

export type NextStep<T = unknown> =
  | { kind: 'ok'; value: T }
  | { kind: 'retry-same'; afterMs: number }
  | { kind: 'retry-next' }
  | { kind: 'stop'; reason: StopReason };

/** The steps of a caller that never waits on the same target (and has no clock deadline). */
export type MoveOnStep<T = unknown> =
  | { kind: 'ok'; value: T }
  | { kind: 'retry-next' }
  | { kind: 'stop'; reason: Exclude<StopReason, 'deadline'> };

type Verdict<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'stop'; reason: Exclude<StopReason, 'deadline'> }
  /** Another try may well succeed: overload, a timeout, a dropped connection. */
  | { kind: 'transient' }
  /** This node will not give it: bad bytes (never ask a byzantine node twice) or a refusal. */
  | { kind: 'move-on' };

function verdict<T>(result: AttemptResult<T>): Verdict<T> {
  switch (result.kind) {
    case 'ok':
      return result;
    case 'cancelled':
      return { kind: 'stop', reason: 'cancelled' };
    case 'invalid':
      return { kind: 'move-on' };
    case 'timeout':
    case 'unreachable':
      return { kind: 'transient' };
    case 'status':
      if (result.status === 404) return { kind: 'stop', reason: 'not-found' };
      if (result.status === 451) return { kind: 'stop', reason: 'blocked' };
      return isTransientStatus(result.status) ? { kind: 'transient' } : { kind: 'move-on' };
  }
}

/** Request Timeout, Too Many Requests and server errors, except Not Implemented (it will not be, soon). */
function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/** The next step for a caller that always has another target: a failed or bad target is left behind. */
export function nextStep<T>(result: AttemptResult<T>): MoveOnStep<T> {
  const decided = verdict(result);
  return decided.kind === 'transient' || decided.kind === 'move-on' ? { kind: 'retry-next' } : decided;
}

export interface RetryingPolicyOptions {
  /** Attempts allowed on one target, the first included. */
  attemptsPerTarget: number;
  /** Wait before the second attempt; it doubles with each further one, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** The clock that deadlines are given in. */
  now?: () => number;
}

export interface AttemptContext {
  /** Attempts made on this target so far, the one that just ended included. */
  attempts: number;
  /** Clock time (see `now`) by which the caller must be done; none means no deadline. */
  deadline?: number;
}

export interface RetryingPolicy {
  nextStep<T>(result: AttemptResult<T>, context: AttemptContext): NextStep<T>;
}

/**
 * Like `nextStep`, but a transient failure is retried on the same target after a backoff while the
 * budget lasts and the wait ends before the deadline; once the deadline has passed, nothing but an
 * answer (ok, not-found, blocked) or a cancellation is worth reporting, so everything else stops.
 */
export function retryingPolicy(options: RetryingPolicyOptions): RetryingPolicy {
  const now = options.now ?? (() => performance.now());
  return {
    nextStep<T>(result: AttemptResult<T>, { attempts, deadline = Infinity }: AttemptContext): NextStep<T> {
      const decided = verdict(result);
      if (decided.kind === 'ok' || decided.kind === 'stop') return decided;
      const at = now();
      if (at >= deadline) return { kind: 'stop', reason: 'deadline' };
      if (decided.kind === 'transient' && attempts < options.attemptsPerTarget) {
        const afterMs = Math.min(options.maxBackoffMs, options.backoffMs * 2 ** (attempts - 1));
        if (at + afterMs < deadline) return { kind: 'retry-same', afterMs };
      }
      return { kind: 'retry-next' };
    },
  };
}

/** The result of an attempt that threw: the storage-node client's failures, or our own cancellation. */
export function attemptResultOf(error: unknown, signal: AbortSignal): AttemptResult<never> {
  if (signal.aborted) return { kind: 'cancelled' };
  if (error instanceof StorageNodeError) {
    if (error.status > 0) return { kind: 'status', status: error.status };
    // Status 0: the transport's own failure, its kind upper-cased as the reason.
    return error.reason === 'TIMEOUT' ? { kind: 'timeout' } : { kind: 'unreachable' };
  }
  return { kind: 'unreachable' };
}
