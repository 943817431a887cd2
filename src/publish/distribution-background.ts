// Work that outlives the call that started it: uploads still going to slow nodes after distributeBlob
// has returned its certificate, so those nodes get their slivers too. The service owns it, so its
// shutdown stops the work and waits for it: nothing runs past close(), and nothing a task throws goes
// unhandled.

/** Where distributeBlob hands work that goes on after it returns. */
export interface BackgroundWork {
  /** Runs `task` now; its signal aborts when the owner shuts down. */
  run(task: (signal: AbortSignal) => Promise<void>): void;
}

export interface BackgroundTasks extends BackgroundWork {
  /** Tasks still running. */
  readonly pending: number;
  /** Aborts every task and resolves once all have settled; tasks run after it start aborted. */
  close(): Promise<void>;
}

export function backgroundTasks(): BackgroundTasks {
  const shutdown = new AbortController();
  const running = new Set<Promise<void>>();
  return {
    get pending() {
      return running.size;
    },
    run(task) {
      const settled: Promise<void> = (async () => task(shutdown.signal))()
        // A straggler's failure was already counted by its own observer; here it only must not escape.
        .catch(() => undefined)
        .finally(() => running.delete(settled));
      running.add(settled);
    },
    async close() {
      shutdown.abort(new DOMException('the service is shutting down', 'AbortError'));
      await Promise.all(running);
    },
  };
}
