// HTTP_WORKERS > 1: this process forks that many edge workers (node:cluster; each runs
// worker-main.ts, all listening on PORT, connections handed out round-robin by this process), keeps
// them running, and is the host's switchboard between them: who reconstructs which blob
// (fill-leases.ts), which worker holds a blob in memory (peer-tier.ts), purges, and /metrics for
// all (host-metrics.ts). It serves no HTTP itself. An embedded devnet runs here (it is one process),
// and the workers attach to it as to one started with `walrus-edge devnet`.
//
// A worker that exits unasked is replaced: at once if it had run for a while, else after a pause that
// doubles with each quick failure (up to 30 s), so a crash loop idles instead of spinning. If a worker
// fails while the edge is first starting, the edge does not start: the failure is the answer.
//
// node:cluster checked 2026-12-01 (Node 24 docs): round-robin is the default scheduling everywhere but
// Windows; setupPrimary's `serialization: 'advanced'` lets bytes cross the IPC channel as bytes.
import cluster, { type Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BaseLogger as Logger } from 'pino';
import type { CachedBlob } from '../cache/memory-tier.ts';
import type { EdgeConfig } from '../config.ts';
import { startDevnet, type RunningDevnet } from '../devnet/devnet.ts';
import { FillLeases } from './fill-leases.ts';
import { hostMetrics } from './host-metrics.ts';
import { Link } from './link.ts';
import { PUBLISHER_SLOT, WORKER_ENV } from './worker-env.ts';

/** A worker that lived less than this before exiting failed quickly: the next start waits longer. */
const STABLE_MS = 10_000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A worker asked to stop gets this long to close its connections before it is killed. */
const STOP_GRACE_MS = 15_000;
/** Whether another worker holds a blob: answered from memory at once. */
const PEER_ASK_MS = 500;
/** A blob copied from another worker's memory (up to CACHE_MAX_OBJECT_BYTES). */
const PEER_GIVE_MS = 5_000;
/** The publishing worker's sponsor and ledger (it asks its ledger for a second at most). */
const PUBLISHER_VIEW_MS = 2_000;

export interface RunningCluster {
  url: string;
  /** Where /metrics is served when METRICS_PORT is set (for the whole host, by any worker). */
  metricsUrl: string | undefined;
  /** Stops the workers (gracefully, then for good), then the embedded devnet. */
  stop(): Promise<void>;
}

interface Slot {
  index: number;
  worker?: Worker;
  link?: Link;
  ready: boolean;
  startedAt: number;
  quickFailures: number;
  /** The one-line reason a worker gave before exiting (its start failed). */
  failure?: string;
  restart?: ReturnType<typeof setTimeout>;
}

