// deploy/load-balancer/: the nginx and HAProxy configurations of docs/scaling.md, run for real (Debian's
// nginx and haproxy) in front of three stand-in backends that answer with their own name. What is
// checked is what the configurations promise: every route naming one blob goes to one backend, many
// blobs spread over all of them, requests naming no blob spread too, and removing a backend moves
// only the blobs it had (consistent hashing). The configurations name placeholder edges and port 80;
// the tests run a copy with the stand-ins' addresses and a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.ts';

const configDir = fileURLToPath(new URL('../../deploy/load-balancer/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'walrus-edge-lb-'));

/** A stand-in edge: answers every request with its name. */
function backend(name: string): Promise<{ name: string; port: number; server: Server }> {
  const server = createServer((_, res) => res.writeHead(200, { 'x-backend': name }).end(name));
  return new Promise((ready) =>
    server.listen(0, '127.0.0.1', () =>
      ready({ name, port: (server.address() as AddressInfo).port, server }),
    ),
  );
}

/** A random 32-byte ID as the edge shows blob IDs (43 unpadded base64url characters). */
const randomId = () => randomBytes(32).toString('base64url');

async function backendOf(base: string, path: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await fetch(base + path);
      return answer.headers.get('x-backend') ?? `status ${answer.status}`;
    } catch (error) {
      if (attempt >= 50) throw error; // the proxy is still starting
      await new Promise((resume) => setTimeout(resume, 100));
    }
  }
}

/** Runs a proxy in the foreground until stop(); its output is kept for failure messages. */
function run(command: string, args: string[]): { process: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  child.on(
    'error',
    (error) => (output += `${command} could not start (apt-get install nginx haproxy): ${error}`),
  );
  return { process: child, output: () => output };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

type Proxy = (
  backends: { name: string; port: number }[],
  port: number,
) => { process: ChildProcess; output: () => string };

const proxies: Record<string, Proxy> = {
  nginx(backends, port) {
    const conf = readFileSync(join(configDir, 'nginx.conf'), 'utf8')
      .replace(/^\s*server edge-\d[^;]*;\n/gm, '')
      .replace(
        'keepalive 64;',
        `${backends.map((b) => `server 127.0.0.1:${b.port};`).join('\n')}\nkeepalive 64;`,
      )
      .replace('listen 80;', `listen 127.0.0.1:${port};`);
    const dir = mkdtempSync(join(work, 'nginx-'));
    writeFileSync(join(dir, 'walrus-edge.conf'), conf);
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off; master_process off; pid ${dir}/nginx.pid; error_log stderr warn;
       events {}
       http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; include ${dir}/walrus-edge.conf; }`,
    );
    return run('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
  },
  haproxy(backends, port) {
    const cfg = readFileSync(join(configDir, 'haproxy.cfg'), 'utf8')
      .replace(/^\s*server edge-\d.*\n/gm, '')
      .concat(backends.map((b) => `    server ${b.name} 127.0.0.1:${b.port}\n`).join(''))
      .replace('bind :80', `bind 127.0.0.1:${port}`);
    const file = join(mkdtempSync(join(work, 'haproxy-')), 'haproxy.cfg');
    writeFileSync(file, cfg);
    return run('/usr/sbin/haproxy', ['-db', '-f', file]);
  },
};

const backends: { name: string; port: number; server: Server }[] = [];
beforeAll(async () => backends.push(...(await Promise.all(['a', 'b', 'c'].map(backend)))));
afterAll(async () => {
  await Promise.all(backends.map((b) => new Promise((done) => b.server.close(done))));
  rmSync(work, { recursive: true, force: true });
});

describe.each(Object.keys(proxies))('deploy/load-balancer with %s', (name) => {
  const start = proxies[name]!;

  it('sends every route naming a blob to one edge, spreads blobs and other requests, and moves only a removed edge’s blobs', async () => {
    const ids = Array.from({ length: 40 }, randomId);
    const port = await freePort();
    const proxy = start(backends, port);
    const base = `http://127.0.0.1:${port}`;
    const placed = new Map<string, string>();
    try {
      for (const id of ids) {
        const routes = [
          `/v1/blobs/${id}`,
          `/v1/blobs/${id}/byte-range?start=0&length=10`,
          `/v1alpha/blobs/${id}/stream`,
          `/v1/blobs/by-quilt-id/${id}/photo.png`,
          `/v1/quilts/${id}/patches`,
        ];
        const seen = new Set(await Promise.all(routes.map((route) => backendOf(base, route))));
        expect([...seen], `${id} via ${name}: ${proxy.output()}`).toHaveLength(1);
        placed.set(id, [...seen][0]!);
      }
      // 40 random IDs over three edges: each edge gets some (a miss here has odds below 1e-6).
      expect(new Set(placed.values())).toEqual(new Set(['a', 'b', 'c']));
      const others = await Promise.all(Array.from({ length: 30 }, () => backendOf(base, '/status')));
      expect(new Set(others).size, 'requests naming no blob spread').toBeGreaterThan(1);
    } finally {
      await stop(proxy.process);
    }

    // Without edge c: a blob that was on a or b stays there; c's blobs go to a or b.
    const smaller = start(backends.slice(0, 2), port);
    try {
      for (const [id, before] of placed) {
        const after = await backendOf(base, `/v1/blobs/${id}`);
        if (before === 'c') expect(['a', 'b']).toContain(after);
        else expect(after, `${id} moved from ${before} (${name}): ${smaller.output()}`).toBe(before);
      }
    } finally {
      await stop(smaller.process);
    }
  });
});
