// Log lines written once per event-loop turn instead of once each. pino's own destination writes every
// line with its own write(2); with an access-log line per request that syscall was a large part of a
// small cache hit's CPU (bench:serve: the edge with ACCESS_LOG on vs off). Here the lines of one turn
// are joined and handed to the destination in one write at the next setImmediate — under load, a turn
// answers many requests — so a line waits at most one turn, and on exit (also after an uncaught
// exception) whatever is pending is written synchronously before the process goes. Only a SIGKILL
// can lose lines, and then at most one turn's.

/** What pino writes to: a string per line. */
export interface LineSink {
  write(text: string): unknown;
}

/** The streams alive in this process, written out by one exit handler (not one per stream: a test
 * process starts dozens of edges, each with its logger). */
const live = new Set<WeakRef<TurnBatchedStream>>();
let exitHooked = false;

function flushAllOnExit(stream: TurnBatchedStream): void {
  live.add(new WeakRef(stream));
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const ref of live) ref.deref()?.flush();
  });
}

export class TurnBatchedStream implements LineSink {
  readonly #sink: LineSink;
  #pending: string[] = [];
  #scheduled = false;

  constructor(sink: LineSink) {
    this.#sink = sink;
    flushAllOnExit(this);
  }

  write(line: string): boolean {
    this.#pending.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Writes what is pending now, in one write. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join('');
    this.#pending = [];
    this.#sink.write(text);
  }
}