export async function startCluster(
  config: EdgeConfig,
  options: { workers: number; env: NodeJS.ProcessEnv; log: Logger },
): Promise<RunningCluster> {
  const { workers, log } = options;
  const env: NodeJS.ProcessEnv = { ...options.env };
  let devnet: RunningDevnet | undefined;
  if (config.NETWORK === 'devnet' && !config.DEVNET_DIR) {
    const started = performance.now();
    devnet = await startDevnet({
      dir: join(resolve(config.DATA_DIR), 'devnet'),
      nodes: config.DEVNET_NODES,
      shards: config.DEVNET_SHARDS,
      chainParams: config.DEVNET_EPOCH_MS ? { epochDurationMs: config.DEVNET_EPOCH_MS } : undefined,
    });
    env.DEVNET_DIR = devnet.dir;
    log.info(
      {
        dir: devnet.dir,
        nodes: devnet.committee.nodes.length,
        shards: devnet.committee.nShards,
        ms: Math.round(performance.now() - started),
      },
      'embedded devnet started (in the primary: the workers attach to it)',
    );
  }
  // node:cluster shares listening sockets by address and port: PORT=0 and METRICS_PORT=0 would be
  // one socket for the workers. The ports are chosen here instead, once for all workers.
  if (config.PORT === 0) env.PORT = String(await freePort(config.HOST));
  if (config.METRICS_PORT === 0) env.METRICS_PORT = String(await freePort(config.HOST));
  // Unix socket paths are short (108 bytes): in the temporary directory, not under DATA_DIR.
  const publisherSocket = join(tmpdir(), `walrus-edge-${process.pid}-publisher.sock`);

  const slots: Slot[] = Array.from({ length: workers }, (_, index) => ({
    index,
    ready: false,
    startedAt: 0,
    quickFailures: 0,
  }));
  const leases = new FillLeases<number>();
  const ready = () => slots.filter((slot) => slot.ready && slot.link).map((slot) => slot.link!);
  const metrics = hostMetrics(() => ({
    ready: ready(),
    starting: slots.filter((slot) => slot.worker && !slot.ready).length,
  }));
  let stopping = false;
  let started = false;
  let url: string | undefined;
  let metricsUrl: string | undefined;
  let settleStart!: (error?: Error) => void;
  const startedUp = new Promise<void>((resolve, reject) => {
    settleStart = (error) => (error ? reject(error) : resolve());
  });

  cluster.setupPrimary({
    exec: new URL('./worker-main.ts', import.meta.url).pathname,
    serialization: 'advanced',
  });

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    const worker = cluster.fork({
      ...env,
      [WORKER_ENV.slot]: String(slot.index),
      [WORKER_ENV.workers]: String(workers),
      [WORKER_ENV.publisherSocket]: publisherSocket,
    });
    const link = new Link((message, sent) => {
      if (!worker.isConnected()) throw new Error('the worker is gone');
      worker.send(message as never, undefined, undefined, sent);
    });
    Object.assign(slot, { worker, link, ready: false, startedAt: Date.now(), failure: undefined });
    worker.on('message', (message: unknown) => link.receive(message));
    serve(link, worker.id);
    link.hear<{ url: string; metricsUrl?: string }>('ready', (body) => {
      slot.ready = true;
      url ??= body.url;
      metricsUrl ??= body.metricsUrl;
      if (!started && slots.every((each) => each.ready)) {
        started = true;
        settleStart();
      }
    });
    link.hear<{ message: string }>('failed', ({ message }) => (slot.failure = message));
    worker.once('exit', (code, signal) => exited(slot, worker, code, signal));
  };

  /** The services of the host, for one worker's requests. */
  const serve = (link: Link, id: number) => {
    link.answer<{ blobId: string; termMs: number }>('fill.claim', ({ blobId, termMs }) =>
      leases.claim(blobId, id, termMs),
    );
    link.answer<{ blobId: string }>('fill.wait', ({ blobId }, signal) => leases.wait(blobId, id, signal));
    link.hear<{ blobId: string; blob?: CachedBlob }>('fill.release', ({ blobId, blob }) =>
      leases.release(blobId, id, blob),
    );
    link.answer<{ blobId: string }>('peer.get', async (body, signal) => {
      const holder = await firstDefined(
        ready()
          .filter((other) => other !== link)
          .map((other) =>
            other.request<boolean>('peer.has', body, { timeoutMs: PEER_ASK_MS, signal }).then(
              (has) => (has ? other : undefined),
              () => undefined,
            ),
          ),
      );
      return holder
        ?.request<CachedBlob | undefined>('peer.give', body, { timeoutMs: PEER_GIVE_MS, signal })
        .catch(() => undefined);
    });
    link.hear<{ blobId: string }>('peer.purge', (body) => {
      for (const other of ready()) if (other !== link) void other.note('peer.purge', body);
    });
    link.answer('metrics.text', () => metrics.text());
    link.answer('publisher.view', (_, signal) => {
      const publishing = slots[PUBLISHER_SLOT]!;
      if (!publishing.ready || !publishing.link) throw new Error('the publishing worker is not ready');
      return publishing.link.request('publisher.view', null, { timeoutMs: PUBLISHER_VIEW_MS, signal });
    });
  };

  const exited = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    // Its channel may close a moment after its exit; until then node:cluster would still hand it
    // connections (lost with it): closed now.
    if (worker.isConnected()) worker.process.disconnect();
    if (slot.link) {
      metrics.retire(slot.link);
      slot.link.close('the worker exited');
    }
    leases.workerGone(worker.id);
    Object.assign(slot, { worker: undefined, link: undefined, ready: false });
    if (stopping) return;
    const how = { slot: slot.index, workerPid: worker.process.pid, code, signal };
    if (!started) {
      settleStart(
        new Error(slot.failure ?? `worker ${slot.index} exited (${code ?? signal}) before it listened`),
      );
      return;
    }
    slot.quickFailures = Date.now() - slot.startedAt < STABLE_MS ? slot.quickFailures + 1 : 0;
    const delay =
      slot.quickFailures === 0
        ? 0
        : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (slot.quickFailures - 1));
    log.error(
      { ...how, ...(slot.failure ? { error: slot.failure } : {}), restartInMs: delay },
      'edge worker exited; starting another',
    );
    metrics.restarted();
    slot.restart = setTimeout(() => fork(slot), delay);
  };

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const live = slots.flatMap((slot) => {
      clearTimeout(slot.restart);
      return slot.worker ? [slot.worker] : [];
    });
    await Promise.all(live.map((worker) => stopWorker(worker)));
    rmSync(publisherSocket, { force: true });
    await devnet?.stop();
  };

  for (const slot of slots) fork(slot);
  try {
    await startedUp;
  } catch (error) {
    await stop();
    throw error;
  }
  log.info(
    { url, workers, ...(metricsUrl ? { metrics: `${metricsUrl}/metrics` } : {}) },
    'walrus-edge listening',
  );
  return { url: url!, metricsUrl, stop };
}

/** A port free on `host` now (the kernel's choice for port 0). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** SIGTERM (the worker closes its connections and exits), SIGKILL after the grace period. */
async function stopWorker(worker: Worker): Promise<void> {
  if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.process.kill('SIGTERM');
  const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

/** The first value that is not undefined, or undefined once all are settled without one. */
function firstDefined<T>(promises: Promise<T | undefined>[]): Promise<T | undefined> {
  return new Promise((resolve) => {
    let left = promises.length;
    if (left === 0) return resolve(undefined);
    for (const promise of promises)
      void promise.then((value) => {
        if (value !== undefined) resolve(value);
        else if (--left === 0) resolve(undefined);
      });
  });
}
