// One end of the IPC channel between the cluster's primary and a worker (node:cluster's process.send,
// with the 'advanced' serialization, so blob bytes cross as bytes): requests that get one answer (or
// fail on a deadline, or are cancelled by the asker's signal), and notes that get none. The same class
// serves both ends; messages of others on the channel (prom-client's, node's own) are left alone.
const NS = 'walrus-edge';

type Wire =
  | { ns: typeof NS; t: 'req'; id: number; op: string; body: unknown }
  | { ns: typeof NS; t: 'res'; id: number; ok: true; body: unknown }
  | { ns: typeof NS; t: 'res'; id: number; ok: false; error: string }
  | { ns: typeof NS; t: 'cancel'; id: number }
  | { ns: typeof NS; t: 'note'; op: string; body: unknown };

/** Answers a request; `signal` aborts when the asker cancels or the channel closes. */
export type RequestHandler = (body: never, signal: AbortSignal) => unknown;
export type NoteHandler = (body: never) => void;

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class Link {
  readonly #send: (message: Wire, sent: () => void) => void;
  readonly #requests = new Map<string, RequestHandler>();
  readonly #notes = new Map<string, NoteHandler>();
  readonly #pending = new Map<number, Pending>();
  /** Requests of the other end being answered here, to abort on its cancel. */
  readonly #serving = new Map<number, AbortController>();
  #nextId = 0;
  #closed: string | undefined;

  /** `send` posts a message and calls `sent` once it left (or failed); it throws when the channel is closed. */
  constructor(send: (message: unknown, sent: () => void) => void) {
    this.#send = send;
  }

  /** Answers requests named `op` (the handler's value, or its error's message, goes back). */
  answer<B>(op: string, handler: (body: B, signal: AbortSignal) => unknown): void {
    this.#requests.set(op, handler as RequestHandler);
  }

  /** Handles notes named `op`. */
  hear<B>(op: string, handler: (body: B) => void): void {
    this.#notes.set(op, handler as NoteHandler);
  }

  request<T>(op: string, body: unknown, { timeoutMs, signal }: RequestOptions): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(this.#closed));
    if (signal?.aborted) return Promise.reject(new Error('cancelled'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      const onAbort = () => {
        finish();
        this.#post({ ns: NS, t: 'cancel', id });
        reject(new Error('cancelled'));
      };
      const timer = setTimeout(() => {
        finish();
        this.#post({ ns: NS, t: 'cancel', id });
        reject(new Error(`no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (value) => {
          finish();
          resolve(value as T);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      if (!this.#post({ ns: NS, t: 'req', id, op, body }))
        this.#pending.get(id)?.reject(new Error('the channel is closed'));
    });
  }

  /** Resolves once the note has left (or could not be sent). */
  note(op: string, body: unknown): Promise<void> {
    return new Promise((sent) => {
      if (!this.#post({ ns: NS, t: 'note', op, body }, sent)) sent();
    });
  }

  /** Feeds a message from the channel; anything not ours is ignored. */
  receive(message: unknown): void {
    if (!isWire(message)) return;
    switch (message.t) {
      case 'req':
        return void this.#serve(message.id, message.op, message.body);
      case 'res': {
        const pending = this.#pending.get(message.id);
        if (!pending) return; // timed out or cancelled meanwhile
        if (message.ok) pending.resolve(message.body);
        else pending.reject(new Error(message.error));
        return;
      }
      case 'cancel':
        return this.#serving.get(message.id)?.abort();
      case 'note':
        return this.#notes.get(message.op)?.(message.body as never);
    }
  }

  /** The other end is gone: every request waiting on it fails, every one it asked is abandoned. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = reason;
    for (const pending of [...this.#pending.values()]) pending.reject(new Error(reason));
    for (const controller of this.#serving.values()) controller.abort();
    this.#serving.clear();
  }

  async #serve(id: number, op: string, body: unknown): Promise<void> {
    const handler = this.#requests.get(op);
    if (!handler) {
      this.#post({ ns: NS, t: 'res', id, ok: false, error: `nobody answers ${op} here` });
      return;
    }
    const controller = new AbortController();
    this.#serving.set(id, controller);
    try {
      const value = await handler(body as never, controller.signal);
      if (!controller.signal.aborted) this.#post({ ns: NS, t: 'res', id, ok: true, body: value });
    } catch (error) {
      if (!controller.signal.aborted)
        this.#post({ ns: NS, t: 'res', id, ok: false, error: (error as Error)?.message ?? String(error) });
    } finally {
      this.#serving.delete(id);
    }
  }

  /** False when the channel is closed (a worker that died, a primary that went away). */
  #post(message: Wire, sent: () => void = () => {}): boolean {
    if (this.#closed) return false;
    try {
      this.#send(message, sent);
      return true;
    } catch {
      return false;
    }
  }
}

function isWire(message: unknown): message is Wire {
  return typeof message === 'object' && message !== null && (message as { ns?: unknown }).ns === NS;
}
