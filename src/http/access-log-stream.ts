// Where the access lines go when the log is JSON lines: stdout as the rest of the log, but through a
// buffer of their own, as nginx's `access_log … buffer= flush=`. Lines collect until 16 KiB (some 60
// lines) or a second has passed, then go out in one write; the edge's other log lines stay
// unbuffered, so a warning is never held back. Lines are whole in every write, so the two streams
// interleave line by line. What is still buffered is written when the edge stops (and at process
// exit); a process killed with SIGKILL loses at most that: a second or 16 KiB of access lines.
// The buffer is a Buffer of this module's, handed to sonic-boom (pino's destination, which retries a
// full pipe) when full: sonic-boom's own minLength buffering measures the byte length of its whole
// pending string on every write (sonic-boom 4.2.1, index.js write()), 2.7 µs a line here against
// 0.1–0.5 for copying the line into a Buffer (scratch measurements, 2026-12-03), and its string
// writes encode and measure each chunk twice more. The lines are built by access-line-json.ts, not
// by pino, for the same reason: pino's serialization took 5 µs a line.
import { hostname } from 'node:os';
import { pino, type LevelWithSilent } from 'pino';
import { accessLineFormat } from './access-line-json.ts';
import type { AccessLogLine } from './request-log.ts';

const BUFFER_BYTES = 16 * 1024;
/** The longest an access line waits in the buffer. */
export const ACCESS_LOG_FLUSH_MS = 1000;

export interface AccessLogStream {
  /** Logs one line (when the level lets info lines through). */
  line(entry: AccessLogLine): void;
  /** Writes out what is buffered and stops the flushing: the edge has stopped. */
  close(): void;
}

/** A destination as pino makes them; `dest` is stdout's file descriptor unless a test gives a path. */
export function bufferedAccessLog(level: LevelWithSilent, dest: number | string = 1): AccessLogStream {
  // Access lines are info lines: a level above info leaves them out, as pino would.
  if (!pino({ level, enabled: level !== 'silent' }).isLevelEnabled('info'))
    return { line: () => {}, close: () => {} };
  const destination = pino.destination({ dest, sync: true, contentMode: 'buffer' });
  const format = accessLineFormat(process.pid, hostname());
  // In buffer mode sonic-boom writes Buffers (its types know only strings).
  const write = destination.write.bind(destination) as unknown as (bytes: Buffer) => boolean;
  let buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    // Handed over, not copied: sonic-boom may keep it while the pipe is full; a new one takes its place.
    write(buffer.subarray(0, used));
    buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    used = 0;
  };
  // The flush timer and the exit hook are the edge's: close() removes both, so an edge started and
  // stopped again and again in one process (the tests do) leaves nothing behind.
  const timer = setInterval(flush, ACCESS_LOG_FLUSH_MS);
  timer.unref();
  const atExit = () => {
    flush();
    destination.flushSync();
  };
  process.once('exit', atExit);
  return {
    line(entry) {
      const text = format(entry); // ASCII (access-line-json.ts): a character a byte
      if (used + text.length > BUFFER_BYTES) flush();
      if (text.length > BUFFER_BYTES) write(Buffer.from(text, 'latin1'));
      else used += buffer.write(text, used, 'latin1');
    },
    close() {
      clearInterval(timer);
      process.off('exit', atExit);
      atExit();
    },
  };
}
