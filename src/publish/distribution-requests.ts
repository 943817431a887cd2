// One request of a blob's distribution to one storage node. Its target is fixed (an upload must reach
// that node), so a transient failure is retried on the same node exactly as the shared attempt policy
// says (read/attempt-policy.ts `retryingPolicy`, the table reads use too); this file only drives it.
// Each attempt holds a slot of the node's and of the whole distribution's request limits, and its
// timeout never runs past the distribution's deadline.
import type { RequestOptions } from '../network/storage-node-client.ts';
import { attemptResultOf, type AttemptResult, type RetryingPolicy } from '../read/attempt-policy.ts';
import type { ReconstructionLimiter } from '../read/limiter.ts';

/** How a request ended, once the policy has no further attempt to make. */
export type RequestEnd<T> =
  | { kind: 'ok'; value: T }
  /** The node refused or could not be reached, and the policy gave up on it. */
  | { kind: 'failed'; detail: string }
  /** Its attempts timed out, or the distribution's deadline left no time for another. */
  | { kind: 'timed-out'; detail: string }
  /** Its signal ended it (the caller, or the distribution no longer needs it). */
  | { kind: 'cancelled' };

export interface RequestLimits {
  policy: RetryingPolicy;
  /** performance.now() time by which the whole distribution must be done. */
  deadline: number;
  requestTimeoutMs: number;
  /** Slots held by each attempt, taken in this order (the node's first, then the distribution's). */
  slots: readonly ReconstructionLimiter[];
  /** Called before each retry of the same request. */
  onRetry(): void;
}

export async function requestWithRetries<T>(
  limits: RequestLimits,
  signal: AbortSignal,
  attempt: (options: RequestOptions) => Promise<T>,
): Promise<RequestEnd<T>> {
  for (let attempts = 1; ; attempts++) {
    const result = await attemptOnce(limits, signal, attempt);
    const step = limits.policy.nextStep(result, { attempts, deadline: limits.deadline });
    switch (step.kind) {
      case 'ok':
        return step;
      case 'retry-same':
        limits.onRetry();
        if (!(await sleep(step.afterMs, signal))) return { kind: 'cancelled' };
        continue;
      case 'retry-next':
        // No other node can take this node's slivers: the policy giving up ends the request.
        return result.kind === 'timeout'
          ? { kind: 'timed-out', detail: 'every attempt timed out' }
          : { kind: 'failed', detail: describe(result) };
      case 'stop':
        if (step.reason === 'cancelled') return { kind: 'cancelled' };
        if (step.reason === 'deadline') return { kind: 'timed-out', detail: 'the deadline passed' };
        return { kind: 'failed', detail: describe(result) };
    }
  }
}

async function attemptOnce<T>(
  limits: RequestLimits,
  signal: AbortSignal,
  attempt: (options: RequestOptions) => Promise<T>,
): Promise<AttemptResult<T>> {
  const releases: (() => void)[] = [];
  try {
    for (const slots of limits.slots) {
      const release = await slots.acquire(signal);
      if (!release || signal.aborted) {
        release?.();
        return { kind: 'cancelled' };
      }
      releases.push(release);
    }
    // Whole milliseconds: timers (AbortSignal.timeout) take integers only.
    const timeoutMs = Math.floor(Math.min(limits.requestTimeoutMs, limits.deadline - performance.now()));
    if (timeoutMs <= 0) return { kind: 'timeout' };
    return { kind: 'ok', value: await attempt({ signal, timeoutMs }) };
  } catch (error) {
    return attemptResultOf(error, signal);
  } finally {
    for (const release of releases) release();
  }
}

function describe(result: AttemptResult): string {
  switch (result.kind) {
    case 'status':
      return `HTTP ${result.status}`;
    case 'invalid':
      return 'an invalid answer';
    default:
      return result.kind;
  }
}

/** Waits `ms`; false when the signal ended the wait first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
