// Compressed answers (src/media/): brotli or gzip as Accept-Encoding allows, for compressible types,
// each copy made once and cached, with Vary: Accept-Encoding and an ETag of its own; ranges and
// compressed-already types as stored; the fast path sends a copy kept in memory exactly as the app
// does. Read with undici's request(), which does not decode: the test decodes with node:zlib itself.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeOnDevnet } from '../support/devnet.ts';
import { nodeReadsDuring } from '../support/witnesses.ts';
import { startTestEdge, utf8, type TestEdge } from '../http/http-helpers.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { wasmModule } from '../support/wasm-module.ts';

let edge: TestEdge;
beforeAll(async () => {
  edge = await startTestEdge();
});
afterAll(async () => {
  await edge?.stop();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await request(`${edge.url}${path}`, { headers });
  const body = new Uint8Array(await response.body.arrayBuffer());
  const fields = Object.fromEntries(
    Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
  );
  return { status: response.statusCode, headers: fields, body };
}

const json = utf8(
  JSON.stringify(
    Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `token #${i}`, traits: ['a', 'b'] })),
  ),
);

async function fastHits(): Promise<number> {
  const text = await (await fetch(`${edge.url}/metrics`)).text();
  return Number(/^walrus_edge_http_fast_hits_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

describe('compression', () => {
  let id = '';
  beforeAll(async () => {
    id = (await storeOnDevnet(edge.devnet, json)).blobId;
    // The first read streams from the nodes as stored, and learns the type.
    const first = await get(`/v1/blobs/${id}`, { 'accept-encoding': 'br' });
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers.vary).toBe('Accept-Encoding');
    expect(first.body).toEqual(json);
  });

  it('sends brotli, then gzip, as Accept-Encoding allows, each with an ETag of its own', async () => {
    const br = await get(`/v1/blobs/${id}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(new Uint8Array(brotliDecompressSync(br.body))).toEqual(json);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(json.length / 5);
    const gzip = await get(`/v1/blobs/${id}`, { 'accept-encoding': 'br;q=0, gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(new Uint8Array(gunzipSync(gzip.body))).toEqual(json);
    const plain = await get(`/v1/blobs/${id}`, { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toEqual(json);
    for (const answer of [br, gzip, plain]) {
      expect(answer.headers.vary).toBe('Accept-Encoding');
      expect(answer.headers['content-type']).toBe('application/json');
    }
    expect(new Set([br.headers.etag, gzip.headers.etag, plain.headers.etag]).size).toBe(3);
    expect(plain.headers.etag).toBe(`"${id}"`);
    // Each copy validates itself only.
    expect(
      (await get(`/v1/blobs/${id}`, { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! })).status,
    ).toBe(304);
    expect(
      (await get(`/v1/blobs/${id}`, { 'accept-encoding': 'br', 'if-none-match': plain.headers.etag! }))
        .status,
    ).toBe(200);
  });

  it('sends ranges from the bytes as stored, keeping bytes=0-1 and open ranges working', async () => {
    for (const [range, start, end] of [
      ['bytes=0-1', 0, 2],
      ['bytes=100-', 100, json.length],
      ['bytes=-10', json.length - 10, json.length],
    ] as const) {
      const answer = await get(`/v1/blobs/${id}`, { 'accept-encoding': 'br', range });
      expect(answer.status).toBe(206);
      expect(answer.headers['content-encoding']).toBeUndefined();
      expect(answer.headers.vary).toBe('Accept-Encoding');
      expect(answer.body).toEqual(json.subarray(start, end));
    }
  });

  it.each(['br', 'gzip'])(
    'sends a %s copy in memory on the fast path, as the app does, without reading the nodes',
    async (encoding) => {
      await get(`/v1/blobs/${id}`, { 'accept-encoding': encoding }); // made (or already made) and kept
      const { result, reads } = await nodeReadsDuring(edge.devnet, async () => {
        const before = await fastHits();
        const fast = await get(`/v1/blobs/${id}`, { 'accept-encoding': encoding });
        const hits = await fastHits();
        const app = await get(`/v1/blobs/${id}?via=app`, { 'accept-encoding': encoding });
        const notModified = await get(`/v1/blobs/${id}`, {
          'accept-encoding': encoding,
          'if-none-match': fast.headers.etag!,
        });
        const appNotModified = await get(`/v1/blobs/${id}?via=app`, {
          'accept-encoding': encoding,
          'if-none-match': fast.headers.etag!,
        });
        return {
          fast,
          app,
          hits: hits - before,
          notModified,
          appNotModified,
          after: (await fastHits()) - hits,
        };
      });
      expect(reads).toEqual({ metadata: 0, sliver: 0 });
      expect(result.hits).toBe(1);
      expect(result.after).toBe(1); // the fast 304
      const comparable = (headers: Record<string, string>) => {
        const { date: _d, 'x-request-id': _r, age: _a, ...rest } = headers;
        return rest;
      };
      expect(result.fast.headers['content-encoding']).toBe(encoding);
      expect(comparable(result.fast.headers)).toEqual(comparable(result.app.headers));
      expect(result.fast.body).toEqual(result.app.body);
      expect(result.notModified.status).toBe(304);
      expect(result.appNotModified.status).toBe(304);
      expect(comparable(result.notModified.headers)).toEqual(comparable(result.appNotModified.headers));
    },
  );

  it('sends compressed-already types, unknown bytes and small bodies as stored', async () => {
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#123456' } })
      .png()
      .toBuffer();
    const cases = [
      { bytes: new Uint8Array(png), vary: undefined },
      { bytes: randomBytes(20_000, 4), vary: undefined },
      { bytes: utf8('{"small":true}'), vary: 'Accept-Encoding' },
    ];
    for (const { bytes, vary } of cases) {
      const blobId = (await storeOnDevnet(edge.devnet, bytes)).blobId;
      for (let i = 0; i < 2; i++) {
        const answer = await get(`/v1/blobs/${blobId}`, { 'accept-encoding': 'br, gzip' });
        expect(answer.headers['content-encoding']).toBeUndefined();
        expect(answer.headers.vary).toBe(vary);
        expect(answer.body).toEqual(bytes);
      }
    }
  });

  it('compresses WebAssembly, served as application/wasm', async () => {
    const wasm = wasmModule(4000);
    const blobId = (await storeOnDevnet(edge.devnet, wasm)).blobId;
    await get(`/v1/blobs/${blobId}`);
    const answer = await get(`/v1/blobs/${blobId}`, { 'accept-encoding': 'br' });
    expect(answer.headers['content-type']).toBe('application/wasm');
    expect(answer.headers['content-encoding']).toBe('br');
    const decoded = new Uint8Array(brotliDecompressSync(answer.body));
    expect(decoded).toEqual(wasm);
    const instance = await WebAssembly.instantiate(decoded);
    expect((instance.instance.exports.add as (a: number, b: number) => number)(2, 3)).toBe(5);
  });
});
