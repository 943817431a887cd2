// Where the access lines go when the log is JSON lines: stdout as the rest of the log, but through a
// buffer of their own. pino's default destination writes each line with a write(2) of its own, on
// this thread, and for a small memory hit that system call cost more than the answer itself
// (bench:serve: README, "Caching"). Here lines collect until 4 KiB (some 15 lines) or a second has
// passed, then go out in one write; the edge's other log lines stay unbuffered, so a warning is never
// held back. Lines are whole in every write, so the two streams interleave line by line. What is
// still buffered is written when the edge stops (and at process exit); a process killed with
// SIGKILL loses at most that: a second or 4 KiB of access lines.
import { pino, type BaseLogger, type LevelWithSilent } from 'pino';

const BUFFER_BYTES = 4096;
/** The longest an access line waits in the buffer. */
export const ACCESS_LOG_FLUSH_MS = 1000;

export interface AccessLogStream {
  log: BaseLogger;
  /** Writes out what is buffered, at once. */
  flush(): void;
}

export function bufferedAccessLog(level: LevelWithSilent): AccessLogStream {
  const destination = pino.destination({
    dest: 1,
    sync: true,
    minLength: BUFFER_BYTES,
    periodicFlush: ACCESS_LOG_FLUSH_MS,
  });
  // Never destroyed (it is the process's stdout): flushing twice, at stop and at exit, is harmless.
  const flush = () => destination.flushSync();
  process.once('exit', flush);
  return { log: pino({ level }, destination), flush };
}
