// The Workers tier (src/workers/) in workerd, as `wrangler dev` runs it, in front of a real edge on
// its devnet. Two counting proxies stand for two origin edges (both reach the one edge): what they
// pass on is the witness of what reached an origin, so "served from the data centre's cache" means
// "no origin saw the request", not "the Worker says HIT". The bytes are checked against what was
// stored, and an upload through the tier against the storage nodes' own slivers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { readSystematic, storeOnDevnet } from '../support/devnet.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.ts';
import { startWorkersTier, type WorkersTier } from '../support/workers-tier.ts';

interface Stored {
  blobId: string;
  bytes: Uint8Array;
  path: string;
}

const ADMIN_TOKEN = 'workers-tier-admin-token';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let edge: TestEdge;
let origins: CountingProxy[];
let tier: WorkersTier;
const blobs: Stored[] = [];

beforeAll(async () => {
  edge = await startTestEdge({ ADMIN_TOKEN });
  origins = [await startCountingProxy(edge.url), await startCountingProxy(edge.url)];
  // 16 blobs for the spread over two origins: all on one by chance is 2 in 65 536.
  for (let i = 0; i < 21; i++) {
    const bytes = randomBytes(i === 1 || i === 20 ? 300_000 : 2_000 + 97 * i, 9_100 + i);
    const { blobId } = await storeOnDevnet(edge.devnet, bytes);
    blobs.push({ blobId, bytes, path: `/v1/blobs/${blobId}` });
  }
  tier = await startWorkersTier({
    ORIGINS: origins.map((origin) => origin.url).join(','),
    ADMIN_TOKEN,
    BLOCKLIST_REFRESH_MS: '300',
    TEE_MAX_BYTES: '100000', // blobs 1 and 20 (300 kB) are "large"
  });
}, 180_000);

afterAll(async () => {
  await tier?.stop();
  await Promise.all((origins ?? []).map((origin) => origin.close()));
  await edge?.stop();
});

/** Requests for `path` (query included) that reached any origin, by method. */
function atOrigins(path: string, method = 'GET'): number {
  return origins.reduce((sum, origin) => sum + origin.count(path, method), 0);
}

