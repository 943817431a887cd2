// The fast hit path (src/http/fast-hits.ts) answers memory hits before the app. It must be invisible:
// the same status, headers and bytes as the app gives (a query parameter the routes ignore sends a
// request through the app), for GET, HEAD, If-None-Match, CORS origins and active content; and it must
// step aside for blocked and purged blobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { ADMIN_TOKEN, startTestEdge, utf8, type TestEdge } from './http-helpers.ts';

let open: TestEdge;
let listed: TestEdge;

beforeAll(async () => {
  [open, listed] = await Promise.all([
    startTestEdge(),
    startTestEdge({ CORS_ORIGINS: 'https://app.example,https://other.example' }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), listed?.stop()]);
});

async function fastHits(edge: TestEdge): Promise<number> {
  const text = await (await fetch(`${edge.url}/metrics`)).text();
  return Number(/^walrus_edge_http_fast_hits_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** Stores the bytes and reads them once through the edge, so they are cached and their type known. */
async function cached(edge: TestEdge, data: Uint8Array): Promise<string> {
  const { blobId } = await storeOnDevnet(edge.devnet, data);
  const first = await fetch(`${edge.url}/v1/blobs/${blobId}`);
  expect(first.headers.get('x-cache')).toBe('MISS');
  await first.arrayBuffer();
  return blobId;
}

/** Fetches the same request on the fast path and through the app; returns both with their bodies. */
async function bothPaths(edge: TestEdge, blobId: string, init: RequestInit = {}) {
  const get = async (url: string) => {
    const response = await fetch(url, init);
    return { response, body: new Uint8Array(await response.arrayBuffer()) };
  };
  const before = await fastHits(edge);
  const fast = await get(`${edge.url}/v1/blobs/${blobId}`);
  const afterFast = await fastHits(edge);
  const app = await get(`${edge.url}/v1/blobs/${blobId}?via=app`);
  expect(afterFast).toBe(before + 1);
  expect(await fastHits(edge)).toBe(afterFast);
  return { fast, app };
}

function headerMap(response: Response): Record<string, string> {
  const headers = Object.fromEntries(response.headers);
  delete headers.date;
  // Age counts whole seconds since the fill; a second boundary may fall between the two requests.
  expect(Math.abs(Number(headers.age) - Number(response.headers.get('age')))).toBeLessThanOrEqual(1);
  delete headers.age;
  return headers;
}

describe('the fast hit path', () => {
  it('answers GET and HEAD hits exactly as the app does', async () => {
    const data = randomBytes(70_000, 3);
    const blobId = await cached(open, data);
    for (const method of ['GET', 'HEAD']) {
      const { fast, app } = await bothPaths(open, blobId, { method });
      expect(fast.response.status).toBe(200);
      expect(fast.response.headers.get('x-cache')).toBe('HIT-MEMORY');
      expect(headerMap(fast.response)).toEqual(headerMap(app.response));
      expect(fast.body).toEqual(method === 'GET' ? data : new Uint8Array(0));
      expect(app.body).toEqual(fast.body);
    }
  });

  it('answers If-None-Match with the same 304', async () => {
    const blobId = await cached(open, randomBytes(4_000, 4));
    const { fast, app } = await bothPaths(open, blobId, { headers: { 'if-none-match': `W/"${blobId}"` } });
    expect(fast.response.status).toBe(304);
    expect(app.response.status).toBe(304);
    expect(fast.body.length).toBe(0);
    expect(headerMap(fast.response)).toEqual(headerMap(app.response));
  });

  it('sandboxes active content and sends the sniffed type', async () => {
    const blobId = await cached(open, utf8('<!doctype html><html><script>alert(1)</script></html>'));
    const { fast, app } = await bothPaths(open, blobId);
    expect(fast.response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(fast.response.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(headerMap(fast.response)).toEqual(headerMap(app.response));
  });

  it('gives configured CORS origins the same answer as the app, listed or not', async () => {
    const blobId = await cached(listed, randomBytes(2_000, 5));
    for (const origin of ['https://app.example', 'https://evil.example']) {
      const { fast, app } = await bothPaths(listed, blobId, { headers: { origin } });
      const headers = headerMap(fast.response);
      expect(headers['access-control-allow-origin']).toBe(
        origin === 'https://app.example' ? origin : undefined,
      );
      expect(headers.vary).toBe('Origin');
      expect(headers).toEqual(headerMap(app.response));
    }
  });

  it('answers single ranges (and If-Range) exactly as the app does', async () => {
    const data = randomBytes(50_000, 7);
    const blobId = await cached(open, data);
    const cases: [Record<string, string>, number, [number, number]][] = [
      [{ range: 'bytes=0-9' }, 206, [0, 10]],
      [{ range: 'bytes=49990-' }, 206, [49_990, 50_000]],
      [{ range: 'bytes=-100' }, 206, [49_900, 50_000]],
      [{ range: 'bytes=10-20000000' }, 206, [10, 50_000]],
      [{ range: 'bytes=0-1,1-5' }, 206, [0, 6]], // overlapping: one range after coalescing
      [{ range: 'bytes=9-5' }, 200, [0, 50_000]], // malformed: the whole blob
      [{ range: 'items=0-5' }, 200, [0, 50_000]],
      [{ range: 'bytes=0-9', 'if-range': `"${blobId}"` }, 206, [0, 10]],
      [{ range: 'bytes=0-9', 'if-range': '"another"' }, 200, [0, 50_000]],
    ];
    for (const [headers, status, [start, end]] of cases) {
      const { fast, app } = await bothPaths(open, blobId, { headers });
      expect(fast.response.status, JSON.stringify(headers)).toBe(status);
      expect(fast.body).toEqual(data.subarray(start, end));
      expect(headerMap(fast.response)).toEqual(headerMap(app.response));
      expect(app.body).toEqual(fast.body);
    }
  });

  it('steps aside for blocked and purged blobs, several ranges and unsatisfiable ones', async () => {
    const blobId = await cached(open, randomBytes(3_000, 6));
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const before = await fastHits(open);

    const multipart = await fetch(`${open.url}/v1/blobs/${blobId}`, {
      headers: { range: 'bytes=0-9,20-29' },
    });
    expect(multipart.status).toBe(206);
    expect(multipart.headers.get('content-type')).toMatch(/^multipart\/byteranges/);
    expect(multipart.headers.get('x-cache')).toBe('HIT-MEMORY');
    await multipart.arrayBuffer();
    const outside = await fetch(`${open.url}/v1/blobs/${blobId}`, { headers: { range: 'bytes=5000-' } });
    expect(outside.status).toBe(416);
    await outside.arrayBuffer();

    expect(
      (await fetch(`${open.url}/v1/admin/blocklist/${blobId}`, { method: 'PUT', headers: admin })).ok,
    ).toBe(true);
    const blocked = await fetch(`${open.url}/v1/blobs/${blobId}`);
    expect(blocked.status).toBe(451);
    expect(
      (await fetch(`${open.url}/v1/admin/blocklist/${blobId}`, { method: 'DELETE', headers: admin })).ok,
    ).toBe(true);

    expect(
      (await fetch(`${open.url}/v1/admin/cache/${blobId}`, { method: 'DELETE', headers: admin })).ok,
    ).toBe(true);
    const purged = await fetch(`${open.url}/v1/blobs/${blobId}`);
    expect(purged.status).toBe(200);
    expect(purged.headers.get('x-cache')).not.toBe('HIT-MEMORY');
    await purged.arrayBuffer();
    expect(await fastHits(open)).toBe(before);
  });
});
