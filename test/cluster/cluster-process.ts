// The edge as operators start it with HTTP_WORKERS > 1: `node src/main.ts` in a process of its own (the
// primary), whose workers the test finds in /proc, and requests each on a connection of its own, kept
// open afterwards, so that /proc can tell which worker took it.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { childrenOf, environOf, holdersOfConnections } from './proc.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface ClusterProcess {
  url: string;
  port: number;
  primary: ChildProcess;
  /** The primary's JSON log lines so far (the workers log to the same stdout). */
  readonly logs: Record<string, unknown>[];
  /** The worker processes now, by /proc: PID → the slot it was started for. */
  workers(): Map<number, number>;
  /** SIGTERM to the primary, and waits until it is gone. */
  stop(): Promise<void>;
}

/** Starts the edge with `env` (PORT 0, JSON logs) and resolves once its primary says all workers listen. */
export async function startCluster(
  env: Record<string, string>,
  { timeoutMs = 90_000 }: { timeoutMs?: number } = {},
): Promise<ClusterProcess> {
  const primary = spawn(process.execPath, [join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ACCESS_LOG: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => primary.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => primary.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killOnExit));
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  primary.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      primary.kill('SIGKILL');
      reject(new Error(`the edge did not listen within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: primary.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === 'walrus-edge listening') {
        clearTimeout(timer);
        resolve(entry.url as string);
      }
    });
    primary.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the edge exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    primary,
    logs,
    workers: () =>
      new Map(
        childrenOf(primary.pid!).flatMap((pid) => {
          const slot = environOf(pid, 'WALRUS_EDGE_WORKER_SLOT');
          return slot === undefined ? [] : [[pid, Number(slot)] as const];
        }),
      ),
    stop: async () => {
      if (primary.exitCode === null && primary.signalCode === null) primary.kill('SIGTERM');
      await exited;
    },
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
  requests: { path: string; method?: string; body?: Uint8Array }[],
): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    const answers = await Promise.all(
      requests.map(
        ({ path, method = 'GET', body }) =>
          new Promise<Omit<Answer, 'servedBy'> & { clientPort: number }>((resolve, reject) => {
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
          }),
      ),
    );
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