/** Waits until the tier has `path` in its cache: a HEAD it answers without an origin. */
async function storedInTier(path: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const before = atOrigins(path, 'HEAD');
    await (await fetch(tier.url + path, { method: 'HEAD' })).arrayBuffer();
    if (atOrigins(path, 'HEAD') === before) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} never landed in the Workers cache`);
}

async function body(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

describe('the Workers tier in front of the origin edges', () => {
  it('keeps a blob in the data centre’s cache: the origin is asked once, repeats cost it nothing', async () => {
    const { path, bytes } = blobs[0]!;
    const first = await fetch(tier.url + path);
    expect(first.status).toBe(200);
    expect(await body(first)).toEqual(bytes);
    expect(first.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
    expect(atOrigins(path)).toBe(1);

    await storedInTier(path);
    for (let i = 0; i < 5; i++) {
      const again = await fetch(tier.url + path);
      expect(again.status).toBe(200);
      expect(await body(again)).toEqual(bytes);
      expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(again.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect(atOrigins(path)).toBe(1);
    // One log line per answer, naming where it came from.
    const lines = tier
      .output()
      .split('\n')
      .flatMap((line) =>
        line.startsWith('{"msg":"answer"') ? [JSON.parse(line) as Record<string, unknown>] : [],
      );
    expect(lines).toContainEqual(
      expect.objectContaining({ method: 'GET', url: path, status: 200, cache: 'HIT-WORKERS' }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ url: path, requestId: first.headers.get('x-request-id'), status: 200 }),
    );
  });

  it('answers ranges, HEAD, revalidation and CORS from the stored copy', async () => {
    const { path, bytes } = blobs[0]!;
    await storedInTier(path);
    const before = { get: atOrigins(path), head: atOrigins(path, 'HEAD') };
    const etag = (await fetch(tier.url + path, { method: 'HEAD' })).headers.get('etag')!;

    const range = await fetch(tier.url + path, { headers: { range: 'bytes=100-1099' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 100-1099/${bytes.length}`);
    expect(await body(range)).toEqual(bytes.subarray(100, 1100));

    const suffix = await fetch(tier.url + path, { headers: { range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(await body(suffix)).toEqual(bytes.subarray(bytes.length - 10));

    const revalidated = await fetch(tier.url + path, { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    expect((await body(revalidated)).length).toBe(0);

    const head = await fetch(tier.url + path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect((await body(head)).length).toBe(0);

    const cors = await fetch(tier.url + path, { headers: { origin: 'https://nft.example' } });
    expect(cors.headers.get('access-control-allow-origin')).toBe('*');
    await cors.arrayBuffer();

    expect({ get: atOrigins(path), head: atOrigins(path, 'HEAD') }).toEqual(before);
  });

  it('answers a range of a blob it does not have at once, then fetches the whole blob into its cache', async () => {
    const { path, bytes } = blobs[1]!;
    const range = await fetch(tier.url + path, { headers: { range: 'bytes=1000-1999' } });
    expect(range.status).toBe(206);
    expect(await body(range)).toEqual(bytes.subarray(1000, 2000));
    const asked = () => origins.flatMap((origin) => origin.requests.filter((r) => r.url === path));
    expect(asked()[0]).toMatchObject({ method: 'GET', range: 'bytes=1000-1999' });

    // The whole blob, asked without a range, in the background.
    for (let i = 0; i < 100 && !asked().some((r) => r.method === 'GET' && !r.range); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await storedInTier(path);
    const gets = atOrigins(path);
    expect(gets, JSON.stringify(asked())).toBe(2);

    const later = await fetch(tier.url + path, { headers: { range: 'bytes=250000-250999' } });
    expect(later.status).toBe(206);
    expect(later.headers.get('content-range')).toBe(`bytes 250000-250999/${bytes.length}`);
    expect(await body(later)).toEqual(bytes.subarray(250_000, 251_000));
    const whole = await fetch(tier.url + path);
    expect(await body(whole)).toEqual(bytes);
    expect(atOrigins(path)).toBe(gets);
  });

  it('serves a large blob to the client alone and streams a copy of its own into the cache', async () => {
    const { path, bytes } = blobs[20]!;
    const first = await fetch(tier.url + path);
    expect(first.status).toBe(200);
    expect(await body(first)).toEqual(bytes);
    for (let i = 0; i < 100 && atOrigins(path) < 2; i++) await sleep(100);
    await storedInTier(path);
    // Two reads upstream (the client's, the fill's), not one split between them; then none.
    expect(atOrigins(path)).toBe(2);
    expect(await body(await fetch(tier.url + path))).toEqual(bytes);
    expect(atOrigins(path)).toBe(2);
  });

  it('fetches the whole blob into its cache after a HEAD, as a player asks one before the GET', async () => {
    const { path, bytes } = blobs[18]!;
    const head = await fetch(tier.url + path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(atOrigins(path, 'HEAD')).toBe(1);
    for (let i = 0; i < 100 && atOrigins(path) === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await storedInTier(path);
    const get = await fetch(tier.url + path);
    expect(await body(get)).toEqual(bytes);
    expect(atOrigins(path)).toBe(1); // the background fill, not this GET
  });

  it('sends every request for a blob to one origin, spreads blobs over the origins, and moves to the next when one is down', async () => {
    const spread = blobs.slice(2, 18);
    for (const { path, bytes } of spread.slice(0, 16)) {
      const answer = await fetch(`${tier.url}${path}`, { headers: { range: 'bytes=0-99' } });
      expect(await body(answer)).toEqual(bytes.subarray(0, 100));
    }
    const owners = spread.map(({ path }) => origins.filter((origin) => origin.count(path) > 0).length);
    expect(owners).toEqual(spread.map(() => 1)); // the range and its background fill: one origin
    const perOrigin = origins.map((origin) => spread.filter(({ path }) => origin.count(path) > 0).length);
    expect(perOrigin.every((n) => n > 0)).toBe(true);

    // With the first origin down, its blobs come from the second; nothing fails.
    await origins[0]!.cut();
    try {
      const fresh = blobs.slice(2, 18).map(({ path }) => `${path}?fresh=1`);
      for (const [i, url] of fresh.entries()) {
        const answer = await fetch(tier.url + url);
        expect(answer.status, url).toBe(200);
        expect(await body(answer)).toEqual(spread[i]!.bytes);
        expect(origins[1]!.count(url)).toBe(1);
      }
    } finally {
      await origins[0]!.restore();
    }
  });

  it('passes an upload through to an origin: the storage nodes hold what was sent', async () => {
    const bytes = randomBytes(5_000, 9_999);
    const put = await fetch(`${tier.url}/v1/blobs?epochs=1`, {
      method: 'PUT',
      body: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    });
    expect(put.status).toBe(200);
    const json = (await put.json()) as {
      newlyCreated?: { blobObject: { blobId: string } };
      alreadyCertified?: { blobId: string };
    };
    const blobId = json.newlyCreated?.blobObject.blobId ?? json.alreadyCertified!.blobId;
    expect(await readSystematic(edge.devnet.committee, blobId)).toEqual(bytes);
    expect(atOrigins('/v1/blobs?epochs=1', 'PUT')).toBe(1);
  });

  it('keeps the origin’s short 404, so a missing blob asked again does not reach the origin', async () => {
    const path = `/v1/blobs/${'A'.repeat(42)}E`; // a well-formed ID no one stored
    const first = await fetch(tier.url + path);
    expect(first.status).toBe(404);
    expect(
      ((await first.json()) as { error: { details: { reason: string }[] } }).error.details[0]!.reason,
    ).toBe('BLOB_NOT_FOUND');
    await storedInTier(path);
    const again = await fetch(tier.url + path);
    expect(again.status).toBe(404);
    await again.arrayBuffer();
    expect(atOrigins(path)).toBe(1);
  });

  it('follows the edge’s blocklist: a blob blocked there gets 451 from the Worker though it keeps a copy, and is served again once unblocked', async () => {
    const { blobId, path, bytes } = blobs[19]!;
    expect(await body(await fetch(tier.url + path))).toEqual(bytes);
    await storedInTier(path);
    const gets = atOrigins(path);
    const blocked = await fetch(`${edge.url}/v1/admin/blocklist/${blobId}`, {
      method: 'PUT',
      headers: admin,
    });
    expect(blocked.status).toBe(200);
    try {
      let status = 0;
      for (let i = 0; i < 50 && status !== 451; i++) {
        const answer = await fetch(tier.url + path);
        status = answer.status;
        if (status === 451) {
          const error = ((await answer.json()) as { error: { details: { reason: string }[] } }).error;
          expect(error.details[0]!.reason).toBe('FORBIDDEN_BLOB');
        } else {
          await answer.arrayBuffer();
          await sleep(100);
        }
      }
      expect(status).toBe(451);
      for (const url of [path, `${path}/byte-range?start=0&length=10`, `${path}?fresh=3`]) {
        const answer = await fetch(tier.url + url, { headers: { range: 'bytes=0-9' } });
        expect(answer.status, url).toBe(451);
        await answer.arrayBuffer();
      }
    } finally {
      await fetch(`${edge.url}/v1/admin/blocklist/${blobId}`, { method: 'DELETE', headers: admin });
    }
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      const answer = await fetch(tier.url + path);
      again = answer.status;
      if (again === 200) expect(await body(answer)).toEqual(bytes);
      else {
        await answer.arrayBuffer();
        await sleep(100);
      }
    }
    expect(again).toBe(200);
    // The 451s and the copy served again came from the Worker: the origins saw none of those requests.
    expect(atOrigins(path)).toBe(gets);
  });

  it('serves what it has while every origin is down, and answers the rest 502 in AIP-193', async () => {
    const { path, bytes } = blobs[0]!;
    await Promise.all(origins.map((origin) => origin.cut()));
    try {
      const kept = await fetch(tier.url + path);
      expect(kept.status).toBe(200);
      expect(await body(kept)).toEqual(bytes);

      const missing = await fetch(`${tier.url}${blobs[2]!.path}?fresh=2`);
      expect(missing.status).toBe(502);
      expect(missing.headers.get('cache-control')).toBe('no-store');
      const error = ((await missing.json()) as { error: { code: number; details: { reason: string }[] } })
        .error;
      expect(error.code).toBe(502);
      expect(error.details[0]!.reason).toBe('ORIGIN_UNREACHABLE');
    } finally {
      await Promise.all(origins.map((origin) => origin.restore()));
    }
  });

  it('answers every request with a 500 naming the setting when a setting is invalid', async () => {
    const broken = await startWorkersTier({ ORIGINS: 'ftp://edge.example' });
    try {
      const answer = await fetch(`${broken.url}/v1/blobs/${blobs[0]!.blobId}`);
      expect(answer.status).toBe(500);
      const error = ((await answer.json()) as { error: { message: string; details: { reason: string }[] } })
        .error;
      expect(error.details[0]!.reason).toBe('INVALID_SETTING');
      expect(error.message).toMatch(/ORIGINS/);
    } finally {
      await broken.stop();
    }
  }, 90_000);
});
