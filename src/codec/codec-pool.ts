// Node's codec: a fixed pool of worker threads, each with its own walrus-wasm instance and RS tables.
// Jobs wait in one priority queue here (lower priority value first, FIFO among equals) and each worker
// holds at most two at a time — one only while it encodes a blob — so an urgent job (the next row to
// stream) never sits behind a long backlog inside a worker. A worker that dies fails its jobs and is
// replaced. The workers run at a lower OS priority than the event loop (CodecPoolOptions.niceness).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EncodedBlob } from './blob-encoder.ts';
import type { Codec, DecodeJob, VerifySliverJob } from './codec.ts';
import type { WorkerAnswer, WorkerJob, WorkerSetup } from './codec-worker.ts';

/** A job as posted, before the pool numbers it (Omit distributed over the union). */
type UnnumberedJob = WorkerJob extends infer J ? (J extends WorkerJob ? Omit<J, 'id'> : never) : never;

interface Queued {
  message: UnnumberedJob;
  transfer: ArrayBuffer[];
  priority: number;
  seq: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  running: Map<number, Queued>;
}

const JOBS_PER_WORKER = 2;

const isWholeBlob = (job: Queued) => job.message.kind === 'encode' || job.message.kind === 'blob-id';

/** What a codec job asked for: a sliver check, a decode, a re-encode for the blob ID, an encode. */
export type CodecJobKind = WorkerJob['kind'];

/** Hooks for metrics: the pool stays free of any metrics library. */
export interface CodecObserver {
  /** A job ended in its worker: `ms` is the time it ran there (not its wait in the queue). */
  jobFinished?(kind: CodecJobKind, ms: number, ok: boolean): void;
}

/** The pool is a Codec that also says how many jobs wait for a worker. */
export interface CodecPool extends Codec {
  /** Jobs queued here, waiting for a worker with room (the ones running are not counted). */
  readonly queued: number;
}

export interface CodecPoolOptions {
  /**
   * The workers' OS niceness (default 5): encoding a large blob must not take the CPU from the event
   * loop serving reads on a busy machine (codec-worker.ts). 0 keeps them at the loop's priority.
   */
  niceness?: number;
  observer?: CodecObserver;
}

export function codecPool(
  size = Math.max(1, availableParallelism()),
  options: CodecPoolOptions = {},
): CodecPool {
  const finished = options.observer?.jobFinished?.bind(options.observer);
  const setup: WorkerSetup = { niceness: options.niceness ?? 5 };
  let nextId = 0;
  let nextSeq = 0;
  let closed = false;
  const slots: Slot[] = [];
  const queue: Queued[] = [];

  const spawn = (): Slot => {
    const worker = new Worker(new URL('./codec-worker.ts', import.meta.url), { workerData: setup });
    const slot: Slot = { worker, running: new Map() };
    worker.on('message', (answer: WorkerAnswer) => {
      const job = slot.running.get(answer.id);
      if (!job) return;
      slot.running.delete(answer.id);
      finished?.(job.message.kind, answer.ms, answer.ok);
      if (answer.ok) job.resolve(answer.value);
      else job.reject(new Error(answer.error));
      dispatch();
    });
    worker.on('error', (error) => fail(slot, error));
    worker.on('exit', (code) => {
      fail(slot, new Error(`codec worker exited with code ${code}`));
      if (!closed) {
        slots[slots.indexOf(slot)] = spawn();
        dispatch();
      }
    });
    // Idle workers must not keep the process alive.
    worker.unref();
    return slot;
  };

  const fail = (slot: Slot, error: Error) => {
    for (const job of slot.running.values()) job.reject(error);
    slot.running.clear();
  };

  /**
   * A worker running a whole blob's work (an encode or a re-encode: seconds) takes nothing more, so no
   * job waits inside it for seconds while another worker may come free first.
   */
  const hasRoom = (slot: Slot) =>
    slot.running.size < JOBS_PER_WORKER && ![...slot.running.values()].some(isWholeBlob);

  /** Hands queued jobs, most urgent first, to workers with room. */
  const dispatch = () => {
    for (;;) {
      if (queue.length === 0) break;
      const open = slots.filter(hasRoom);
      if (open.length === 0) break;
      const slot = open.reduce((best, s) => (s.running.size < best.running.size ? s : best));
      let bestIndex = 0;
      for (let i = 1; i < queue.length; i++) {
        const a = queue[i]!;
        const b = queue[bestIndex]!;
        if (a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq)) bestIndex = i;
      }
      const [job] = queue.splice(bestIndex, 1) as [Queued];
      const id = nextId++;
      slot.running.set(id, job);
      slot.worker.postMessage({ ...job.message, id }, job.transfer);
    }
    for (const slot of slots) {
      if (slot.running.size > 0) slot.worker.ref();
      else slot.worker.unref();
    }
  };

  for (let i = 0; i < size; i++) slots.push(spawn());

  const run = <T>(
    message: UnnumberedJob,
    priority = Number.MAX_SAFE_INTEGER,
    transfer: ArrayBuffer[] = [],
  ) => {
    if (closed) return Promise.reject(new Error('codec pool is closed'));
    return new Promise<T>((resolve, reject) => {
      queue.push({
        message,
        transfer,
        priority,
        seq: nextSeq++,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      dispatch();
    });
  };

  return {
    get queued() {
      return queue.length;
    },
    verifySliver: (job: VerifySliverJob, priority?: number) =>
      run<boolean>({ kind: 'verify', job }, priority),
    decode: (job: DecodeJob) => run<Uint8Array>({ kind: 'decode', job }, -1),
    blobIdOf: (data: Uint8Array, n: number) => run<Uint8Array>({ kind: 'blob-id', data, n }),
    // Uploads queue behind reads' verifications (default priority): a waiting reader's next row first.
    encode: (data: Uint8Array, n: number) => run<EncodedBlob>({ kind: 'encode', data, n }),
    close: async () => {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('codec pool is closed'));
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
