// The codec pool's workers, as the kernel sees them: their threads run at the niceness the pool was
// given (witness: /proc/self/task/*/stat, field 19), so encoding yields the CPU to the event loop; and
// its queue length and job observer (the codec metrics' sources), against the jobs the test posts.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBlob } from '../../src/codec/blob-encoder.ts';
import { codecPool, type CodecJobKind } from '../../src/codec/codec-pool.ts';
import type { Codec } from '../../src/codec/codec.ts';
import { sliverDataView } from '../../src/protocol/bcs.ts';
import { randomBytes } from '../protocol/oracle.ts';

/** A thread's niceness, by the kernel's own account. */
function niceness(tid: string | number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // Fields after the command name (in parentheses, may hold spaces); nice is field 19 of the line.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The niceness of each of this process's threads, by thread ID. */
function threadNiceness(): Map<string, number> {
  return new Map(
    readdirSync('/proc/self/task').flatMap((tid) => {
      try {
        return [[tid, niceness(tid)] as const];
      } catch {
        return []; // a thread that ended meanwhile
      }
    }),
  );
}

let pool: Codec | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('codecPool', () => {
  it('runs its workers at the niceness given, the event loop thread untouched, and encodes as inline', async () => {
    const before = threadNiceness();
    // The process's own, as it started (0, or more when the suite itself runs under `nice`).
    const own = niceness(process.pid);
    pool = codecPool(2, { niceness: 7 });
    const data = randomBytes(50_000, 11);
    // Two encodes at once: one per worker (a worker encoding takes no second job).
    const [a, b] = await Promise.all([pool.encode(data, 100), pool.encode(data, 100)]);
    const after = threadNiceness();
    // Each worker's thread is niced. On Node that is exactly one thread per worker; on Bun a worker
    // also starts its own garbage-collector threads after it lowered its priority, and they inherit it.
    const niced = [...after].filter(([tid, nice]) => nice === 7 && !before.has(tid));
    expect(niced.length).toBeGreaterThanOrEqual(2);
    // Nothing that ran before the pool (the event loop's thread, the runtime's own) was touched.
    for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid), `thread ${tid}`).toBe(nice);
    expect(niceness(process.pid)).toBe(own);
    const inline = encodeBlob(data, 100);
    for (const encoded of [a, b]) {
      expect(encoded.blobId).toEqual(inline.blobId);
      expect(encoded.primary).toEqual(inline.primary);
    }
  });

  it('says how many jobs wait for a worker, and tells its observer of each job as it ends', async () => {
    const ended: { kind: CodecJobKind; ms: number; ok: boolean }[] = [];
    const single = codecPool(1, {
      observer: { jobFinished: (kind, ms, ok) => ended.push({ kind, ms, ok }) },
    });
    pool = single;
    const n = 10;
    const encoded = await single.encode(randomBytes(2_000, 12), n);
    expect(single.queued).toBe(0);
    const jobs = encoded.primary.map((bcs, pair) => {
      const { data, symbolSize } = sliverDataView(bcs)!;
      return { data, symbolSize, type: 'primary' as const, n, expectedHash: encoded.hashes[pair]!.primary };
    });
    const started = performance.now();
    const checks = jobs.map((job) => single.verifySliver(job));
    // One worker holds two jobs at a time; the rest wait in the pool's queue.
    expect(single.queued).toBe(jobs.length - 2);
    expect(await Promise.all(checks)).toEqual(jobs.map(() => true));
    const wall = performance.now() - started;
    expect(single.queued).toBe(0);
    expect(ended.map((job) => job.kind)).toEqual(['encode', ...jobs.map(() => 'verify')]);
    expect(ended.every((job) => job.ok)).toBe(true);
    // Time in the worker: positive, and never more than the caller waited for all of them.
    const verifying = ended.slice(1).reduce((sum, job) => sum + job.ms, 0);
    expect(verifying).toBeGreaterThan(0);
    expect(verifying).toBeLessThanOrEqual(wall);
  });
});
