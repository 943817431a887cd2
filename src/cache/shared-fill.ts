// One reconstruction shared by every request for a blob while it runs (single-flight), streamed to all
// of them at once (a tee with memory): the bytes are kept as they arrive, so a request that joins late
// starts from byte 0 while the first one is already further on, and the whole blob is at hand for the
// cache tiers when the last byte lands. Nobody waits for the whole blob before its first byte.
//
// Who holds it: each request joins and leaves on its own (done, cancelled or aborted). When the last
// one leaves before the end, the work is cancelled; a background fill holds on until it is done.
import { concatBytes } from '../protocol/bytes.ts';
import type { ReadFailure } from '../read/read-errors.ts';

type Wake = () => void;

export class SharedFill {
  readonly #controller = new AbortController();
  readonly #chunks: Uint8Array[] = [];
  #state: 'running' | 'done' | 'failed' = 'running';
  #error: Error | undefined;
  #failure: ReadFailure | undefined;
  /** Settles once the first bytes are in (or the fill is done or failed before any). */
  #started: Promise<ReadFailure | undefined>;
  #start!: (failure: ReadFailure | undefined) => void;
  #wakers: Wake[] = [];
  #holders = 0;

  constructor() {
    this.#started = new Promise((resolve) => (this.#start = resolve));
  }

  /** Aborted when nobody is left to want the bytes. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why the fill failed; undefined while it runs or once it is done. */
  get outcome(): ReadFailure | undefined {
    return this.#failure;
  }

  /** The whole blob is in (it may still be on its way into the cache tiers). */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** Everything received so far (the whole blob once done); chunks stay as they are for late joiners. */
  get bytes(): Uint8Array {
    return concatBytes(this.#chunks);
  }

  push(chunk: Uint8Array): void {
    if (this.#state !== 'running' || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#start(undefined);
    this.#wake();
  }

  finish(): void {
    if (this.#state !== 'running') return;
    this.#state = 'done';
    this.#start(undefined);
    this.#wake();
  }

  /** Before the first byte a failure is a clean answer for every holder; after it, their streams break. */
  fail(failure: ReadFailure): void {
    if (this.#state !== 'running') return;
    this.#state = 'failed';
    this.#failure = failure;
    this.#error = new Error(failure.message);
    this.#start(failure);
    this.#wake();
  }

  /** Holds the fill on, whoever else comes and goes (a background fill), until `release` is called. */
  hold(): () => void {
    this.#holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#leave();
    };
  }

  /**
   * Joins: once the first bytes are in, a stream of the whole blob from byte 0, or the failure that came
   * before them. `signal` aborting before then leaves the fill.
   */
  async join(signal: AbortSignal): Promise<ReadableStream<Uint8Array> | ReadFailure> {
    this.#holders++;
    let left = false;
    let abandoned!: (reason: 'aborted') => void;
    const aborted = new Promise<'aborted'>((resolve) => (abandoned = resolve));
    const onAbort = () => {
      leave();
      abandoned('aborted');
    };
    const leave = () => {
      if (left) return;
      left = true;
      signal.removeEventListener('abort', onAbort);
      this.#leave();
    };
    if (signal.aborted) {
      leave();
      return { kind: 'unavailable', message: 'the request was cancelled' };
    }
    signal.addEventListener('abort', onAbort, { once: true });
    // A request that goes away while the first bytes are awaited leaves at once, whoever else waits.
    const failure = await Promise.race([this.#started, aborted]);
    if (failure === 'aborted' || left) return { kind: 'unavailable', message: 'the request was cancelled' };
    if (failure) {
      leave();
      return failure;
    }
    let index = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          for (;;) {
            if (index < this.#chunks.length) {
              controller.enqueue(this.#chunks[index++]!);
              return;
            }
            if (this.#state === 'done') {
              leave();
              controller.close();
              return;
            }
            if (this.#state === 'failed') {
              leave();
              controller.error(this.#error);
              return;
            }
            await new Promise<void>((wake) => this.#wakers.push(wake));
          }
        },
        cancel: () => leave(),
      },
      { highWaterMark: 0 },
    );
  }

  #leave(): void {
    this.#holders--;
    if (this.#holders === 0 && this.#state === 'running') this.#controller.abort();
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }
}
