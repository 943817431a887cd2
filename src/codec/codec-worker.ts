// A codec worker thread: runs jobs posted by codec-pool.ts and answers with results (transferring bytes).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeBlob } from './blob-encoder.ts';
import { blobIdOfNow, decodeNow, verifySliverNow, type DecodeJob, type VerifySliverJob } from './codec.ts';

export type WorkerJob =
  | { id: number; kind: 'verify'; job: VerifySliverJob }
  | { id: number; kind: 'decode'; job: DecodeJob }
  | { id: number; kind: 'blob-id'; data: Uint8Array; n: number }
  | { id: number; kind: 'encode'; data: Uint8Array; n: number };

/** `ms`: how long the job ran in this thread (for the pool's observer). */
export type WorkerAnswer =
  { id: number; ok: true; value: unknown; ms: number } | { id: number; ok: false; error: string; ms: number };

/** What the pool hands each worker at its start. */
export interface WorkerSetup {
  /** This thread's OS niceness (0 = as the event loop; higher yields the CPU to it). */
  niceness: number;
}

lowerThreadPriority((workerData as WorkerSetup | undefined)?.niceness ?? 0);

/**
 * A blob's encoding holds a core for seconds: at a higher niceness than the event loop's thread, the
 * kernel gives the loop (which serves reads, cached hits included) the CPU first whenever both want it.
 * Linux schedules threads on their own, addressed by thread ID (/proc/thread-self); elsewhere, or
 * without the permission, the worker simply keeps the process's priority.
 */
function lowerThreadPriority(niceness: number): void {
  if (niceness <= 0) return;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, niceness);
  } catch {
    // Not Linux, or not allowed: same priority as the event loop.
  }
}

parentPort!.on('message', (message: WorkerJob) => {
  const started = performance.now();
  const answer = (value: unknown, transfer: ArrayBuffer[] = []) =>
    parentPort!.postMessage(
      { id: message.id, ok: true, value, ms: performance.now() - started } satisfies WorkerAnswer,
      transfer,
    );
  try {
    switch (message.kind) {
      case 'verify':
        answer(verifySliverNow(message.job));
        break;
      case 'decode': {
        const bytes = decodeNow(message.job);
        answer(bytes, [bytes.buffer as ArrayBuffer]);
        break;
      }
      case 'encode': {
        const encoded = encodeBlob(message.data, message.n);
        // Every sliver's buffer moves to the caller instead of being copied (≈5× the blob's size).
        answer(
          encoded,
          [...encoded.primary, ...encoded.secondary].map((s) => s.buffer as ArrayBuffer),
        );
        break;
      }
      case 'blob-id':
        answer(blobIdOfNow(message.data, message.n));
        break;
    }
  } catch (error) {
    parentPort!.postMessage({
      id: message.id,
      ok: false,
      error: (error as Error).message ?? String(error),
      ms: performance.now() - started,
    } satisfies WorkerAnswer);
  }
});
