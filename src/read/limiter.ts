// Caps concurrent reconstructions with a bounded wait queue: past both, the edge answers 429 with
// Retry-After at once instead of piling up work it cannot finish (the cache layers sit above it, so hits never come here).

export interface ReconstructionLimiter {
  /** A release function once a slot is free, or undefined when the queue is full too. */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined>;
  readonly active: number;
  readonly queued: number;
}

export function reconstructionLimiter(maxConcurrent: number, maxQueued: number): ReconstructionLimiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
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
  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    async acquire(signal) {
      if (active < maxConcurrent) {
        active++;
        return once();
      }
      if (waiting.length >= maxQueued) return undefined;
      return new Promise((resolve) => {
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(once());
        };
        const onAbort = () => {
          const i = waiting.indexOf(grant);
          if (i >= 0) waiting.splice(i, 1);
          resolve(undefined);
        };
        waiting.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/** The same bytes, calling `release` once the stream is done: read to the end, failed or cancelled. */
export function releaseWhenDone(
  stream: ReadableStream<Uint8Array>,
  release: () => void,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await reader.read();
          if (done) {
            release();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          release();
          controller.error(error);
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
