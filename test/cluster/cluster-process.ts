// The edge as operators start it with HTTP_WORKERS > 1: `node src/main.ts` in a process of its own (the
// primary), whose workers the test finds in /proc, and requests each on a connection of its own, kept
// open afterwards, so that /proc can tell which worker took it.
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { startEdgeProcess } from '../support/edge-process.ts';
import { environOf, holdersOfConnections } from './proc.ts';
import { childrenOf } from '../support/proc-stat.ts';

export interface ClusterProcess {
  url: string;
  port: number;
  primary: ChildProcess;
  /** The JSON log lines so far (the primary's and the workers', on one stdout). */
  readonly logs: Record<string, unknown>[];
  /** The worker processes now, by /proc: PID → the slot it was started for. */
  workers(): Map<number, number>;
  /** SIGTERM to the primary, and waits until it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `node src/main.ts` with `env` (HTTP_WORKERS in it) and resolves once the primary says
 * 'walrus-edge listening', which it says when every worker listens.
 */
export async function startCluster(env: Record<string, string>): Promise<ClusterProcess> {
  const edge = await startEdgeProcess(
    { LOG_FORMAT: 'json', ACCESS_LOG: 'false', ...env },
    { timeoutMs: 90_000 },
  );
  const pid = edge.child.pid!;
  return {
    url: edge.url,
    port: Number(new URL(edge.url).port),
    primary: edge.child,
    logs: edge.logs,
    workers: () =>
      new Map(
        childrenOf(pid).flatMap((child) => {
          const slot = environOf(child, 'WALRUS_EDGE_WORKER_SLOT');
          return slot === undefined ? [] : [[child, Number(slot)] as const];
        }),
      ),
    stop: () => edge.stop(),
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The PID of the worker that held the server end of its connection (by /proc). */
  servedBy: number;
}

/**
 * Sends the requests at once, each on a connection of its own, and tells (by /proc, while the
 * connections are still open) which worker process served each.
 */
export async function requestsOnOwnConnections(
  cluster: ClusterProcess,
  requests: OneRequest[],
): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    const answers = await Promise.all(requests.map((one) => send(cluster, agent, one)));
    const holders = holdersOfConnections(
      cluster.port,
      answers.map((answer) => answer.clientPort),
      [...cluster.workers().keys()],
    );
    return answers.map(({ clientPort: _, ...answer }, i) => ({ ...answer, servedBy: holders[i]! }));
  } finally {
    agent.destroy();
  }
}

/**
 * Sends `one` to the worker `worker`: opens connections (a GET /healthz on each) until one is held
 * by that worker, then sends `one` on it. Which worker takes a new connection is the kernel's or
 * the primary's choice, on Bun not even alternating, so the test asks until it has the one it wants.
 */
export async function requestToWorker(
  cluster: ClusterProcess,
  worker: number,
  one: OneRequest,
): Promise<Answer> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // One socket an agent: the second request goes on the connection the first one probed.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const probe = await send(cluster, agent, { path: '/healthz' });
      const [holder] = holdersOfConnections(cluster.port, [probe.clientPort], [...cluster.workers().keys()]);
      if (holder !== worker) continue;
      const { clientPort, ...answer } = await send(cluster, agent, one);
      if (clientPort !== probe.clientPort) throw new Error('the request left the probed connection');
      return { ...answer, servedBy: worker };
    } finally {
      agent.destroy();
    }
  }
  throw new Error(`50 new connections and none reached worker ${worker}`);
}

interface OneRequest {
  path: string;
  method?: string;
  body?: Uint8Array;
}

function send(
  cluster: ClusterProcess,
  agent: Agent,
  { path, method = 'GET', body }: OneRequest,
): Promise<Omit<Answer, 'servedBy'> & { clientPort: number }> {
  return new Promise((resolve, reject) => {
    const sent = request(`${cluster.url}${path}`, { method, agent }, (response) => {
      const clientPort = response.socket.localPort!;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          headers: response.headers,
          body: Buffer.concat(chunks),
          clientPort,
        }),
      );
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}
