// An edge as operators run it: `node src/main.ts` (or `bun src/main.ts`) in a process of its own, so
// that a test can kill it the hard way (SIGKILL: no shutdown hook, no flush, no finally) and start it
// again on the same DATA_DIR. Its JSON log lines are kept for the test to read.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EDGE_NODE_FLAGS } from '../../src/node-flags.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface EdgeProcess {
  url: string;
  child: ChildProcess;
  /** Every JSON line the edge logged so far (stdout). */
  readonly logs: Record<string, unknown>[];
  /** kill -9, and waits until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop), and waits until the process is gone. */
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` with `env` over the test's environment (LOG_LEVEL info, PORT 0) and resolves
 * once it logs 'walrus-edge listening'; rejects if it exits before that or takes over `timeoutMs`.
 * The process runs on `runtime`: by default the one that runs the test (the pinned Node 24: src/ is
 * TypeScript), or e.g. Bun (test/support/bun.ts).
 */
export async function startEdgeProcess(
  env: Record<string, string>,
  { timeoutMs = 60_000, runtime = process.execPath }: { timeoutMs?: number; runtime?: string } = {},
): Promise<EdgeProcess> {
  // On Node with the flags every launcher passes (src/node-flags.ts); Bun takes none.
  const onNode = runtime === process.execPath && !('bun' in process.versions);
  const flags = onNode ? EDGE_NODE_FLAGS : [];
  const child = spawn(runtime, [...flags, join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    // One process (HTTP_WORKERS=1): a SIGKILL then kills the whole edge at once, as these tests mean.
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', HTTP_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test that fails before its cleanup must not leave the edge running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killOnExit));

  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the edge did not listen within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a log line
      }
      logs.push(entry);
      if (entry.msg === 'walrus-edge listening') {
        clearTimeout(timer);
        resolve(entry.url as string);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the edge exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
  const ended = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, child, logs, kill: () => ended('SIGKILL'), stop: () => ended('SIGTERM') };
}
