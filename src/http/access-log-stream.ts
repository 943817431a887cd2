// Where the access lines go when the log is JSON lines: stdout as the rest of the log, but through a
// buffer of their own. pino's default destination writes each line with a write(2) of its own, on
// this thread; with this buffer a 64 KiB memory hit with the defaults cost 41 µs of CPU against 44
// (bench:serve --pin --before, same run: README, "Caching"). Lines collect until 4 KiB (some 15
// lines) or a second has passed, then go out in one write; the edge's other log lines stay
// unbuffered, so a warning is never held back. Lines are whole in every write, so the two streams
// interleave line by line. What is still buffered is written when the edge stops (and at process
// exit); a process killed with SIGKILL loses at most that: a second or 4 KiB of access lines.
import { pino, type BaseLogger, type LevelWithSilent } from 'pino';

const BUFFER_BYTES = 4096;
/** The longest an access line waits in the buffer. */
export const ACCESS_LOG_FLUSH_MS = 1000;

export interface AccessLogStream {
  log: BaseLogger;
  /** Writes out what is buffered and stops the flushing: the edge has stopped. */
  close(): void;
}

export function bufferedAccessLog(level: LevelWithSilent): AccessLogStream {
  const destination = pino.destination({ dest: 1, sync: true, minLength: BUFFER_BYTES });
  // The flush timer and the exit hook are the edge's, not sonic-boom's (its periodicFlush stops only
  // when the stream ends, and this stream is the process's stdout): close() removes both, so an edge
  // started and stopped again and again in one process (the tests do) leaves nothing behind.
  const timer = setInterval(() => destination.flush(), ACCESS_LOG_FLUSH_MS);
  timer.unref();
  const atExit = () => destination.flushSync();
  process.once('exit', atExit);
  return {
    log: pino({ level }, destination),
    close() {
      clearInterval(timer);
      process.off('exit', atExit);
      destination.flushSync();
    },
  };
}
