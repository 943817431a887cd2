// The decisions of primary-sliver collection, as a pure state machine: no I/O, no timers, no promises.
// The executor (primary-sliver-collector.ts) tells it what happened — a request started, answered,
// failed, a sliver verified or not, the hedge timer fired, decoding ended — with the time, and does what
// it answers: fetch these pairs, hand out this row, decode from these slivers, wake me later, finish.
//
// Happy path: exactly the systematic rows [firstRow, lastRow], handed out in order as they verify.
// A needed row that fails or does not verify is lost for good, so from then on the read must decode:
// spare requests (other primary slivers, cheapest nodes first) keep P verified-or-coming slivers within
// reach. A needed row out much longer than this read's typical request is a straggler: spares are asked
// as if it never came. Once P slivers are verified while a needed row is still missing, decode.
import { encodingParams } from '../protocol/encoding.ts';
import { nextStep, type AttemptResult } from './attempt-policy.ts';

export interface SliverPlanOptions {
  n: number;
  /** Systematic rows [firstRow, lastRow] that the read must deliver. */
  firstRow: number;
  lastRow: number;
  hedgeDelayMs: number;
  /** Lower is better: what asking the node that holds this pair is expected to cost (node scores). */
  cost(pair: number): number;
}

export interface CollectStats {
  sliverRequests: number;
  spareRequests: number;
  /** Requests that brought no sliver, the ones called off once no longer needed included. */
  failedRequests: number;
  invalidSlivers: number;
  decoded: boolean;
}

export type PlanOutcome =
  { kind: 'ok' } | { kind: 'unavailable'; message: string } | { kind: 'inconsistent'; message: string };

export type PlanAction =
  /** Request these primary slivers (spare: beyond the rows the read needs). */
  | { kind: 'fetch'; pairs: number[]; spare: boolean }
  /** Hand out this needed row's bytes: rows come strictly in order. */
  | { kind: 'emit'; row: number }
  /** Call off every outstanding request and decode the blob from these verified slivers; then check these needed rows. */
  | { kind: 'decode'; pairs: number[]; rows: number[] }
  /** Call `tick` after this long. */
  | { kind: 'wake'; afterMs: number }
  /** The collection is over: call off everything outstanding. Nothing follows. */
  | { kind: 'finish'; outcome: PlanOutcome };

export type DecodeResult =
  { kind: 'ok' } | { kind: 'inconsistent'; row: number } | { kind: 'failed'; message: string };

export class SliverPlan {
  readonly stats: CollectStats = {
    sliverRequests: 0,
    spareRequests: 0,
    failedRequests: 0,
    invalidSlivers: 0,
    decoded: false,
  };
  readonly #options: SliverPlanOptions;
  readonly #P: number;
  /** Verified fetched slivers, in the order they verified: decoding starts the moment there are P. */
  readonly #verified: number[] = [];
  /** Rows in hand: verified fetched slivers, then also decoded rows. */
  readonly #available = new Set<number>();
  readonly #requested = new Set<number>();
  readonly #failed = new Set<number>();
  /** When each outstanding request started, and how long answered ones took (this read only). */
  readonly #startedAt = new Map<number, number>();
  readonly #latencies: number[] = [];
  /** Requests out, and answered slivers still being verified. */
  #inFlight = 0;
  #nextRow: number;
  #decoding = false;
  #finished = false;

  constructor(options: SliverPlanOptions) {
    this.#options = options;
    this.#P = encodingParams(options.n).primarySymbols;
    this.#nextRow = options.firstRow;
  }

