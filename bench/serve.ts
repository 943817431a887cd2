// npm run bench:serve — small cache hits, per core (issue 13). One run measures, with one load
// generator (wrk, in its own process; -t1 -c64 -d5s by default) and the same bytes:
//   nginx serving the blob as a static file, and nginx proxy_cache in front of the edge;
//   a bare node:http server writing preloaded bytes (three headers, and the edge's own headers), and
//   both again inside an edge's process (what the process costs apart from the edge's own work per
//   request, and what the edge adds to the very same answer);
//   the edge's fast path on memory hits with its defaults (metrics, request IDs, an access-log line
//   per request, written to a file), with ACCESS_LOG=false, and with HTTP_WORKERS=2 when this build
//   has HTTP_WORKERS (src/config.ts; the per-core rows set HTTP_WORKERS=1) — started as its launchers
//   start it (src/node-flags.ts), and once more with ACCESS_LOG=false on Node's defaults (V8's memory
//   reducer on), which shows what those flags buy;
// each as requests/s and as CPU per answer: the user+system time of the server's processes (every
// thread and child, /proc/PID/stat) over the run divided by its answers, which other work on the
// machine disturbs far less than requests/s (a server waiting for a core spends no CPU meanwhile).
// Idle CPU (a server's background work, ms per second) is shown apart. Rounds alternate the servers;
// the table gives the median and the range. Each edge run must be fast-path hits only (its
// walrus_edge_http_fast_hits_total grows by at least the answers), and the logging edge must have
// written a line per answer. Then the JavaScript work of one hit, layer by layer, in-process
// (bench/fast-path-cost.ts): what metrics and the access log cost on their own.
// Needs Debian's nginx and wrk (apt-get install nginx wrk).
// --pin (bench/cpu-pinning.ts): each server on core 1, wrk on core 0, and every other process on the
// machine moved to core 0 while a run lasts — the per-core rows on a core of their own, for a machine
// whose other work comes and goes (the HTTP_WORKERS=N rows need more cores and are left out).
// Usage: node bench/serve.ts [--connections 64] [--seconds 5] [--rounds 3] [--sizes 65536,1048576]
//        [--workers 2] [--threads 1] [--edge-root DIR] [--before DIR] [--pin]
// --edge-root: the edge of another checkout; --before: also another checkout's edge (the same two
// per-core rows), to compare a change with what came before it in one run.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, cpus } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CLI, startBenchDevnet } from './bench-devnet.ts';
import { EDGE_NODE_FLAGS } from '../src/node-flags.ts';
import { ACCESS_LOG_FLUSH_MS } from '../src/http/access-log-stream.ts';
import { nginxConf } from './nginx-conf.ts';
import { onCpu, othersOn, TWO_CORES } from './cpu-pinning.ts';
import { processTree, processTreeCpuSeconds } from './process-cpu.ts';
import { WRK, wrkRun } from './wrk-run.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '65536,1048576' },
    workers: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    'edge-root': { type: 'string', default: ROOT },
    before: { type: 'string' },
    pin: { type: 'boolean', default: false },
  },
});
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
if (!NGINX || !WRK) throw new Error('bench:serve needs nginx and wrk: apt-get install nginx wrk');
const sizes = values.sizes.split(',').map(Number);
const rounds = Number(values.rounds);
// HTTP_WORKERS arrives with the cluster (src/cluster/); an edge without it would ignore the setting.
const { loadConfig } = (await import(pathToFileURL(join(values['edge-root'], 'src/config.ts')).href)) as {
  loadConfig(env: Record<string, string>): Record<string, unknown>;
};
const hasWorkers = loadConfig({ HTTP_WORKERS: '2' }).HTTP_WORKERS === 2;

interface Target {
  name: string;
  pid: number;
  base: string;
  /** An edge: its /metrics, and the file its stdout (the access log) goes to. */
  edge?: { log?: string };
  child?: ChildProcess;
}

interface Run {
  rps: number;
  answers: number;
  cpuUs: number;
  p99: number;
}

