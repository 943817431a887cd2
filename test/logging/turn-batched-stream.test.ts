import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TurnBatchedStream } from '../../src/logging/turn-batched-stream.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const nextTurn = () => new Promise((resume) => setImmediate(resume));

describe('log lines batched per event-loop turn', () => {
  it('writes the lines of one turn in one write, in order, and the next turn’s in the next', async () => {
    const writes: string[] = [];
    const stream = new TurnBatchedStream({ write: (text) => writes.push(text) });
    stream.write('a\n');
    stream.write('b\n');
    stream.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    stream.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  // The edge's logger in a process of its own: what it logged in the turn it exits in still reaches stdout.
  const lastWords = (exit: string) =>
    spawnSync(
      join(ROOT, 'node_modules/.bin/node'),
      [
        '--input-type=module',
        '-e',
        `import { edgeLogger } from ${JSON.stringify(join(ROOT, 'src/logging/edge-logger.ts'))};
         const log = edgeLogger({ LOG_FORMAT: 'json', LOG_LEVEL: 'info' });
         log.info('first');
         log.error('last words');
         ${exit}`,
      ],
      { encoding: 'utf8' },
    );

  it.each([
    ['process.exit', 'process.exit(3)', 3],
    ['an uncaught exception', 'throw new Error("boom")', 1],
  ])('keeps the lines logged just before %s', (_, exit, status) => {
    const child = lastWords(exit);
    expect(child.status).toBe(status);
    const lines = child.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; level: number });
    expect(lines.map((line) => line.msg)).toEqual(['first', 'last words']);
    expect(lines[1]!.level).toBe(50);
  });
});