  /** Request the needed rows, and arm the hedge. */
  start(now: number): PlanAction[] {
    const rows: number[] = [];
    for (let row = this.#options.firstRow; row <= this.#options.lastRow; row++) rows.push(row);
    return [this.#fetch(rows, false, now), { kind: 'wake', afterMs: this.#options.hedgeDelayMs }];
  }

  /** The read was cancelled or ran out of time. */
  cancel(): PlanAction[] {
    if (this.#finished) return [];
    return [this.#finish({ kind: 'unavailable', message: 'the read was cancelled or timed out' })];
  }

  /**
   * A request answered with bytes. True: verify them and report with `attemptEnded`. False: they are no
   * longer needed (decoding or finished), and this attempt is over.
   */
  sliverReceived(pair: number, now: number): boolean {
    const started = this.#startedAt.get(pair);
    this.#startedAt.delete(pair);
    if (started !== undefined) this.#latencies.push(now - started);
    if (!this.#finished && !this.#decoding) return true;
    this.#inFlight--;
    return false;
  }

  /** A request failed (any result but ok), or an answered sliver verified (ok) or did not (invalid). */
  attemptEnded(pair: number, result: AttemptResult, now: number): PlanAction[] {
    this.#inFlight--;
    this.#startedAt.delete(pair);
    if (this.#finished) return [];
    const step = nextStep(result);
    if (step.kind === 'ok') return this.#decoding ? [] : this.#accept(pair);
    if (result.kind === 'invalid') {
      if (this.#decoding) return [];
      this.stats.invalidSlivers++;
    } else {
      this.stats.failedRequests++;
    }
    this.#failed.add(pair);
    if (step.kind === 'stop' && step.reason === 'cancelled') return [];
    // Any other end (bad bytes, an error, a 404 or 451): no one else holds this pair's primary sliver.
    return this.#lost(now);
  }

  /** The hedge timer fired: cover stragglers with spares, and wake again. */
  tick(now: number): PlanAction[] {
    if (this.#finished || this.#decoding || this.#neededMissing() === 0) return [];
    // Assume the stragglers never come: enough other slivers must be verified or on their way to decode.
    const late = this.#stragglers(now);
    const P = this.#P;
    const spares = late > 0 ? this.#spares(P - this.#verified.length - (this.#inFlight - late), now) : [];
    return [...spares, { kind: 'wake', afterMs: this.#options.hedgeDelayMs }];
  }

  /** Decoding (and checking the decoded rows) ended. */
  decodeEnded(result: DecodeResult): PlanAction[] {
    if (this.#finished) return [];
    switch (result.kind) {
      case 'inconsistent':
        return [
          this.#finish({
            kind: 'inconsistent',
            message: `decoded row ${result.row} does not match the blob's metadata`,
          }),
        ];
      case 'failed':
        return [this.#finish({ kind: 'unavailable', message: `decoding failed: ${result.message}` })];
      case 'ok':
        for (let row = this.#nextRow; row <= this.#options.lastRow; row++) this.#available.add(row);
        return this.#emitInOrder();
    }
  }

  #accept(pair: number): PlanAction[] {
    this.#verified.push(pair);
    this.#available.add(pair);
    const actions = this.#emitInOrder();
    const decode = this.#decodeIfReady();
    return decode ? [...actions, decode] : actions;
  }

  #emitInOrder(): PlanAction[] {
    const actions: PlanAction[] = [];
    while (this.#nextRow <= this.#options.lastRow && this.#available.has(this.#nextRow))
      actions.push({ kind: 'emit', row: this.#nextRow++ });
    if (this.#nextRow > this.#options.lastRow) actions.push(this.#finish({ kind: 'ok' }));
    return actions;
  }

  /** Enough verified slivers to decode while a needed row is still missing: decode now. */
  #decodeIfReady(): PlanAction | undefined {
    if (this.#finished || this.#decoding || this.#verified.length < this.#P) return undefined;
    const rows = this.#missingRows();
    if (rows.length === 0) return undefined;
    this.#decoding = true;
    this.stats.decoded = true;
    return { kind: 'decode', pairs: [...this.#verified], rows };
  }

  /** A pair will not come: once a needed row is lost the read decodes, so keep P slivers within reach. */
  #lost(now: number): PlanAction[] {
    if (this.#decoding || this.#neededMissing() === 0) return [];
    const P = this.#P;
    const actions = this.#spares(P - this.#verified.length - this.#inFlight, now);
    const n = this.#options.n;
    const stillPossible = n - this.#failed.size;
    if (stillPossible < P) {
      const message = `only ${stillPossible} of ${n} primary slivers can still be had; ${P} are needed`;
      return [...actions, this.#finish({ kind: 'unavailable', message })];
    }
    if (this.#inFlight === 0 && this.#verified.length < P) {
      actions.push(...this.#spares(P - this.#verified.length, now));
      if (this.#inFlight === 0)
        actions.push(
          this.#finish({ kind: 'unavailable', message: `could not collect ${P} verified primary slivers` }),
        );
    }
    return actions;
  }

  /** Up to `count` spare requests: unrequested primary slivers, the cheapest nodes' first. */
  #spares(count: number, now: number): PlanAction[] {
    if (count <= 0) return [];
    const candidates: number[] = [];
    for (let pair = 0; pair < this.#options.n; pair++) if (!this.#requested.has(pair)) candidates.push(pair);
    const cost = this.#options.cost;
    const pairs = candidates.sort((a, b) => cost(a) - cost(b)).slice(0, count);
    if (pairs.length === 0) return [];
    this.stats.spareRequests += pairs.length;
    return [this.#fetch(pairs, true, now)];
  }

  #fetch(pairs: number[], spare: boolean, now: number): PlanAction {
    for (const pair of pairs) {
      this.#requested.add(pair);
      this.#startedAt.set(pair, now);
    }
    this.#inFlight += pairs.length;
    this.stats.sliverRequests += pairs.length;
    return { kind: 'fetch', pairs, spare };
  }

  #finish(outcome: PlanOutcome): PlanAction {
    this.#finished = true;
    return { kind: 'finish', outcome };
  }

  #missingRows(): number[] {
    const rows: number[] = [];
    for (let row = this.#nextRow; row <= this.#options.lastRow; row++)
      if (!this.#available.has(row)) rows.push(row);
    return rows;
  }

  #neededMissing(): number {
    return this.#missingRows().length;
  }

  /**
   * Needed rows whose request has been out much longer than this read's typical one (and than the
   * hedge delay): the stragglers a hedge gives up on. Relative, so a large blob whose slivers all
   * take a while to transfer does not look like a blob of stragglers.
   */
  #stragglers(now: number): number {
    if (this.#latencies.length === 0) return 0;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const typical = sorted[Math.floor(sorted.length / 2)]!;
    const threshold = Math.max(this.#options.hedgeDelayMs, 3 * typical);
    let count = 0;
    for (let row = this.#nextRow; row <= this.#options.lastRow; row++) {
      const since = this.#startedAt.get(row);
      if (since !== undefined && !this.#available.has(row) && now - since > threshold) count++;
    }
    return count;
  }
}
