// Request IDs and the access log (src/http/request-log.ts): the client's X-Request-Id is answered back
// when it is sensible, else a new UUID; one log line per request, also for a client that went away;
// and on a running edge both the fast path's memory hits and the app's answers carry the header; an
// edge process writes the lines to its stdout, buffered a moment, and all of them when it stops.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRequestLog, type AccessLogLine } from '../../src/http/request-log.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet, tempDir } from '../support/devnet.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { startEdgeProcess, type EdgeProcess } from '../support/edge-process.ts';
import { ACCESS_LOG_FLUSH_MS, bufferedAccessLog } from '../../src/http/access-log-stream.ts';

/** More than the kernel takes at once from a client that does not read. */
const LARGE = 64 << 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request IDs and access log lines', () => {
  let server: Server;
  let url: string;
  const lines: AccessLogLine[] = [];
  beforeAll(async () => {
    server = createServer(
      withRequestLog(
        (req, res) => {
          if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000);
          res.writeHead(201, ['content-type', 'text/plain', 'content-length', '5']);
          res.end('hello');
        },
        (line) => lines.push(line),
        // A first answerer as the fast path is: it answers some requests whole, before the listener.
        (req, res, requestId) => {
          if (!req.url?.startsWith('/first')) return undefined;
          const body = Buffer.alloc(req.url === '/first/large' ? LARGE : 5, 'x');
          res.writeHead(200, ['content-length', String(body.length), 'x-request-id', requestId]);
          res.end(body);
          return body.length;
        },
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers the client's ID back, replaces one that is not sensible, and logs each request once", async () => {
    const given = await fetch(`${url}/a?b=c`, { headers: { 'x-request-id': 'trace-0af7651916cd43dd' } });
    expect(given.headers.get('x-request-id')).toBe('trace-0af7651916cd43dd');
    expect(await given.text()).toBe('hello');
    const fresh = await fetch(`${url}/fresh`);
    expect(fresh.headers.get('x-request-id')).toMatch(UUID);
    await fresh.text();
    for (const bad of ['with space', 'x'.repeat(129)]) {
      const replaced = await fetch(`${url}/bad`, { headers: { 'x-request-id': bad } });
      expect(replaced.headers.get('x-request-id')).toMatch(UUID);
      await replaced.text();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.slice(0, 2)).toEqual([
      expect.objectContaining({
        requestId: 'trace-0af7651916cd43dd',
        method: 'GET',
        url: '/a?b=c',
        status: 201,
        bytes: 5,
        completed: true,
      }),
      expect.objectContaining({
        requestId: fresh.headers.get('x-request-id'),
        url: '/fresh',
        completed: true,
      }),
    ]);
    expect(lines).toHaveLength(4);
    expect(lines[0]!.ms).toBeGreaterThanOrEqual(0);
  });

  it('logs a request whose client went away before the answer, as not completed', async () => {
    const before = lines.length;
    await new Promise<void>((resolve) => {
      const req = request(`${url}/slow`);
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    for (let i = 0; i < 40 && lines.length === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(lines.slice(before)).toEqual([expect.objectContaining({ url: '/slow', completed: false })]);
  });

  it("logs a first answerer's answer once, done when the kernel took it whole, else when it ends", async () => {
    const before = lines.length;
    const small = await fetch(`${url}/first/small`, { headers: { 'x-request-id': 'first-1' } });
    expect(await small.text()).toBe('xxxxx');
    // Too large for the kernel to take at once: done when the last byte went out.
    const large = await fetch(`${url}/first/large`, { headers: { 'x-request-id': 'first-2' } });
    expect((await large.arrayBuffer()).byteLength).toBe(LARGE);
    // A client that reads a little of a large answer and goes away: not completed.
    await new Promise<void>((resolve) => {
      const req = request(`${url}/first/large`, { headers: { 'x-request-id': 'first-3' } }, (res) => {
        res.once('data', () => {
          res.pause();
          setTimeout(() => (req.destroy(), resolve()), 100);
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
    for (let i = 0; i < 40 && lines.length < before + 3; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.slice(before)).toEqual([
      expect.objectContaining({ requestId: 'first-1', status: 200, bytes: 5, completed: true }),
      expect.objectContaining({ requestId: 'first-2', status: 200, bytes: LARGE, completed: true }),
      expect.objectContaining({ requestId: 'first-3', status: 200, bytes: LARGE, completed: false }),
    ]);
  });
});

describe('request IDs on a running edge', () => {
  let t: TestEdge;
  beforeAll(async () => {
    t = await startTestEdge();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('carries X-Request-Id on app answers and on memory hits served by the fast path', async () => {
    const status = await fetch(`${t.url}/status`, { headers: { 'x-request-id': 'status-probe-1' } });
    expect(status.headers.get('x-request-id')).toBe('status-probe-1');
    const { blobId } = await storeOnDevnet(t.devnet, randomBytes(5_000, 77));
    const miss = await fetch(`${t.url}/v1/blobs/${blobId}`);
    await miss.arrayBuffer();
    expect(miss.headers.get('x-request-id')).toMatch(UUID);
    const hit = await fetch(`${t.url}/v1/blobs/${blobId}`, { headers: { 'x-request-id': 'hit-probe-2' } });
    await hit.arrayBuffer();
    expect(hit.headers.get('x-cache')).toBe('HIT-MEMORY');
    expect(hit.headers.get('x-request-id')).toBe('hit-probe-2');
    // Browsers may read it (CORS exposes it).
    expect(hit.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
  });
});

describe('access lines of an edge process (its stdout)', () => {
  const dataDir = tempDir('access-log');
  let edge: EdgeProcess;
  beforeAll(async () => {
    edge = await startEdgeProcess({ DATA_DIR: dataDir.path, DEVNET_NODES: '4', DEVNET_SHARDS: '10' });
  });
  afterAll(async () => {
    await edge?.stop();
    dataDir.remove();
  });

  const linesFor = (ids: string[]) =>
    edge.logs.filter((entry) => ids.includes((entry.access as AccessLogLine | undefined)?.requestId ?? ''));
  const ask = (ids: string[]) =>
    Promise.all(
      ids.map(async (id) => (await fetch(`${edge.url}/status`, { headers: { 'x-request-id': id } })).text()),
    );

  it('writes each line whole within about a second, though it buffers them (src/http/access-log-stream.ts)', async () => {
    const ids = ['buffered-1', 'buffered-2', 'buffered-3'];
    await ask(ids);
    const deadline = Date.now() + ACCESS_LOG_FLUSH_MS + 4_000;
    while (linesFor(ids).length < ids.length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(linesFor(ids).map((entry) => entry.access)).toEqual(
      ids.map((requestId) =>
        expect.objectContaining({ requestId, method: 'GET', url: '/status', status: 200 }),
      ),
    );
  });

  it('writes out the lines still buffered when the edge stops', async () => {
    const ids = ['at-stop-1', 'at-stop-2'];
    await ask(ids);
    await edge.stop();
    expect(linesFor(ids)).toHaveLength(ids.length);
  });
});

describe('the buffered access log itself', () => {
  it('writes every line whole and in order, a line longer than its buffer too', () => {
    const dir = tempDir('access-log-file');
    const path = join(dir.path, 'access.log');
    try {
      const stream = bufferedAccessLog('info', path);
      const urls = Array.from({ length: 200 }, (_, index) =>
        index === 120 ? `/long?${'q'.repeat(20_000)}` : `/v1/blobs/${index}?caf\u00e9="${index}"`,
      );
      for (const [index, url] of urls.entries())
        stream.line({ requestId: `id-${index}`, method: 'GET', url, status: 200, ms: 0.5, completed: true });
      stream.close();
      const written = readFileSync(path, 'utf8').trimEnd().split('\n');
      expect(written.map((text) => (JSON.parse(text) as { access: AccessLogLine }).access.url)).toEqual(urls);
    } finally {
      dir.remove();
    }
  });

  it('writes nothing when the level leaves info lines out', () => {
    const dir = tempDir('access-log-warn');
    const path = join(dir.path, 'access.log');
    try {
      const stream = bufferedAccessLog('warn', path);
      stream.line({ requestId: 'x', method: 'GET', url: '/', status: 200, ms: 1, completed: true });
      stream.close();
      expect(existsSync(path) ? readFileSync(path, 'utf8') : '').toBe('');
    } finally {
      dir.remove();
    }
  });

  it('leaves no exit hook behind once closed, however often an edge starts and stops in one process', () => {
    const before = process.listenerCount('exit');
    const streams = Array.from({ length: 3 }, () => bufferedAccessLog('info'));
    expect(process.listenerCount('exit')).toBe(before + 3);
    for (const stream of streams) stream.close();
    expect(process.listenerCount('exit')).toBe(before);
  });
});
