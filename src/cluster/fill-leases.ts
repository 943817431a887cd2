// The primary's book of who reconstructs which blob for the whole host: the first worker to claim a
// blob leads (it reconstructs), the others follow (they wait for its bytes, relayed when it releases).
// Nobody waits on a dead leader: when a worker exits its leases end and their followers hear "gone",
// so one of them claims next; a lease also ends on its own after its term, as a stuck leader's would.
import type { CachedBlob } from '../cache/memory-tier.ts';

/** What a follower hears: the leader's blob, or that the leader gave up, died or ran out of time. */
export type Landing = CachedBlob | undefined;

interface Lease<W> {
  leader: W;
  expiresAt: number;
  followers: Set<{ settle(landing: Landing): void }>;
}

export class FillLeases<W> {
  readonly #leases = new Map<string, Lease<W>>();

  /** Blobs being reconstructed now (for the tests' and the operator's eyes). */
  get size(): number {
    return this.#leases.size;
  }

  /** 'lead' when nobody else holds the blob's lease (or it ran out), else 'follow'. */
  claim(blobId: string, worker: W, termMs: number, now = Date.now()): 'lead' | 'follow' {
    const lease = this.#leases.get(blobId);
    if (lease && lease.leader !== worker && lease.expiresAt > now) return 'follow';
    // Followers of a lease that ran out stay: they hear the new leader's outcome.
    this.#leases.set(blobId, {
      leader: worker,
      expiresAt: now + termMs,
      followers: lease?.followers ?? new Set(),
    });
    return 'lead';
  }

  /**
   * Waits for the blob's leader: its bytes, or undefined when it gives up, dies or its lease runs out
   * (at once if nobody leads now, e.g. it finished a moment ago: the bytes are in its memory then).
   */
  wait(blobId: string, worker: W, signal: AbortSignal, now = Date.now()): Promise<Landing> {
    const lease = this.#leases.get(blobId);
    if (!lease || lease.leader === worker || signal.aborted) return Promise.resolve(undefined);
    return new Promise<Landing>((resolve) => {
      const follower = {
        settle: (landing: Landing) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          lease.followers.delete(follower);
          resolve(landing);
        },
      };
      const onAbort = () => follower.settle(undefined);
      // A leader that never releases (stuck, not dead) does not hold its followers past its term, by
      // the clock claim() reads: Node arms timers from the event loop's cached time, so one may fire
      // before Date.now() reaches the term's end, and a follower woken then would follow again.
      const atTermEnd = () => {
        const left = lease.expiresAt - Date.now();
        if (left > 0) timer = setTimeout(atTermEnd, left);
        else follower.settle(undefined);
      };
      let timer = setTimeout(atTermEnd, Math.max(0, lease.expiresAt - now));
      signal.addEventListener('abort', onAbort, { once: true });
      lease.followers.add(follower);
    });
  }

  /** The leader is done: its followers get `blob` (undefined: it failed, they try again). */
  release(blobId: string, worker: W, blob: CachedBlob | undefined): void {
    const lease = this.#leases.get(blobId);
    if (!lease || lease.leader !== worker) return;
    this.#leases.delete(blobId);
    for (const follower of [...lease.followers]) follower.settle(blob);
  }

  /**
   * A worker exited: its leases end ("gone" to their followers). Its own waits end with its requests'
   * signals.
   */
  workerGone(worker: W): void {
    for (const [blobId, lease] of [...this.#leases])
      if (lease.leader === worker) this.release(blobId, worker, undefined);
  }
}
