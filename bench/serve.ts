// npm run bench:serve — cache hits under load: walrus-edge serving 64 KiB and 1 MiB blobs from its
// memory cache, against the same bytes through nginx proxy_cache in front of it (the setup the
// Walrus docs suggest for aggregators), measured in the same run from a separate process: wrk (Debian's
// wrk) where installed, else autocannon (slower as a client, so the servers look alike). A third row,
// the node:http floor (bench/node-floor-server.ts), is the most one Node process can do here.
// Needs Debian's nginx (apt-get install nginx wrk).
// Usage: node bench/serve.ts [--connections 64] [--seconds 10]
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { autocannonRun } from './autocannon-run.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { connections: { type: 'string', default: '64' }, seconds: { type: 'string', default: '10' } },
});
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
if (!NGINX) throw new Error('nginx is not installed: apt-get install nginx');
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'walrus-edge-bench-serve-'));
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('exit', cleanup);

async function waitFor(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

try {
  // The edge on an embedded devnet (100 shards keeps start-up and uploads quick; hits never touch it).
  const edgePort = await freePort();
  const edge = spawn(process.execPath, [join(root, 'src/main.ts')], {
    env: {
      ...process.env,
      PORT: String(edgePort),
      DATA_DIR: join(dir, 'edge'),
      DEVNET_SHARDS: '100',
      DEVNET_NODES: '11',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(edge);
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  await waitFor(`${edgeUrl}/status`);

  const blobs: { label: string; id: string; file: string }[] = [];
  for (const [label, size] of [
    ['64 KiB', 64 * 1024],
    ['1 MiB', 1024 * 1024],
  ] as const) {
    const file = join(dir, `${size}.bin`);
    writeFileSync(file, randomFile(size));
    const { stdout } = await run(process.execPath, [
      join(root, 'src/cli.ts'),
      'put',
      file,
      '--devnet-dir',
      join(dir, 'edge', 'devnet'),
    ]);
    const id = (JSON.parse(stdout) as { blobId: string }).blobId;
    blobs.push({ label, id, file: join(dir, id) });
    writeFileSync(join(dir, id), readFileSync(file));
  }

  // The floor: one Node process answering the same bytes with nothing else to do.
  const floorPort = await freePort();
  const floor = spawn(
    process.execPath,
    [join(root, 'bench/node-floor-server.ts'), String(floorPort), ...blobs.map((b) => b.file)],
    { stdio: 'inherit' },
  );
  children.push(floor);
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  await waitFor(`${floorUrl}/v1/blobs/${blobs[0]!.id}`);

  // nginx proxy_cache in front of the edge, as operators put it in front of the official aggregator.
  const nginxPort = await freePort();
  mkdirSync(join(dir, 'nginx', 'cache'), { recursive: true });
  writeFileSync(
    join(dir, 'nginx', 'nginx.conf'),
    `${process.getuid?.() === 0 ? 'user root;  # workers must reach the private temp directory' : ''}
worker_processes auto;
pid ${join(dir, 'nginx', 'nginx.pid')};
error_log ${join(dir, 'nginx', 'error.log')} warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  proxy_cache_path ${join(dir, 'nginx', 'cache')} levels=1:2 keys_zone=walrus:50m max_size=2g inactive=1d use_temp_path=off;
  client_body_temp_path ${join(dir, 'nginx', 'body')};
  proxy_temp_path ${join(dir, 'nginx', 'proxy')};
  fastcgi_temp_path ${join(dir, 'nginx', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'nginx', 'uwsgi')};
  scgi_temp_path ${join(dir, 'nginx', 'scgi')};
  upstream edge { server 127.0.0.1:${edgePort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    location /v1/blobs/ {
      proxy_pass http://edge;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache walrus;
      proxy_cache_valid 200 1d;
      proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status;
    }
  }
}
`,
  );
  const nginx = spawn(NGINX, ['-c', join(dir, 'nginx', 'nginx.conf'), '-p', join(dir, 'nginx')], {
    stdio: 'inherit',
  });
  children.push(nginx);
  const nginxUrl = `http://127.0.0.1:${nginxPort}`;

  // Warm both: the edge's memory tier and nginx's cache.
  for (const { id } of blobs) {
    for (let i = 0; i < 3; i++) {
      await (await fetch(`${edgeUrl}/v1/blobs/${id}`)).arrayBuffer();
      await waitFor(`${nginxUrl}/v1/blobs/${id}`);
    }
    const check = await fetch(`${nginxUrl}/v1/blobs/${id}`);
    if (check.headers.get('x-cache-status') !== 'HIT') throw new Error('nginx did not cache the blob');
    const hit = await fetch(`${edgeUrl}/v1/blobs/${id}`);
    if (hit.headers.get('x-cache') !== 'HIT-MEMORY') throw new Error('the edge did not cache the blob');
  }

  const rows: string[][] = [];
  for (const { label, id } of blobs) {
    const results: Record<string, { rps: number; p50: number; p99: number; mbps: number }> = {};
    for (const [name, base] of [
      ['walrus-edge', edgeUrl],
      ['nginx proxy_cache', nginxUrl],
      ['node:http floor', floorUrl],
    ] as const) {
      // A short untimed run first: JIT and connection set-up are not what is compared.
      await load(`${base}/v1/blobs/${id}`, name, 1);
      results[name] = await load(`${base}/v1/blobs/${id}`, name);
    }
    const ours = results['walrus-edge']!;
    const nginxResult = results['nginx proxy_cache']!;
    for (const [name, r] of Object.entries(results)) {
      rows.push([label, name, r.rps.toFixed(0), `${r.p50} ms`, `${r.p99} ms`, `${r.mbps.toFixed(0)} MB/s`]);
    }
    const ratio = (name: string, a: typeof ours, b: typeof ours) => [
      '',
      name,
      (a.rps / b.rps).toFixed(2),
      (a.p50 / Math.max(1, b.p50)).toFixed(2),
      (a.p99 / Math.max(1, b.p99)).toFixed(2),
      '',
    ];
    const floorResult = results['node:http floor']!;
    rows.push(ratio('ratio edge/nginx', ours, nginxResult));
    // How close the edge is to the most one Node process can do, and how far that is from nginx.
    rows.push(ratio('ratio edge/floor', ours, floorResult));
    rows.push(ratio('ratio floor/nginx', floorResult, nginxResult));
  }

  const header = ['blob', 'server', 'req/s', 'p50', 'p99', 'throughput'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(
    `\ncache hits, ${values.connections} connections, ${values.seconds} s each (${WRK ? 'wrk' : 'autocannon'} in its own process)\n`,
  );
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
} finally {
  cleanup();
  rmSync(dir, { recursive: true, force: true });
}

/** Requests/s, latency percentiles (ms) and throughput (MB/s) of one load run. */
async function load(
  url: string,
  name: string,
  seconds = Number(values.seconds),
): Promise<{ rps: number; p50: number; p99: number; mbps: number }> {
  if (WRK) {
    const { stdout } = await run(
      WRK,
      ['-t2', `-c${values.connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', url],
      {
        maxBuffer: 1 << 20,
      },
    );
    const ms = (text: string) => {
      const m = /([\d.]+)(us|ms|s)/.exec(text);
      if (!m) throw new Error(`${name}: cannot read wrk output:\n${stdout}`);
      return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'];
    };
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout) ?? /Socket errors: .*/.exec(stdout);
    if (errors && !/Socket errors: connect 0, read 0, write 0, timeout 0/.test(errors[0])) {
      throw new Error(`${name}: ${errors[0]}`);
    }
    const bytes = /Transfer\/sec:\s+([\d.]+)(KB|MB|GB)/.exec(stdout)!;
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]),
      // Anchored: a thread-stats column such as "82.50%" must not pass for the 50% percentile.
      p50: ms(/^\s+50%\s+(\S+)/m.exec(stdout)![1]!),
      p99: ms(/^\s+99%\s+(\S+)/m.exec(stdout)![1]!),
      mbps: Number(bytes[1]) * { KB: 1 / 1024, MB: 1, GB: 1024 }[bytes[2] as 'KB' | 'MB' | 'GB'],
    };
  }
  return autocannonRun(url, { name, connections: values.connections, seconds });
}

function randomFile(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
  return data;
}
