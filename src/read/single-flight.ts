// N concurrent misses for one key → one piece of work. Callers join and leave independently: one that
// aborts gets an AbortError and stops waiting, but the work goes on for the others, and is cancelled
// only when every caller has left. So a first requester that disconnects never fails or stalls the rest.

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();
  /** Told when a caller joins work already in flight (metrics). */
  readonly #joined: (() => void) | undefined;

  constructor(options: { joined?: () => void } = {}) {
    this.#joined = options.joined;
  }

  /** Keys with work in progress. */
  get size(): number {
    return this.#flights.size;
  }

  run(key: string, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = work(controller.signal).finally(() => {
        if (this.#flights.get(key) === created) this.#flights.delete(key);
      });
      // Waiters attach their own handlers; this one only keeps an abandoned flight's failure from
      // surfacing as an unhandled rejection.
      promise.catch(() => {});
      const created: Flight<T> = { promise, controller, waiters: 0 };
      flight = created;
      this.#flights.set(key, flight);
    } else {
      this.#joined?.();
    }
    return this.#join(key, flight, signal);
  }

  #join(key: string, flight: Flight<T>, signal: AbortSignal | undefined): Promise<T> {
    flight.waiters++;
    if (!signal) return flight.promise.finally(() => flight.waiters--);
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        flight.waiters--;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        leave();
        reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
        // The last one out turns off the light.
        if (flight.waiters === 0) {
          flight.controller.abort();
          if (this.#flights.get(key) === flight) this.#flights.delete(key);
        }
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }
}
