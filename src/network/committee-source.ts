// Where the reader learns the committee: which nodes there are, where they listen and which shards they
// hold. One interface, three origins (src/network/committees/): a static committee.json, the local
// devnet (committee.json and/or its chain), and Sui mainnet/testnet (the Walrus System, Staking and
// StakingPool objects). Sources cache what they read and follow epoch changes on their own; a failed
// read never breaks a source for good: it keeps serving the last good committee and tries again.
import { CommitteeSchema, type Committee, type CommitteeNode } from './committee.ts';
import { raceAbort } from './race-abort.ts';

/** Committee members and committees as sources report them (kept as names for readability). */
export type CommitteeMember = CommitteeNode;
export type MemberCommittee = Committee;

/** What a source knows at one moment. Treat it as immutable: sources replace views, never edit them. */
export interface CommitteeView {
  /** The network's current epoch; `committee.epoch` equals it. */
  epoch: number;
  /** The committee of `epoch`: it takes writes, and serves reads except as `committeeForBlob` says. */
  committee: MemberCommittee;
  /**
   * Staking's `EpochChangeSync`: shards are still moving from `previous` to `committee`, so data
   * certified before `epoch` may not have reached its new holders yet.
   */
  epochChangeInProgress: boolean;
  /** The committee of `epoch - 1`. Present exactly while `epochChangeInProgress`. */
  previous?: MemberCommittee;
  /** When this view was read (ms since 1970): how stale it may be if refreshes have been failing. */
  loadedAt: number;
  /**
   * The chain's epoch timetable, where it has one (Sui: Staking's first_epoch_start and
   * epoch_duration). Epoch e begins no earlier than `firstEpochStartMs + (e - 1) × epochDurationMs`.
   */
  schedule?: { firstEpochStartMs: number; epochDurationMs: number };
}

/** The earliest time epoch `epoch` can begin, by the view's timetable; undefined without one. */
export function earliestEpochStart(view: CommitteeView, epoch: number): number | undefined {
  const schedule = view.schedule;
  if (!schedule || schedule.epochDurationMs <= 0) return undefined;
  return schedule.firstEpochStartMs + (epoch - 1) * schedule.epochDurationMs;
}

export interface CommitteeSource {
  /**
   * The latest view. The first call loads it (concurrent calls share that load) and rejects if the load
   * fails; the next call tries again. Once a load has succeeded this answers from the cache at once,
   * even while a refresh is running or failing. `signal` abandons this caller's wait only.
   */
  current(signal?: AbortSignal): Promise<CommitteeView>;
  /**
   * Re-read now, e.g. when a node says the epoch has moved on. Resolves once a read that started after
   * this call has settled, and never rejects: a failure keeps the last good view and schedules a retry
   * with backoff. Await it for the fresh view; ignore it to just give a hint.
   */
  refresh(): Promise<void>;
  /** Stops polling and retries; later `current()` calls reject. */
  close(): void;
}

/**
 * The committee to read a blob from. Normally the current one; during an epoch change, the previous
 * committee for a blob certified before the current epoch, since the new holders of its shards may not
 * have received them yet (the official SDK decides the same way). `certifiedEpoch` is the blob's
 * initial certification epoch (its `Blob` object's `certified_epoch`, or `initialCertifiedEpoch` in
 * a node's blob status). Unknown, it counts as earlier: during the short sync most blobs read are old.
 * A `certifiedEpoch` above `view.epoch` means the view is behind: `refresh()` the source.
 */
export function committeeForBlob(view: CommitteeView, certifiedEpoch: number | undefined): MemberCommittee {
  if (!view.epochChangeInProgress || !view.previous) return view.committee;
  return certifiedEpoch === undefined || certifiedEpoch < view.epoch ? view.previous : view.committee;
}

export class InvalidCommitteeError extends Error {
  override name = 'InvalidCommitteeError';
}

/**
 * Checks `input` against `CommitteeSchema`, and that every shard lies in 0..nShards-1 and is held by
 * one node at most, with no node ID twice. Returns the parsed committee (unknown keys dropped).
 * `origin` names where the input came from, for the error message.
 */
