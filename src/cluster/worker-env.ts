// What the primary tells each worker it forks, in its environment (beside the edge's own settings).
export const WORKER_ENV = {
  /** Which of the HTTP_WORKERS places this worker takes (0 = the one that publishes). */
  slot: 'WALRUS_EDGE_WORKER_SLOT',
  /** How many workers share the host (its codec threads are shared out among them). */
  workers: 'WALRUS_EDGE_WORKERS',
  /** Where the publishing worker listens for the requests the others pass on. */
  publisherSocket: 'WALRUS_EDGE_PUBLISHER_SOCKET',
} as const;

/** The worker that publishes (src/cluster/publisher-forward.ts). */
export const PUBLISHER_SLOT = 0;
