// What the reader has learned about each node: a latency estimate (EWMA) and recent failures. Plans
// prefer fast, healthy nodes for metadata and spare slivers; a node that just failed or served bad
// bytes sinks to the bottom until it proves itself again.

const ALPHA = 0.2;
const INITIAL_LATENCY_MS = 50;
/** Penalty per recent failure, in milliseconds of pretend latency. */
const FAILURE_PENALTY_MS = 2_000;
const BYZANTINE_PENALTY_MS = 20_000;
/** Failures fade: each success halves the count. */

interface Score {
  latencyMs: number;
  failures: number;
  byzantine: number;
  inFlight: number;
}

export class NodeScores {
  readonly #scores = new Map<string, Score>();

  #get(node: string): Score {
    let score = this.#scores.get(node);
    if (!score)
      this.#scores.set(
        node,
        (score = { latencyMs: INITIAL_LATENCY_MS, failures: 0, byzantine: 0, inFlight: 0 }),
      );
    return score;
  }

  started(node: string): void {
    this.#get(node).inFlight++;
  }

  succeeded(node: string, latencyMs: number): void {
    const score = this.#get(node);
    score.inFlight = Math.max(0, score.inFlight - 1);
    score.latencyMs = score.latencyMs * (1 - ALPHA) + latencyMs * ALPHA;
    score.failures /= 2;
    score.byzantine /= 2;
  }

  failed(node: string, latencyMs: number): void {
    const score = this.#get(node);
    score.inFlight = Math.max(0, score.inFlight - 1);
    score.latencyMs = score.latencyMs * (1 - ALPHA) + latencyMs * ALPHA;
    score.failures += 1;
  }

  /**
   * We called the request off (the read finished, decoded or was cancelled): no fault of the node's.
   * The time it had taken so far is only a lower bound on its latency, so it counts only when it is
   * worse than the estimate: a node still busy after seconds sinks, one dropped after a moment does not.
   */
  cancelled(node: string, elapsedMs: number): void {
    const score = this.#get(node);
    score.inFlight = Math.max(0, score.inFlight - 1);
    if (elapsedMs > score.latencyMs) score.latencyMs = score.latencyMs * (1 - ALPHA) + elapsedMs * ALPHA;
  }

  /** The node answered, but with bytes that do not verify. */
  byzantine(node: string): void {
    this.#get(node).byzantine += 1;
  }

  /** Lower is better: expected latency, plus penalties, plus a little per request already queued there. */
  cost(node: string): number {
    const s = this.#get(node);
    return (
      s.latencyMs + s.failures * FAILURE_PENALTY_MS + s.byzantine * BYZANTINE_PENALTY_MS + s.inFlight * 2
    );
  }

  /**
   * The planner's view of a node as a number for people, 0..1: 1 for a node as good as a fresh one
   * (an expected latency of INITIAL_LATENCY_MS or less, no recent failures), falling toward 0 as its
   * latency and penalties grow (0.5 at twice that latency; about 0.02 right after one failure, back
   * up as successes halve it). Undefined for a node not asked yet (the planner takes it as fresh).
   */
  score(node: string): number | undefined {
    if (!this.#scores.has(node)) return undefined;
    return Math.min(1, INITIAL_LATENCY_MS / this.cost(node));
  }

  latencyMs(node: string): number {
    return this.#get(node).latencyMs;
  }

  snapshot(): Record<string, { latencyMs: number; failures: number; byzantine: number }> {
    return Object.fromEntries(
      [...this.#scores].map(([node, s]) => [
        node,
        { latencyMs: Math.round(s.latencyMs), failures: s.failures, byzantine: s.byzantine },
      ]),
    );
  }
}
