// The fast hit path (src/http/fast-hits.ts) answers memory hits before the app. It must be invisible:
// the same status, headers and bytes as the app gives (a query parameter the routes ignore sends a
// request through the app), for GET, HEAD, If-None-Match, CORS origins and active content, Age
// included; a hit costs the storage nodes nothing on either path (their own request counters say so);
// and it must step aside for blocked and purged blobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { nodeReadsDuring } from '../support/witnesses.ts';
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

/** When each blob was filled: its entry was stored between the first request's start and its end. */
const filledBetween = new Map<string, { from: number; to: number }>();

/**
 * Stores the bytes and reads them once through the edge, so they are cached and their type known;
 * returns once the entry is at least a second old by the test's clock, so Age is not 0.
 */
async function cached(edge: TestEdge, data: Uint8Array): Promise<string> {
  const { blobId } = await storeOnDevnet(edge.devnet, data);
  const from = Date.now();
  const first = await fetch(`${edge.url}/v1/blobs/${blobId}`);
  expect(first.headers.get('x-cache')).toBe('MISS');
  await first.arrayBuffer();
  const to = Date.now();
  filledBetween.set(blobId, { from, to });
  await new Promise((r) => setTimeout(r, to + 1_000 - Date.now()));
  return blobId;
}

const age = (response: Response) => Number(response.headers.get('age'));

/**
 * Fetches the same request on the fast path, through the app, and on the fast path again; returns the
 * first two with their bodies. Age counts whole seconds since the fill, so it never decreases: when
 * both fast answers say the same Age, the app's answer, sent between them, must say it too. (A second
 * boundary between the two fast answers makes no case: the three are asked again.) None of it may
 * reach a storage node.
 */
async function bothPaths(edge: TestEdge, blobId: string, init: RequestInit = {}) {
  const get = async (url: string) => {
    const response = await fetch(url, init);
    return { response, body: new Uint8Array(await response.arrayBuffer()) };
  };
  const filled = filledBetween.get(blobId)!;
  for (let attempt = 0; ; attempt++) {
    const asked = Date.now();
    const { result, reads } = await nodeReadsDuring(edge.devnet, async () => {
      const before = await fastHits(edge);
      const fast = await get(`${edge.url}/v1/blobs/${blobId}`);
      const afterFast = await fastHits(edge);
      const app = await get(`${edge.url}/v1/blobs/${blobId}?via=app`);
      expect(afterFast).toBe(before + 1);
      expect(await fastHits(edge)).toBe(afterFast);
      const again = await get(`${edge.url}/v1/blobs/${blobId}`);
      expect(await fastHits(edge)).toBe(afterFast + 1);
      return { fast, app, again };
    });
    const answered = Date.now();
    expect(reads).toEqual({ metadata: 0, sliver: 0 });
    const { fast, app, again } = result;
    if (age(fast.response) !== age(again.response) && attempt < 5) continue;
    expect(age(again.response)).toBe(age(fast.response));
    expect(age(app.response)).toBe(age(fast.response));
    // And Age is the entry's age by the test's clock: stored within `filled`, asked within [asked, answered].
    expect(age(fast.response)).toBeGreaterThanOrEqual(Math.max(1, Math.floor((asked - filled.to) / 1000)));
    expect(age(fast.response)).toBeLessThanOrEqual(Math.floor((answered - filled.from) / 1000));
    return { fast, app };
  }
}

function headerMap(response: Response): Record<string, string> {
  const headers = Object.fromEntries(response.headers);
  delete headers.date;
  // Every answer has an ID of its own (src/http/request-log.ts, around both paths).
  expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  delete headers['x-request-id'];
  expect(Number(headers.age)).toBeGreaterThan(0); // compared with the other path's, as every header is
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

    // Several ranges and unsatisfiable ones: the app answers, still from memory (no node is asked).
    const { reads: stepAsideReads } = await nodeReadsDuring(open.devnet, async () => {
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
    });
    expect(stepAsideReads).toEqual({ metadata: 0, sliver: 0 });

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
    // Purged: the blob is read from the storage nodes again, whatever X-Cache says.
    const { reads: purgedReads } = await nodeReadsDuring(open.devnet, async () => {
      const purged = await fetch(`${open.url}/v1/blobs/${blobId}`);
      expect(purged.status).toBe(200);
      expect(purged.headers.get('x-cache')).not.toBe('HIT-MEMORY');
      await purged.arrayBuffer();
    });
    expect(purgedReads.metadata).toBeGreaterThan(0);
    expect(purgedReads.sliver).toBeGreaterThan(0);
    expect(await fastHits(open)).toBe(before);
  });
});
