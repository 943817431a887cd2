// Caps concurrent reconstructions with a bounded wait queue: past both, the edge answers 429 with
// Retry-After at once instead of piling up work it cannot finish (cache hits never come here).

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

/** Calls `release` when the response body is done (sent, failed or cancelled), or now if it has none. */
export function releaseWhenSent(response: Response, release: () => void): Response {
  if (!response.body) {
    release();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
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
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
