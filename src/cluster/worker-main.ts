// One edge worker of several (HTTP_WORKERS > 1), forked by primary.ts: the whole edge (startEdge),
// tied to the others through the primary — metrics for the host, one reconstruction per blob for the
// host, the others' memory as a cache tier, and publishing in worker 0 only (publisher-forward.ts).
// It stops on SIGTERM or SIGINT, and when the primary goes away.
import { availableParallelism } from 'node:os';
import { loadConfig } from '../config.ts';
import { startEdge, type EdgeHost, type RunningEdge } from '../main.ts';
import { hostFillClaims } from './host-fill-claims.ts';
import { HostRegistry } from './host-metrics.ts';
import { Link } from './link.ts';
import { peerTier } from './peer-tier.ts';
import { publisherForwarder } from './publisher-forward.ts';
import { remotePublisherView, showPublisherView } from './publisher-view.ts';
import { PUBLISHER_SLOT, WORKER_ENV } from './worker-env.ts';

const primary = new Link((message, sent) => {
  if (!process.connected) throw new Error('the primary is gone');
  process.send!(message, undefined, undefined, sent);
});
process.on('message', (message) => primary.receive(message));

const slot = Number(process.env[WORKER_ENV.slot]);
const workers = Number(process.env[WORKER_ENV.workers]);
const socketPath = process.env[WORKER_ENV.publisherSocket]!;
const peers = peerTier(primary);
const host: EdgeHost = {
  registry: new HostRegistry(primary),
  fillClaims: (shared) => hostFillClaims(primary, shared),
  peers,
  share: (cache) => peers.share(cache),
  // The publishing worker encodes uploads: it keeps a thread per core; the others share the cores.
  codecWorkers:
    slot === PUBLISHER_SLOT
      ? availableParallelism()
      : Math.max(1, Math.floor(availableParallelism() / workers)),
  publisher:
    slot === PUBLISHER_SLOT
      ? { here: true, socketPath, show: (view) => showPublisherView(primary, view) }
      : { here: false, forward: publisherForwarder(socketPath), view: remotePublisherView(primary) },
};

let edge: RunningEdge;
try {
  edge = await startEdge(loadConfig(), { host });
} catch (error) {
  // The primary says it once for all workers (a start that fails fails the same way in each).
  await primary.note('failed', {
    message: String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' '),
  });
  process.exit(1);
}
await primary.note('ready', { url: edge.url, metricsUrl: edge.metricsUrl });
const shutdown = () => void edge.stop().then(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
process.once('disconnect', shutdown);