/** A server's process: on the server core with --pin. */
const launch = (command: string, args: string[], options: Parameters<typeof spawn>[2]) =>
  values.pin ? spawn(...onCpu(TWO_CORES.serverCpu, command, args), options) : spawn(command, args, options);
/** The servers' processes, kept on their core while --pin moves everything else away. */
const servers: number[] = [];

const dir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'walrus-edge-bench-serve-'));
const children: ChildProcess[] = [];
let stopDevnet = () => {};
const cleanup = () => {
  for (const child of children) child.kill('SIGTERM');
  stopDevnet();
};
process.on('exit', cleanup);

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function waitFor(url: string, ok: (response: Response) => boolean = (r) => r.ok) {
  for (let i = 0; i < 600; i++) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (ok(response)) return response;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer as expected`);
}

try {
  const started = new Date();
  const devnet = await startBenchDevnet('serve', { nodes: '11', shards: '100' });
  stopDevnet = devnet.stop;
  const blobs: { size: number; id: string; file: string }[] = [];
  mkdirSync(join(dir, 'static', 'v1', 'blobs'), { recursive: true });
  for (const size of sizes) {
    const upload = join(dir, `${size}.bin`);
    writeFileSync(upload, randomBytes(size));
    const { stdout } = await run(process.execPath, [CLI, 'put', upload, '--devnet-dir', devnet.dir]);
    const id = (JSON.parse(stdout) as { blobId: string }).blobId;
    const file = join(dir, 'static', 'v1', 'blobs', id);
    writeFileSync(file, readFileSync(upload));
    blobs.push({ size, id, file });
  }

  const startEdge = async (
    name: string,
    env: Record<string, string>,
    log?: string,
    root = values['edge-root'],
    nodeArgs: string[] = [...EDGE_NODE_FLAGS],
  ): Promise<Target> => {
    const port = await freePort();
    const child = launch(process.execPath, [...nodeArgs, join(root, 'src/main.ts')], {
      env: {
        ...process.env,
        DEVNET_DIR: devnet.dir,
        DATA_DIR: mkdtempSync(join(dir, 'edge-')),
        PORT: String(port),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        HTTP_WORKERS: '1',
        ENV_PROBE_FILE: join(dir, 'env-probe.json'),
        ENV_PROBE_SIZE: String(sizes[0]),
        ...env,
      },
      stdio: ['ignore', log ? openSync(log, 'w') : 'ignore', 'inherit'],
    });
    children.push(child);
    servers.push(child.pid!);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/status`);
    // Memory hits everywhere: each worker has a memory tier of its own, and a blob larger than
    // 256 KiB enters memory on its second read.
    const workers = Number(env.HTTP_WORKERS ?? 1);
    for (const { id } of blobs) {
      for (let inARow = 0, tries = 0; inARow < 5 * workers; tries++) {
        if (tries > 200) throw new Error(`${name} does not keep ${id} in memory`);
        const hit = await fetch(`${base}/v1/blobs/${id}`);
        await hit.arrayBuffer();
        inARow = hit.headers.get('x-cache') === 'HIT-MEMORY' ? inARow + 1 : 0;
      }
    }
    return { name, pid: child.pid!, base, edge: { log }, child };
  };

  const edgeLog = join(dir, 'edge-access.log');
  const perCore = hasWorkers ? ', HTTP_WORKERS=1' : '';
  const edge = await startEdge(`edge fast path (defaults${perCore})`, {}, edgeLog);
  // The bare servers: three headers, and the very headers the edge answered each blob with.
  const edgeHeaders: Record<string, [string, string][]> = {};
  for (const { id } of blobs) {
    const hit = await fetch(`${edge.base}/v1/blobs/${id}`);
    await hit.arrayBuffer();
    edgeHeaders[id] = [...hit.headers].filter(
      ([name]) => !['date', 'connection', 'keep-alive'].includes(name),
    );
  }
  writeFileSync(join(dir, 'edge-headers.json'), JSON.stringify(edgeHeaders));
  // The quiet edge also carries bench/env-probe.ts: the bare server's answers from inside its process
  // on ports of their own (rows of their own; the edge's port sees nothing meanwhile), with three
  // headers and with the edge's, and a SIGUSR2 handler for the in-process probe at the end.
  const probePort = await freePort();
  const probeSamePort = await freePort();
  const quiet = await startEdge(
    `edge, ACCESS_LOG=false${perCore}`,
    {
      ACCESS_LOG: 'false',
      ENV_PROBE_PORT: String(probePort),
      ENV_PROBE_SAME_PORT: String(probeSamePort),
      ENV_PROBE_FILES: blobs.map((b) => b.file).join(delimiter),
      ENV_PROBE_HEADERS_FILE: join(dir, 'edge-headers.json'),
    },
    undefined,
    undefined,
    [...EDGE_NODE_FLAGS, '--import', join(ROOT, 'bench/env-probe.ts')],
  );
  // Every server idles for seconds before its first run (the idle-CPU pass below): long enough for
  // V8's memory reducer, where it is on, to have done what it does to an idle process.
  const reducerOn = await startEdge(
    `edge, ACCESS_LOG=false, Node's defaults (memory reducer on)${perCore}`,
    { ACCESS_LOG: 'false' },
    undefined,
    undefined,
    [],
  );
  const edges = [edge, quiet, reducerOn];
  if (hasWorkers && !values.pin)
    for (const workers of values.workers.split(',').filter(Boolean))
      edges.push(await startEdge(`edge, HTTP_WORKERS=${workers}`, { HTTP_WORKERS: workers }));
  if (values.before) {
    const before = values.before;
    edges.push(
      await startEdge('before: edge fast path (defaults)', {}, join(dir, 'before-access.log'), before),
    );
    edges.push(await startEdge('before: edge, ACCESS_LOG=false', { ACCESS_LOG: 'false' }, undefined, before));
  }

  const startFloor = async (name: string, env: Record<string, string>): Promise<Target> => {
    const port = await freePort();
    const child = launch(
      process.execPath,
      [join(ROOT, 'bench/node-floor-server.ts'), String(port), ...blobs.map((b) => b.file)],
      { env: { ...process.env, ...env }, stdio: 'inherit' },
    );
    children.push(child);
    servers.push(child.pid!);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/v1/blobs/${blobs[0]!.id}`);
    return { name, pid: child.pid!, base };
  };
  const floor = await startFloor('bare node:http, 3 headers', {});
  const floorSame = await startFloor("bare node:http, the edge's headers", {
    HEADERS_FILE: join(dir, 'edge-headers.json'),
  });

  // nginx with one worker (per core, as the edge's rows): the file itself, and proxy_cache in front
  // of the edge, as operators put it in front of the official aggregator.
  const startNginx = async (name: string, location: string): Promise<Target> => {
    const prefix = mkdtempSync(join(dir, 'nginx-'));
    const port = await freePort();
    const args = nginxConf(prefix, port, location, [
      `proxy_cache_path ${join(prefix, 'cache')} levels=1:2 keys_zone=walrus:50m max_size=2g inactive=1d use_temp_path=off;`,
      `upstream edge { server ${new URL(edge.base).host}; keepalive 64; }`,
    ]);
    const child = launch(NGINX, args, { stdio: 'inherit' });
    children.push(child);
    servers.push(child.pid!);
    return { name, pid: child.pid!, base: `http://127.0.0.1:${port}` };
  };
  const nginxStatic = await startNginx(
    'nginx, static file',
    `      root ${join(dir, 'static')};
      default_type application/octet-stream;
      add_header Cache-Control "public, max-age=31536000, immutable";`,
  );
  const nginxProxy = await startNginx(
    'nginx proxy_cache → edge',
    `      proxy_pass http://edge;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache walrus;
      proxy_cache_valid 200 1d;
      proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status;`,
  );
  for (const { id } of blobs) {
    await waitFor(`${nginxStatic.base}/v1/blobs/${id}`);
    await waitFor(`${nginxProxy.base}/v1/blobs/${id}`, (r) => r.headers.get('x-cache-status') === 'HIT');
  }

  // The bare server's answers inside the quiet edge's process (bench/env-probe.ts): how much of the
  // edge's cost per answer is the process it runs in, how much the edge's own work per request.
  const floorInside: Target = {
    name: 'bare node:http, 3 headers, in the edge process',
    pid: quiet.pid,
    base: `http://127.0.0.1:${probePort}`,
  };
  const floorSameInside: Target = {
    name: "bare node:http, the edge's headers, in the edge process",
    pid: quiet.pid,
    base: `http://127.0.0.1:${probeSamePort}`,
  };
  for (const { id } of blobs)
    for (const target of [floorInside, floorSameInside]) await waitFor(`${target.base}/v1/blobs/${id}`);
  const targets = [nginxStatic, nginxProxy, floor, floorSame, floorInside, floorSameInside, ...edges];
  // Background work of each server, idle, over 3 s.
  const idle = new Map<Target, number>();
  for (const target of targets) {
    const before = processTreeCpuSeconds(target.pid);
    await new Promise((r) => setTimeout(r, 3_000));
    idle.set(target, ((processTreeCpuSeconds(target.pid) - before) * 1000) / 3);
  }

  const tables: string[] = [];
  for (const { size, id } of blobs) {
    const runs = new Map<Target, Run[]>(targets.map((t) => [t, []]));
    // JIT and connection set-up are not what is compared.
    for (const target of targets) await load(target, id, 2);
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) runs.get(target)!.push(await load(target, id, Number(values.seconds)));
    }
    const rows = targets.map((target) => {
      const r = runs.get(target)!;
      return [
        target.name,
        spread(
          r.map((x) => x.rps / 1000),
          1,
          'k',
        ),
        spread(
          r.map((x) => x.cpuUs),
          0,
          '',
        ),
        spread(
          r.map((x) => x.p99),
          1,
          ' ms',
        ),
        idle.get(target)!.toFixed(0),
      ];
    });
    const median = (target: Target, key: keyof Run) => middle(runs.get(target)!.map((x) => x[key]));
    const ratios = [
      [edge, floor],
      [edge, floorSame],
      [quiet, floorSame],
      [quiet, floorSameInside],
      [reducerOn, quiet],
      [floorInside, floor],
      [floorSameInside, floorSame],
      [edge, nginxStatic],
      [floor, nginxStatic],
    ].map(
      ([a, b]) =>
        `  ${a!.name} / ${b!.name}: req/s ${(median(a!, 'rps') / median(b!, 'rps')).toFixed(2)}, CPU per answer ${(median(a!, 'cpuUs') / median(b!, 'cpuUs')).toFixed(2)}`,
    );
    tables.push(
      [
        `${size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`} memory hits — wrk -t${values.threads} -c${values.connections} -d${values.seconds}s, ${rounds} rounds: median [min–max]`,
        '',
        ...table(['server', 'req/s', 'CPU µs/answer', 'p99 latency', 'idle CPU ms/s'], rows),
        '',
        'ratios of the medians:',
        ...ratios,
      ].join('\n'),
    );
  }

  // The JavaScript work of one hit, layer by layer, with no kernel and no load generator around it;
  // and node:http's own, in a bare process and inside the edge that served the ACCESS_LOG=false rows.
  // The other servers are stopped first; the least of two alternations is kept.
  for (const child of children) if (child !== quiet.child) child.kill('SIGTERM');
  const layers = new Map<string, number>();
  const keep = (name: string, us: number) => layers.set(name, Math.min(layers.get(name) ?? Infinity, us));
  for (let i = 0; i < 2; i++) {
    const { stdout } = await run(process.execPath, [join(ROOT, 'bench/fast-path-cost.ts'), String(sizes[0])]);
    for (const { name, us } of JSON.parse(stdout) as { name: string; us: number }[]) keep(name, us);
    rmSync(join(dir, 'env-probe.json'), { force: true });
    quiet.child!.kill('SIGUSR2');
    while (!existsSync(join(dir, 'env-probe.json'))) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 100)); // written at once, but be sure it is whole
    const probe = JSON.parse(readFileSync(join(dir, 'env-probe.json'), 'utf8')) as { us: number };
    keep('node:http, 3 headers, inside the running edge', probe.us);
  }

  console.log(
    `\nbench:serve, ${started.toISOString()}, ${cpus().length} cores ${values.pin ? `(--pin: each server on core ${TWO_CORES.serverCpu}; wrk and every other process on core ${TWO_CORES.loadCpu} during a run)` : 'shared with the load generator'} (load average ${loadavg()[0]!.toFixed(1)} at the end)\n`,
  );
  console.log(tables.join('\n\n'));
  console.log(
    `\nJavaScript work per ${sizes[0]! >> 10} KiB hit, in-process (real node:http objects, a socket that discards; least of 2 × 9 rounds of 20,000, main thread)\n`,
  );
  for (const line of table(
    ['layers', 'µs/answer'],
    [...layers].map(([name, us]) => [name, us.toFixed(2)]),
  ))
    console.log(line);
} finally {
  cleanup();
  stopDevnet = () => {};
  rmSync(dir, { recursive: true, force: true });
}

/** One wrk run against a target: requests/s, CPU per answer, latency; checked as the header says. */
async function load(target: Target, id: string, seconds: number): Promise<Run> {
  const url = `${target.base}/v1/blobs/${id}`;
  const fastHitsBefore = target.edge ? await fastHits(target) : 0;
  const logBefore = target.edge?.log ? statSync(target.edge.log).size : 0;
  const measure = async () => {
    const cpuBefore = processTreeCpuSeconds(target.pid);
    const result = await wrkRun(url, {
      name: target.name,
      threads: Number(values.threads),
      connections: Number(values.connections),
      seconds,
      cpu: values.pin ? TWO_CORES.loadCpu : undefined,
    });
    return { result, cpu: processTreeCpuSeconds(target.pid) - cpuBefore };
  };
  const { result, cpu } = values.pin
    ? await othersOn(TWO_CORES.loadCpu, new Set(servers.flatMap(processTree)), measure)
    : await measure();
  const answers = result.requests;
  if (target.edge) {
    const hits = (await fastHits(target)) - fastHitsBefore;
    if (hits < answers) throw new Error(`${target.name}: ${hits} fast-path hits for ${answers} answers`);
  }
  if (target.edge?.log) {
    // Lines are buffered a moment (src/http/access-log-stream.ts); after that they are all there.
    await new Promise((r) => setTimeout(r, ACCESS_LOG_FLUSH_MS + 200));
    const lines = accessLines(target.edge.log, logBefore);
    if (lines < answers) throw new Error(`${target.name}: ${lines} access-log lines for ${answers} answers`);
  }
  return { rps: result.rps, answers, cpuUs: (cpu * 1e6) / answers, p99: result.p99 };
}

async function fastHits(target: Target): Promise<number> {
  const text = await (await fetch(`${target.base}/metrics`)).text();
  return Number(/^walrus_edge_http_fast_hits_total (\d+)/m.exec(text)![1]);
}

/** Access-log lines written to the file since `from` (a byte offset). */
function accessLines(file: string, from: number): number {
  const fd = openSync(file, 'r');
  try {
    const text = Buffer.alloc(statSync(file).size - from);
    readSync(fd, text, 0, text.length, from);
    return text
      .toString('latin1')
      .split('\n')
      .filter((line) => line.includes('"access":')).length;
  } finally {
    closeSync(fd);
  }
}

function middle(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function spread(xs: number[], digits: number, unit: string): string {
  const f = (x: number) => `${x.toFixed(digits)}${unit}`;
  return `${f(middle(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function randomBytes(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
  return data;
}
