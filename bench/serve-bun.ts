// npm run bench:serve:bun — small hits on Bun next to Node and nginx, in the same run: one 64 KiB blob
// held in the edge's memory cache, answered by walrus-edge on Node and on Bun (`npm start`,
// `npm run start:bun`), by the node:http floor (bench/node-floor-server.ts: preloaded bytes, nothing
// else) on each runtime, and by nginx serving the same bytes as a static file (one worker: per core,
// like the single edge process). wrk runs in its own process (-t1 -c64 by default); CPU µs per answer
// come from /proc/PID/stat (user + sys of the server process, all its threads) over the timed run.
// Needs Debian's nginx and wrk (apt-get install nginx wrk).
// --pin (bench/cpu-pinning.ts, as bench:serve's): each server on core 1, wrk and every other process
// on core 0 while a run lasts.
// Usage: node bench/serve-bun.ts [--connections 64] [--seconds 5] [--rounds 2] [--pin]
import { EDGE_NODE_FLAGS } from '../src/node-flags.ts';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { BUN } from '../test/support/bun.ts';
import { CLI, startBenchDevnet } from './bench-devnet.ts';
import { nginxConf } from './nginx-conf.ts';
import { onCpu, othersOn, TWO_CORES } from './cpu-pinning.ts';
import { processTree, processTreeCpuSeconds } from './process-cpu.ts';
import { WRK, wrkRun, type WrkResult } from './wrk-run.ts';

const ROOT = join(import.meta.dirname, '..');
const NGINX = '/usr/sbin/nginx';
const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    pin: { type: 'boolean', default: false },
  },
});
if (!WRK) throw new Error('wrk is not installed: apt-get install wrk');

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGTERM')));

interface Server {
  name: string;
  url: string;
  /** The process doing the serving (nginx: its one worker), measured with its children. */
  pid: () => number;
}

