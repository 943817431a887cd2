// How long a blob lives, and the chain events that end it early, for caches that must never serve a
// blob past its end epoch or after its deletion (the official aggregator's docs admit it does).
import { parseWalrusEvent } from './sui/walrus-events.ts';
import type { SuiObjectReader } from './committees/sui-committee.ts';

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

export interface SuiEventReader {
  core: {
    listEvents(options: {
      filter?: { eventType: string };
      after?: string | null;
      limit?: number;
      order?: 'ascending' | 'descending';
      signal?: AbortSignal;
    }): Promise<{
      events: { eventType: string; bcs: Uint8Array }[];
      hasNextPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    }>;
  };
}

export interface SuiLifetimesOptions {
  client: SuiEventReader;
  /** `0x<walrus package>::events`, whose event types the follower reads (see walrusEventsModule). */
  eventsModule: () => Promise<string>;
  /** A blob's end epoch as the storage nodes know it (see blob-status.ts). */
  endEpoch(blobId: string): Promise<number | undefined>;
  /** The earliest time an epoch can begin (Staking's timetable), if known. */
  epochStart?(epoch: number): Promise<number | undefined>;
  /** How often to ask Sui for new events. Default 2 000 ms. */
  pollMs?: number;
}

/**
 * Lifetimes on Sui: end epochs from the storage nodes, deletions and epoch changes from the Walrus
 * events on Sui, read from the moment the follower starts (page by page, never skipping one).
 */
export function suiBlobLifetimes(options: SuiLifetimesOptions): BlobLifetimes {
  let filter: { eventType: string } | undefined;
  return {
    async lifetime(blobId) {
      const endEpoch = await options.endEpoch(blobId);
      if (endEpoch === undefined) return undefined;
      // Epoch changes on Sui never come early, so the timetable's start of the end epoch bounds the
      // blob's life from below (entries may end a little early, never late); the epoch events end
      // them on time when the change comes late.
      return { endEpoch, endsAtMs: await options.epochStart?.(endEpoch) };
    },
    follow(handlers) {
      let cursor: string | null | undefined; // undefined: not started
      let stopped = false;
      const poll = async () => {
        try {
          filter ??= { eventType: await options.eventsModule() };
          if (cursor === undefined) {
            const latest = await options.client.core.listEvents({ filter, order: 'descending', limit: 1 });
            cursor = latest.startCursor ?? null;
          }
          for (;;) {
            const page = await options.client.core.listEvents({ filter, after: cursor, limit: 50 });
            for (const entry of page.events) {
              let event;
              try {
                event = parseWalrusEvent(entry.eventType, entry.bcs);
              } catch {
                continue; // a layout this edge does not know: skipped, never a stuck follower
              }
              if (event?.kind === 'deleted') handlers.deleted(event.blobId);
              if (event?.kind === 'certified') handlers.certified(event.blobId);
              if (event?.kind === 'epoch') handlers.epoch(event.epoch);
            }
            const next: string | null = page.endCursor ?? cursor ?? null;
            const moved = next !== cursor;
            cursor = next;
            if (!page.hasNextPage || !moved) break;
          }
        } catch {
          // Sui is unreachable for now: try again next round, from the same cursor.
        }
        if (!stopped) timer = schedule(poll, options.pollMs ?? 2_000);
      };
      let timer = schedule(poll, 0);
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}

/** The Walrus events module, from the System object's type (`0x<original package>::system::System`). */
export async function walrusEventsModule(client: SuiObjectReader, systemObjectId: string): Promise<string> {
  const [system] = (await client.core.getObjects({ objectIds: [systemObjectId], include: { content: true } }))
    .objects;
  if (!system || system instanceof Error) throw system ?? new Error('no Walrus System object');
  const match = /^(0x[0-9a-fA-F]+)::system::System$/.exec(system.type);
  if (!match) throw new Error(`the System object has type ${system.type}`);
  return `${match[1]}::events`;
}
