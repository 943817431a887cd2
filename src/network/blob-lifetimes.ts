// How long a blob lives, and the chain events that end it early, for caches that must never serve a
// blob past its end epoch or after its deletion (the official aggregator's docs admit it does).
import type { DevnetChainClient } from './devnet-chain-client.ts';

export interface BlobLifetime {
  /** The latest end epoch (exclusive) of the blob's live objects. */
  endEpoch: number;
  /** When that epoch begins (ms since 1970), if the chain's epochs follow a clock. */
  endsAtMs?: number;
}

export interface BlobLifetimes {
  /** How long the blob lives, or undefined if none of its objects is live. */
  lifetime(blobId: string): Promise<BlobLifetime | undefined>;
  /** Calls back on deletions and epoch changes until the returned stop function is called. */
  follow(handlers: {
    deleted(blobId: string): void;
    certified(blobId: string): void;
    epoch(epoch: number): void;
  }): () => void;
}

/** A timer that does not keep the process alive on its own (where the runtime has that notion). */
function schedule(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(fn, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

export function devnetBlobLifetimes(chain: DevnetChainClient, pollMs = 1000): BlobLifetimes {
  return {
    async lifetime(blobId) {
      const [{ objects }, state] = await Promise.all([chain.blobsById(blobId), chain.state()]);
      const live = objects.filter(
        (o) => !o.deleted && o.certifiedEpoch !== null && o.storage.endEpoch > state.epoch,
      );
      if (!live.length) return undefined;
      const endEpoch = Math.max(...live.map((o) => o.storage.endEpoch));
      const epochMs = Number(state.params.epochDurationMs ?? 0);
      // Epochs that advance only on command (the default devnet) have no end time: events end entries.
      const endsAtMs = epochMs > 0 ? state.epochStartedAtMs + (endEpoch - state.epoch) * epochMs : undefined;
      return { endEpoch, endsAtMs };
    },
    follow(handlers) {
      let after = -1;
      let stopped = false;
      let started = false;
      const poll = async () => {
        try {
          if (!started) {
            // Start from now: history before the cache existed cannot concern it.
            const { events } = await chain.events(-1, 1000);
            while (events.length === 1000)
              events.push(...(await chain.events(events.at(-1)!.seq, 1000)).events);
            after = events.at(-1)?.seq ?? -1;
            started = true;
          }
          for (;;) {
            const { events } = await chain.events(after, 1000);
            for (const event of events) {
              after = event.seq;
              if (event.type === 'BlobDeleted' && event.data.blobId) handlers.deleted(event.data.blobId);
              if (event.type === 'BlobCertified' && event.data.blobId) handlers.certified(event.data.blobId);
              if (event.type === 'EpochChangeDone') handlers.epoch(event.data.epoch ?? event.epoch);
            }
            if (events.length < 1000) break;
          }
        } catch {
          // The chain is unreachable for now: try again next round.
        }
        if (!stopped) timer = schedule(poll, pollMs);
      };
      let timer = schedule(poll, 0);
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}