/** Starts `command`, and waits until `url` answers with exactly `bytes`. */
async function serve(
  name: string,
  command: string,
  args: string[],
  url: string,
  bytes: Buffer,
  env: Record<string, string> = {},
): Promise<Server & { child: ChildProcess }> {
  const child = spawn(
    ...(values.pin ? onCpu(TWO_CORES.serverCpu, command, args) : ([command, args] as const)),
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  children.push(child);
  for (let attempt = 0; ; attempt++) {
    const body = await fetch(url)
      .then(async (response) => (response.ok ? Buffer.from(await response.arrayBuffer()) : undefined))
      .catch(() => undefined);
    if (body?.equals(bytes)) break;
    if (body) throw new Error(`${name} answered other bytes than the blob's`);
    if (attempt > 300) throw new Error(`${name} did not answer ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { name, url, child, pid: () => child.pid! };
}

const devnet = await startBenchDevnet('serve-bun', { nodes: '4', shards: '10' });
try {
  const file = join(devnet.dir, 'blob.bin');
  const bytes = Buffer.from(crypto.getRandomValues(new Uint8Array(64 * 1024)));
  writeFileSync(file, bytes);
  const stored = await promisify(execFile)(process.execPath, [CLI, 'put', file, '--devnet-dir', devnet.dir]);
  const blobId = (JSON.parse(stored.stdout) as { blobId: string }).blobId;
  const path = `/v1/blobs/${blobId}`;
  mkdirSync(join(devnet.dir, 'blobs'));
  writeFileSync(join(devnet.dir, 'blobs', blobId), bytes);

  const servers: Server[] = [];
  for (const [name, runtime, flags] of [
    // On Node with the launchers' V8 flags (src/node-flags.ts); Bun has none of them.
    ['walrus-edge on Node', process.execPath, EDGE_NODE_FLAGS],
    ['walrus-edge on Bun', BUN, []],
  ] as const) {
    const port = await freePort();
    const edge = await serve(
      name,
      runtime,
      [...flags, join(ROOT, 'src/main.ts')],
      `http://127.0.0.1:${port}${path}`,
      bytes,
      {
        DEVNET_DIR: devnet.dir,
        DATA_DIR: join(devnet.dir, `edge-${port}`),
        PORT: String(port),
        LOG_LEVEL: 'warn',
        // One process per runtime, as the floor servers: per core. (On a devnet of its own the edge
        // would otherwise run a worker per core, and the primary, idle, was all that was measured.)
        HTTP_WORKERS: '1',
      },
    );
    const hit = await fetch(edge.url);
    if (hit.headers.get('x-cache') !== 'HIT-MEMORY') throw new Error(`${name}: not a memory hit`);
    servers.push(edge);
  }
  for (const [name, runtime] of [
    ['node:http floor on Node', process.execPath],
    ['node:http floor on Bun', BUN],
  ] as const) {
    const port = await freePort();
    const floor = [join(ROOT, 'bench/node-floor-server.ts'), String(port), join(devnet.dir, 'blobs', blobId)];
    servers.push(await serve(name, runtime, floor, `http://127.0.0.1:${port}${path}`, bytes));
  }
  const nginxPort = await freePort();
  const nginxDir = join(devnet.dir, 'nginx');
  mkdirSync(nginxDir);
  const nginxArgs = nginxConf(
    nginxDir,
    nginxPort,
    `      alias ${join(devnet.dir, 'blobs')}/;
      default_type application/octet-stream;`,
  );
  const nginx = await serve(
    'nginx (1 worker, static file)',
    NGINX,
    nginxArgs,
    `http://127.0.0.1:${nginxPort}${path}`,
    bytes,
  );
  // The master only forks; its one worker answers.
  const worker = () =>
    Number(readFileSync(`/proc/${nginx.child.pid}/task/${nginx.child.pid}/children`, 'utf8').trim());
  servers.push({ ...nginx, pid: worker });

  const options = {
    threads: 1,
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    cpu: values.pin ? TWO_CORES.loadCpu : undefined,
  };
  const measured = new Set(children.flatMap((child) => processTree(child.pid!)));
  const results = new Map<string, (WrkResult & { cpuUs: number })[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const server of servers) {
      // A short untimed run first: JIT and connection set-up are not what is compared.
      await wrkRun(server.url, { ...options, name: server.name, seconds: 1 });
      const timed = async () => {
        const cpuBefore = processTreeCpuSeconds(server.pid());
        const result = await wrkRun(server.url, { ...options, name: server.name });
        return { result, cpu: processTreeCpuSeconds(server.pid()) - cpuBefore };
      };
      const { result, cpu } = values.pin ? await othersOn(TWO_CORES.loadCpu, measured, timed) : await timed();
      const cpuUs = (cpu * 1e6) / result.requests;
      results.set(server.name, [...(results.get(server.name) ?? []), { ...result, cpuUs }]);
    }
  }

  const header = ['server', 'req/s', 'p50', 'p99', 'CPU/answer', 'vs nginx'];
  const nginxRps = Math.max(...results.get(nginx.name)!.map((r) => r.rps));
  const rows = [...results].map(([name, runs]) => [
    name,
    runs.map((r) => r.rps.toFixed(0)).join(' / '),
    runs.map((r) => `${r.p50.toFixed(2)} ms`).join(' / '),
    runs.map((r) => `${r.p99.toFixed(2)} ms`).join(' / '),
    runs.map((r) => `${r.cpuUs.toFixed(0)} µs`).join(' / '),
    (Math.max(...runs.map((r) => r.rps)) / nginxRps).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  console.log(
    `\n64 KiB memory hits: wrk -t1 -c${options.connections} -d${options.seconds}s, ${values.rounds} rounds (one column each; "vs nginx" compares best rounds)${values.pin ? ', --pin' : ''}\n`,
  );
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
} finally {
  for (const child of children) child.kill('SIGTERM');
  devnet.stop();
}
