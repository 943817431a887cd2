// The primary-sliver planner on its own: events in, actions out, a fake clock, no devnet, no timers.
// n = 10 shards: P = 4, so the systematic rows are 0..3 and pairs 4..9 are the spares.
import { describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../src/read/attempt-policy.ts';
import { SliverPlan, type PlanAction } from '../../src/read/sliver-plan.ts';

const N = 10;
const HEDGE = 100;
const OK: AttemptResult = { kind: 'ok', value: undefined };
const DOWN: AttemptResult = { kind: 'status', status: 503 };

function newPlan(firstRow: number, lastRow: number, cost: (pair: number) => number = (pair) => pair) {
  return new SliverPlan({ n: N, firstRow, lastRow, hedgeDelayMs: HEDGE, cost });
}

/** The sliver of `pair` answers at `now` and verifies. */
function arrives(plan: SliverPlan, pair: number, now: number): PlanAction[] {
  expect(plan.sliverReceived(pair, now)).toBe(true);
  return plan.attemptEnded(pair, OK, now);
}

const fetch = (pairs: number[], spare: boolean): PlanAction => ({ kind: 'fetch', pairs, spare });
const emit = (row: number): PlanAction => ({ kind: 'emit', row });
const wake: PlanAction = { kind: 'wake', afterMs: HEDGE };
const done: PlanAction = { kind: 'finish', outcome: { kind: 'ok' } };

describe('SliverPlan', () => {
  it('happy path: requests exactly rows first..last, hands them out in order, and nothing else', () => {
    const plan = newPlan(1, 3);
    expect(plan.start(0)).toEqual([fetch([1, 2, 3], false), wake]);
    expect(arrives(plan, 3, 10)).toEqual([]);
    expect(arrives(plan, 1, 12)).toEqual([emit(1)]);
    expect(plan.tick(HEDGE)).toEqual([wake]);
    expect(arrives(plan, 2, 130)).toEqual([emit(2), emit(3), done]);
    expect(plan.tick(2 * HEDGE)).toEqual([]);
    expect(plan.stats).toEqual({
      sliverRequests: 3,
      spareRequests: 0,
      failedRequests: 0,
      invalidSlivers: 0,
      decoded: false,
    });
  });

  it('a failed row brings spares, cheapest nodes first, so that P slivers stay within reach', () => {
    // Costs 4:50 5:10 6:30 7:10 8:99 9:20 — ties keep pair order: 5, 7, 9, 6, 4, 8.
    const costs: Record<number, number> = { 4: 50, 5: 10, 6: 30, 7: 10, 8: 99, 9: 20 };
    const plan = newPlan(0, 3, (pair) => costs[pair] ?? 0);
    plan.start(0);
    // Three rows still out: one spare makes four.
    expect(plan.attemptEnded(1, DOWN, 5)).toEqual([fetch([5], true)]);
    expect(plan.attemptEnded(2, { kind: 'timeout' }, 6)).toEqual([fetch([7], true)]);
    expect(arrives(plan, 0, 8)).toEqual([emit(0)]);
    expect(arrives(plan, 3, 9)).toEqual([]);
    expect(arrives(plan, 7, 20)).toEqual([]);
    // Four verified (0, 3, 7, 5 in that order) while rows 1 and 2 are missing: decode.
    expect(arrives(plan, 5, 21)).toEqual([{ kind: 'decode', pairs: [0, 3, 7, 5], rows: [1, 2] }]);
    expect(plan.decodeEnded({ kind: 'ok' })).toEqual([emit(1), emit(2), emit(3), done]);
    expect(plan.stats).toEqual({
      sliverRequests: 6,
      spareRequests: 2,
      failedRequests: 2,
      invalidSlivers: 0,
      decoded: true,
    });
  });

  it('an invalid sliver is a lost row: counted, and replaced by a spare', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    expect(plan.sliverReceived(2, 10)).toBe(true);
    expect(plan.attemptEnded(2, { kind: 'invalid' }, 11)).toEqual([fetch([4], true)]);
    expect(plan.stats).toMatchObject({ invalidSlivers: 1, failedRequests: 0, spareRequests: 1 });
  });

  it('a 404 or 451 for a sliver is a lost row too (the collector tallies no quorum: the metadata exists)', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    expect(plan.attemptEnded(0, { kind: 'status', status: 404 }, 3)).toEqual([fetch([4], true)]);
    expect(plan.attemptEnded(3, { kind: 'status', status: 451 }, 4)).toEqual([fetch([5], true)]);
  });

  it('a needed row out longer than max(hedge delay, 3 × this read’s median latency) is covered by a spare', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    for (const row of [0, 1, 2]) arrives(plan, row, 10);
    // Median latency 10 ms: the threshold is the hedge delay, and row 3 has been out exactly that long.
    expect(plan.tick(100)).toEqual([wake]);
    // Now past it: assume row 3 never comes; 3 verified + 0 others on their way → one spare.
    expect(plan.tick(200)).toEqual([fetch([4], true), wake]);
    // The spare is out, so the next tick asks for nothing more.
    expect(plan.tick(300)).toEqual([wake]);
    expect(arrives(plan, 4, 310)).toEqual([{ kind: 'decode', pairs: [0, 1, 2, 4], rows: [3] }]);
    // While decoding, late answers are not verified and the hedge stops re-arming.
    expect(plan.sliverReceived(3, 320)).toBe(false);
    expect(plan.tick(400)).toEqual([]);
    expect(plan.decodeEnded({ kind: 'ok' })).toEqual([emit(3), done]);
  });

  it('nothing is late before the first answer, since there is no typical latency to compare with', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    expect(plan.tick(1_000)).toEqual([wake]);
    expect(plan.stats.spareRequests).toBe(0);
  });

  it('the straggler threshold follows this read’s latency when that is above the hedge delay', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    for (const row of [0, 1, 2]) arrives(plan, row, 80);
    // Median 80 ms → threshold 240 ms, not 100.
    expect(plan.tick(240)).toEqual([wake]);
    expect(plan.tick(241)).toEqual([fetch([4], true), wake]);
  });

  it('decodes from the P verified slivers in arrival order, and reports bad decoded rows', () => {
    const plan = newPlan(1, 1);
    expect(plan.start(0)).toEqual([fetch([1], false), wake]);
    // The only needed row is lost: P spares at once.
    expect(plan.attemptEnded(1, { kind: 'unreachable' }, 2)).toEqual([fetch([0, 2, 3, 4], true)]);
    expect(arrives(plan, 3, 5)).toEqual([]);
    expect(arrives(plan, 0, 6)).toEqual([]);
    expect(arrives(plan, 4, 7)).toEqual([]);
    expect(arrives(plan, 2, 8)).toEqual([{ kind: 'decode', pairs: [3, 0, 4, 2], rows: [1] }]);
    expect(plan.decodeEnded({ kind: 'inconsistent', row: 1 })).toEqual([
      {
        kind: 'finish',
        outcome: { kind: 'inconsistent', message: "decoded row 1 does not match the blob's metadata" },
      },
    ]);
  });

  it('a failed decode ends the read as unavailable', () => {
    const plan = newPlan(0, 0);
    plan.start(0);
    plan.attemptEnded(0, DOWN, 1);
    for (const pair of [1, 2, 3]) arrives(plan, pair, 2);
    expect(arrives(plan, 4, 3)).toEqual([{ kind: 'decode', pairs: [1, 2, 3, 4], rows: [0] }]);
    expect(plan.decodeEnded({ kind: 'failed', message: 'worker died' })).toEqual([
      { kind: 'finish', outcome: { kind: 'unavailable', message: 'decoding failed: worker died' } },
    ]);
  });

  it('gives up as soon as fewer than P primary slivers can still be had', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    expect([0, 1, 2, 3, 4, 5].map((pair) => plan.attemptEnded(pair, DOWN, 10 + pair))).toEqual([
      [fetch([4], true)],
      [fetch([5], true)],
      [fetch([6], true)],
      [fetch([7], true)],
      [fetch([8], true)],
      [fetch([9], true)],
    ]);
    // The seventh failure leaves 3 < P = 4 possible slivers.
    expect(plan.attemptEnded(6, DOWN, 20)).toEqual([
      {
        kind: 'finish',
        outcome: {
          kind: 'unavailable',
          message: 'only 3 of 10 primary slivers can still be had; 4 are needed',
        },
      },
    ]);
    expect(plan.attemptEnded(7, DOWN, 21)).toEqual([]);
    expect(plan.stats).toEqual({
      sliverRequests: 10,
      spareRequests: 6,
      failedRequests: 7,
      invalidSlivers: 0,
      decoded: false,
    });
  });

  it('while decoding, called-off requests count as failed, late bad bytes not at all, and neither brings spares', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    for (const row of [0, 1]) arrives(plan, row, 10);
    // Rows 2 and 3 are both stragglers: two spares.
    expect(plan.tick(200)).toEqual([fetch([4, 5], true), wake]);
    expect(plan.sliverReceived(3, 205)).toBe(true);
    arrives(plan, 4, 210);
    expect(arrives(plan, 5, 211)).toEqual([{ kind: 'decode', pairs: [0, 1, 4, 5], rows: [2, 3] }]);
    expect(plan.attemptEnded(3, { kind: 'invalid' }, 212)).toEqual([]);
    expect(plan.attemptEnded(2, { kind: 'cancelled' }, 213)).toEqual([]);
    expect(plan.stats).toEqual({
      sliverRequests: 6,
      spareRequests: 2,
      failedRequests: 1,
      invalidSlivers: 0,
      decoded: true,
    });
  });

  it('abort: finishes unavailable once, and everything after is ignored', () => {
    const plan = newPlan(0, 3);
    plan.start(0);
    arrives(plan, 0, 5);
    expect(plan.cancel()).toEqual([
      { kind: 'finish', outcome: { kind: 'unavailable', message: 'the read was cancelled or timed out' } },
    ]);
    expect(plan.cancel()).toEqual([]);
    expect(plan.sliverReceived(1, 6)).toBe(false);
    expect(plan.attemptEnded(2, { kind: 'cancelled' }, 6)).toEqual([]);
    expect(plan.tick(500)).toEqual([]);
    expect(plan.stats).toMatchObject({ sliverRequests: 4, failedRequests: 0 });
  });
});
