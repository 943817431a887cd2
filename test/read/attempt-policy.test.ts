// The one policy for upstream attempts, with a fake clock: no devnet, no timers.
import { describe, expect, it } from 'vitest';
import { StorageNodeError } from '../../src/network/storage-node-client.ts';
import {
  attemptResultOf,
  nextStep,
  retryingPolicy,
  type AttemptResult,
} from '../../src/read/attempt-policy.ts';

const status = (code: number): AttemptResult<string> => ({ kind: 'status', status: code });

/** Every kind of ending, with the step a caller that never waits on the same target must take. */
const TABLE: [label: string, result: AttemptResult<string>, step: object][] = [
  ['ok', { kind: 'ok', value: 'bytes' }, { kind: 'ok', value: 'bytes' }],
  ['invalid bytes', { kind: 'invalid' }, { kind: 'retry-next' }],
  ['404', status(404), { kind: 'stop', reason: 'not-found' }],
  ['451', status(451), { kind: 'stop', reason: 'blocked' }],
  ['cancelled', { kind: 'cancelled' }, { kind: 'stop', reason: 'cancelled' }],
  ['503', status(503), { kind: 'retry-next' }],
  ['500', status(500), { kind: 'retry-next' }],
  ['429', status(429), { kind: 'retry-next' }],
  ['408', status(408), { kind: 'retry-next' }],
  ['timeout', { kind: 'timeout' }, { kind: 'retry-next' }],
  ['unreachable', { kind: 'unreachable' }, { kind: 'retry-next' }],
  ['400', status(400), { kind: 'retry-next' }],
  ['403', status(403), { kind: 'retry-next' }],
  ['501', status(501), { kind: 'retry-next' }],
];

function fakeClock(start = 1_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe('nextStep (callers with another target: reads)', () => {
  for (const [label, result, step] of TABLE) {
    it(`${label} → ${JSON.stringify(step)}`, () => {
      expect(nextStep(result)).toEqual(step);
    });
  }
});

describe('retryingPolicy (callers with a fixed target: uploads)', () => {
  const clock = fakeClock();
  const policy = retryingPolicy({ attemptsPerTarget: 4, backoffMs: 100, maxBackoffMs: 250, now: clock.now });

  it('retries a transient failure on the same target with a doubling, capped backoff, then moves on', () => {
    const steps = [1, 2, 3, 4].map((attempts) => policy.nextStep(status(503), { attempts }));
    expect(steps).toEqual([
      { kind: 'retry-same', afterMs: 100 },
      { kind: 'retry-same', afterMs: 200 },
      { kind: 'retry-same', afterMs: 250 },
      { kind: 'retry-next' },
    ]);
    for (const result of [{ kind: 'timeout' }, { kind: 'unreachable' }, status(429)] as const)
      expect(policy.nextStep(result, { attempts: 1 })).toEqual({ kind: 'retry-same', afterMs: 100 });
  });

  it('never asks a node that served bad bytes, or refused, again', () => {
    expect(policy.nextStep({ kind: 'invalid' }, { attempts: 1 })).toEqual({ kind: 'retry-next' });
    expect(policy.nextStep(status(400), { attempts: 1 })).toEqual({ kind: 'retry-next' });
    expect(policy.nextStep(status(501), { attempts: 1 })).toEqual({ kind: 'retry-next' });
  });

  it('stops for answers that count toward a quorum and for cancellation, whatever the budget', () => {
    expect(policy.nextStep(status(404), { attempts: 1 })).toEqual({ kind: 'stop', reason: 'not-found' });
    expect(policy.nextStep(status(451), { attempts: 1 })).toEqual({ kind: 'stop', reason: 'blocked' });
    expect(policy.nextStep({ kind: 'cancelled' }, { attempts: 1 })).toEqual({
      kind: 'stop',
      reason: 'cancelled',
    });
  });

  it('waits only when the wait ends before the deadline, and stops once the deadline has passed', () => {
    clock.t = 1_000;
    const deadline = 1_250;
    expect(policy.nextStep(status(503), { attempts: 1, deadline })).toEqual({
      kind: 'retry-same',
      afterMs: 100,
    });
    // 1 000 + 200 is before 1 250; 1 100 + 200 is not: try another target now instead of waiting.
    expect(policy.nextStep(status(503), { attempts: 2, deadline })).toEqual({
      kind: 'retry-same',
      afterMs: 200,
    });
    clock.t = 1_100;
    expect(policy.nextStep(status(503), { attempts: 2, deadline })).toEqual({ kind: 'retry-next' });
    clock.t = 1_250;
    expect(policy.nextStep(status(503), { attempts: 1, deadline })).toEqual({
      kind: 'stop',
      reason: 'deadline',
    });
    expect(policy.nextStep({ kind: 'invalid' }, { attempts: 1, deadline })).toEqual({
      kind: 'stop',
      reason: 'deadline',
    });
    // An answer is still an answer after the deadline.
    expect(policy.nextStep({ kind: 'ok', value: 7 }, { attempts: 3, deadline })).toEqual({
      kind: 'ok',
      value: 7,
    });
    expect(policy.nextStep(status(404), { attempts: 1, deadline })).toEqual({
      kind: 'stop',
      reason: 'not-found',
    });
  });

  it('with one attempt per target and no deadline, it is exactly nextStep', () => {
    const once = retryingPolicy({
      attemptsPerTarget: 1,
      backoffMs: 100,
      maxBackoffMs: 100,
      now: fakeClock().now,
    });
    for (const [, result] of TABLE) expect(once.nextStep(result, { attempts: 1 })).toEqual(nextStep(result));
  });
});

describe('attemptResultOf', () => {
  const live = new AbortController().signal;

  it("maps the storage-node client's failures", () => {
    expect(attemptResultOf(new StorageNodeError(503, 'UNAVAILABLE', 'down'), live)).toEqual(status(503));
    expect(attemptResultOf(new StorageNodeError(0, 'TIMEOUT', 'slow'), live)).toEqual({ kind: 'timeout' });
    expect(attemptResultOf(new StorageNodeError(0, 'UNREACHABLE', 'refused'), live)).toEqual({
      kind: 'unreachable',
    });
    expect(attemptResultOf(new TypeError('fetch failed'), live)).toEqual({ kind: 'unreachable' });
  });

  it('calls anything that ends after our own signal aborted a cancellation', () => {
    const controller = new AbortController();
    controller.abort();
    expect(attemptResultOf(new StorageNodeError(0, 'TIMEOUT', 'slow'), controller.signal)).toEqual({
      kind: 'cancelled',
    });
    expect(attemptResultOf(new DOMException('aborted', 'AbortError'), controller.signal)).toEqual({
      kind: 'cancelled',
    });
  });
});
