// The Workers tier as its users run it locally: `wrangler dev` on deploy/workers/wrangler.jsonc, which
// bundles the Worker and runs it in workerd, Cloudflare's Workers runtime, with the Cache API kept on
// disk (in a temporary directory here). `vars` override the configuration's variables.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './devnet.ts';
import { freePort } from './free-port.ts';
import { NODE } from './node.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WORKERS_CONFIG = join(ROOT, 'deploy/workers/wrangler.jsonc');

export interface WorkersTier {
  url: string;
  /** wrangler's process: workerd runs as its child. */
  pid: number;
  /** What wrangler and the Worker printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startWorkersTier(
  vars: Record<string, string>,
  state = tempDir('workers-state'),
): Promise<WorkersTier> {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    NODE,
    [
      'node_modules/wrangler/bin/wrangler.js',
      'dev',
      '--config',
      WORKERS_CONFIG,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      state.path,
      '--show-interactive-dev-session=false',
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: 'true' } },
  );
  let text = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes(`Ready on http://127.0.0.1:${port}`)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wrangler dev exited (${code}):\n${text}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    await ready;
  } finally {
    clearTimeout(timer);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => text,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      state.remove();
    },
  };
}
