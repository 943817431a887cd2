// The edge's log: JSON lines for collectors, or readable for a person at a terminal (LOG_FORMAT; auto =
// pretty when stdout is a TTY). JSON lines leave in one write per event-loop turn (turn-batched-stream.ts),
// through pino's own synchronous stdout destination (which retries a full pipe instead of dropping);
// pino-pretty runs as a stream in this thread: no transport worker to manage.
import { pino, type BaseLogger as Logger } from 'pino';
import prettyStream from 'pino-pretty';
import type { EdgeConfig } from '../config.ts';
import { TurnBatchedStream } from './turn-batched-stream.ts';

export function edgeLogger(config: Pick<EdgeConfig, 'LOG_FORMAT' | 'LOG_LEVEL'>): Logger {
  const pretty =
    config.LOG_FORMAT === 'pretty' || (config.LOG_FORMAT === 'auto' && process.stdout.isTTY === true);
  if (!pretty)
    return pino(
      { level: config.LOG_LEVEL },
      new TurnBatchedStream(pino.destination({ dest: 1, sync: true })),
    );
  return pino(
    { level: config.LOG_LEVEL },
    prettyStream({ colorize: process.stdout.isTTY === true, sync: true, translateTime: 'SYS:HH:MM:ss.l' }),
  );
}