export function parseCommittee(input: unknown, origin: string): Committee {
  const parsed = CommitteeSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => {
      const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`));
      return `${path.join('').replace(/^\./, '') || '(top level)'}: ${issue.message}`;
    });
    const more =
      parsed.error.issues.length > issues.length
        ? ` (and ${parsed.error.issues.length - issues.length} more)`
        : '';
    throw new InvalidCommitteeError(`${origin} is not a valid committee: ${issues.join('; ')}${more}`);
  }
  const committee = parsed.data;
  const owner = new Map<number, string>();
  const ids = new Set<string>();
  for (const node of committee.nodes) {
    if (ids.has(node.nodeId)) {
      throw new InvalidCommitteeError(`${origin}: node ID ${node.nodeId} appears twice`);
    }
    ids.add(node.nodeId);
    for (const shard of node.shards) {
      if (shard >= committee.nShards) {
        throw new InvalidCommitteeError(
          `${origin}: node ${node.name} holds shard ${shard}, outside 0..${committee.nShards - 1}`,
        );
      }
      const other = owner.get(shard);
      if (other !== undefined) {
        throw new InvalidCommitteeError(
          `${origin}: shard ${shard} is held by both ${other} and ${node.name}`,
        );
      }
      owner.set(shard, node.name);
    }
  }
  return committee;
}

// ── The machinery the devnet and Sui sources share ──────────────────────────────────────────────

export interface PollingSourceOptions {
  /** Reads the whole view. Should honour `signal`; it is raced against the deadline either way. */
  load(signal: AbortSignal): Promise<CommitteeView>;
  /**
   * A cheap check whether the origin has moved past `view` (another epoch, epoch state or file); a
   * full `load` follows when it says so. Without it, every poll is a full load.
   */
  changed?(view: CommitteeView, signal: AbortSignal): Promise<boolean>;
  /** Between checks, in ms; 0 = no polling (`refresh()` and retries after failures still run). */
  pollIntervalMs: number;
  /** Delay before the first retry after a failure; doubled per consecutive failure. Default 1 s. */
  minRetryMs?: number;
  /** Upper bound of that delay. Default 60 s. */
  maxRetryMs?: number;
  /** Deadline of each load or check, so a hung RPC cannot hold the source. Default 20 s. */
  timeoutMs?: number;
  /** Told of every failed load or check; the source itself carries on. */
  onError?(error: unknown): void;
  /**
   * Told of every successful load or check: `view` is known to be current as of now (how stale the
   * committee may be is the time since the last call, not `loadedAt`, which a check does not move).
   */
  onCurrent?(view: CommitteeView): void;
}

/**
 * A source that loads lazily (on the first `current()`), then polls `changed` every `pollIntervalMs`
 * and reloads when it says so, or on `refresh()`. After a failure it retries with exponential backoff
 * (with jitter) whether or not anyone asks. Its timers do not keep a Node process alive.
 */
export class PollingCommitteeSource implements CommitteeSource {
  readonly #options: PollingSourceOptions;
  readonly #closed = new AbortController();
  #view: CommitteeView | undefined;
  #loading: Promise<CommitteeView> | undefined;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: PollingSourceOptions) {
    this.#options = options;
  }

  async current(signal?: AbortSignal): Promise<CommitteeView> {
    if (this.#closed.signal.aborted) throw new Error('committee source is closed');
    if (this.#view) return this.#view;
    const loading = this.#reload();
    return signal ? raceAbort(loading, signal) : loading;
  }

  async refresh(): Promise<void> {
    // A read already under way may have started before whatever prompted this call: let it finish,
    // then read again (sharing that second read with other refresh() calls made meanwhile).
    const before = this.#loading;
    if (before) await before.catch(() => {});
    if (this.#closed.signal.aborted) return;
    await this.#reload().catch(() => {});
  }

  close(): void {
    this.#closed.abort(new Error('committee source is closed'));
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One full load at a time; callers arriving meanwhile share it. */
  #reload(): Promise<CommitteeView> {
    if (this.#loading) return this.#loading;
    const loading = this.#withDeadline((signal) => this.#options.load(signal))
      .then(
        (view) => {
          this.#closed.signal.throwIfAborted();
          this.#view = view;
          this.#failures = 0;
          this.#options.onCurrent?.(view);
          return view;
        },
        (error: unknown) => {
          this.#failed(error);
          throw error;
        },
      )
      .finally(() => {
        this.#loading = undefined;
        this.#arm();
      });
    this.#loading = loading;
    return loading;
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    const view = this.#view;
    const changed = this.#options.changed;
    if (view && changed) {
      let moved: boolean;
      try {
        moved = await this.#withDeadline((signal) => changed(view, signal));
      } catch (error) {
        this.#failed(error);
        this.#arm();
        return;
      }
      if (!moved) {
        this.#failures = 0;
        this.#options.onCurrent?.(view);
        this.#arm();
        return;
      }
    }
    await this.#reload().catch(() => {}); // counted in #reload, which also re-arms the timer
  }

  #failed(error: unknown): void {
    if (this.#closed.signal.aborted) return;
    this.#failures += 1;
    this.#options.onError?.(error);
  }

  /** (Re)schedules the next poll: a backoff delay after failures, else the poll interval. */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed.signal.aborted) return;
    let delay = this.#options.pollIntervalMs;
    if (this.#failures > 0) {
      const min = this.#options.minRetryMs ?? 1000;
      const max = this.#options.maxRetryMs ?? 60_000;
      const backoff = Math.min(max, min * 2 ** Math.min(this.#failures - 1, 30));
      delay = backoff * (0.8 + 0.4 * Math.random());
    } else if (delay <= 0) {
      return;
    }
    const timer = setTimeout(() => void this.#poll(), delay);
    // Node's timers can be unref'd; Workers' cannot and need not be.
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  #withDeadline<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMs = this.#options.timeoutMs ?? 20_000;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([this.#closed.signal, deadline]);
    const running = Promise.resolve().then(() => run(signal));
    return raceAbort(running, signal).catch((error: unknown) => {
      if (deadline.aborted && error === deadline.reason) {
        throw new Error(`committee read timed out after ${timeoutMs} ms`, { cause: error });
      }
      throw error;
    });
  }
}
