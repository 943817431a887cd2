// The distribution's request slots, handed out most urgent first. When the bottleneck is shared (the
// edge's uplink on a real network; the devnet process's CPU here), sending to every node at once has
// them all finish together, at ~100 % of the work — while a certificate needs only > 2/3 of the shards.
// Granting the shared slots by the nodes' rank (heaviest first) has a quorum's worth of nodes finish
// at ~2/3 of the work; the others still get every slot the first ones do not claim.
// It is work-conserving, so a slow or failing node promotes the next ones at once: a slow node only
// holds the slots of its own requests in flight (at most its per-node limit), and a node that has
// failed asks for none.
import type { ReconstructionLimiter } from '../read/limiter.ts';

export interface PrioritySlots {
  /**
   * The slots as a limiter whose waiters are served at `priority` (lower first, FIFO among equals); a
   * function is asked again at each grant, for a priority that changes while its requests wait.
   */
  at(priority: number | (() => number)): ReconstructionLimiter;
  readonly active: number;
  readonly queued: number;
}

interface Waiter {
  priority: () => number;
  seq: number;
  grant(): void;
}

export function prioritySlots(maxConcurrent: number): PrioritySlots {
  let active = 0;
  let seq = 0;
  // At most a few hundred waiters (nodes × per-node limit): a linear scan beats a heap's bookkeeping.
  const waiting: Waiter[] = [];
  const release = () => {
    if (waiting.length === 0) {
      active--;
      return;
    }
    let best = 0;
    let bestPriority = waiting[0]!.priority();
    for (let i = 1; i < waiting.length; i++) {
      const priority = waiting[i]!.priority();
      if (priority < bestPriority || (priority === bestPriority && waiting[i]!.seq < waiting[best]!.seq)) {
        best = i;
        bestPriority = priority;
      }
    }
    const [next] = waiting.splice(best, 1) as [Waiter];
    next.grant();
  };
  const once = () => {
    let released = false;
    return () => {
      if (!released) {
        released = true;
        release();
      }
    };
  };
  const at = (given: number | (() => number)): ReconstructionLimiter => {
    const priority = typeof given === 'number' ? () => given : given;
    return {
      get active() {
        return active;
      },
      get queued() {
        return waiting.length;
      },
      acquire(signal) {
        if (signal?.aborted) return Promise.resolve(undefined);
        if (active < maxConcurrent) {
          active++;
          return Promise.resolve(once());
        }
        return new Promise((resolve) => {
          const waiter: Waiter = {
            priority,
            seq: seq++,
            grant: () => {
              signal?.removeEventListener('abort', onAbort);
              resolve(once());
            },
          };
          const onAbort = () => {
            const i = waiting.indexOf(waiter);
            if (i >= 0) waiting.splice(i, 1);
            resolve(undefined);
          };
          waiting.push(waiter);
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      },
    };
  };
  return {
    at,
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
  };
}

/**
 * Each node's rank for the shared slots: heaviest first (fewest nodes to a quorum). Ties are broken in
 * committee order from `start` on (the caller derives it from the blob ID), so concurrent uploads of
 * equally weighted nodes do not all favour the same few nodes.
 */
export function quorumFirstRanks(shardCounts: readonly number[], start = 0): number[] {
  const n = shardCounts.length;
  const order = shardCounts.map((_, index) => index);
  const fromStart = (index: number) => (index - (start % n) + n) % n;
  order.sort((a, b) => shardCounts[b]! - shardCounts[a]! || fromStart(a) - fromStart(b));
  const ranks = new Array<number>(shardCounts.length);
  order.forEach((index, rank) => (ranks[index] = rank));
  return ranks;
}

/**
 * Upload slots shared by every distribution of one service (the publisher's), in place of each
 * distribution's own: concurrent uploads meet at the same bottleneck, so who goes first matters across
 * them too. Requests of distributions still collecting a quorum go before those of distributions that
 * have one (their stragglers, in the grace or the background), and among those the older distribution
 * first, each in its own quorum-first order: the first upload reaches its quorum before the second
 * takes the bandwidth, instead of all of them finishing together at the end.
 */
export interface SharedUploadSlots {
  /** The slots for one new distribution: `collecting()` says whether it still lacks a quorum. */
  forDistribution(collecting: () => boolean): (rank: number) => ReconstructionLimiter;
}

/**
 * `maxRequests`: in flight over all distributions (default 64, what one distribution alone has: the
 * uploads meet at one bottleneck, so more at once would only blur the order).
 */
export function sharedUploadSlots(maxRequests = 64): SharedUploadSlots {
  const slots = prioritySlots(maxRequests);
  let distributions = 0;
  return {
    forDistribution(collecting) {
      const seq = distributions++;
      // One number ordering (quorum first?, older first, rank): 2^12 ranks (metadata is −1) per
      // distribution, 2^38 distributions before the tiers could meet — far below 2^53.
      return (rank) => slots.at(() => (collecting() ? 0 : 2 ** 50) + seq * 2 ** 12 + (rank + 1));
    },
  };
}
