// Image variants (`?w=&h=&fit=&format=&q=&dpr=`, src/media/) on a real edge and devnet, with real
// images made here by sharp. The variants are judged by decoding them again with sharp (their format,
// size, metadata and pixels), the storage nodes' own request counters, and the bytes served.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { encodeQuilt } from '@mysten/walrus';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { nodeReadsDuring } from '../support/witnesses.ts';
import { call, concatBytes, expectError, startTestEdge, utf8, type TestEdge } from '../http/http-helpers.ts';
import { randomBytes } from '../protocol/oracle.ts';

let edge: TestEdge;
/** An edge with tight limits: small inputs only, animations served as stored. */
let strict: TestEdge;
/** An edge that transforms one image at a time and queues none, and gives animations their first frame. */
let narrow: TestEdge;

beforeAll(async () => {
  [edge, strict, narrow] = await Promise.all([
    startTestEdge(),
    startTestEdge({ IMAGE_MAX_INPUT_BYTES: '20000', IMAGE_ANIMATED: 'passthrough' }),
    startTestEdge({ IMAGE_CONCURRENCY: '1', IMAGE_QUEUE: '0', IMAGE_ANIMATED: 'first-frame' }),
  ]);
});
afterAll(async () => {
  await Promise.all([edge?.stop(), strict?.stop(), narrow?.stop()]);
});

const N_SHARDS = 100;
const AVIF_WEBP = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8';

async function store(on: TestEdge, bytes: Uint8Array | Buffer): Promise<string> {
  return (await storeOnDevnet(on.devnet, new Uint8Array(bytes))).blobId;
}

async function get(on: TestEdge, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${on.url}${path}`, { headers });
  return { response, body: new Uint8Array(await response.arrayBuffer()) };
}

/** A photo-like JPEG: a gradient, so encoders have something to do. */
async function photo(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = 128;
    }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

describe('image variants', () => {
  let jpegId = '';
  beforeAll(async () => {
    jpegId = await store(edge, await photo(1200, 900));
  });

  it('resizes to the next allowed width and picks AVIF, then WebP, from Accept, with Vary: Accept', async () => {
    const cases = [
      { accept: AVIF_WEBP, format: 'heif', type: 'image/avif' },
      { accept: 'image/webp,*/*', format: 'webp', type: 'image/webp' },
      { accept: 'image/*', format: 'jpeg', type: 'image/jpeg' },
    ];
    const etags = new Set<string>();
    for (const { accept, format, type } of cases) {
      const { response, body } = await get(edge, `/v1/blobs/${jpegId}?w=250&format=auto`, { accept });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('vary')).toContain('Accept');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const meta = await sharp(body).metadata();
      expect(meta.format).toBe(format);
      // 250 snaps up to 256 (IMAGE_SIZES); the aspect ratio is kept.
      expect([meta.width, meta.height]).toEqual([256, 192]);
      etags.add(response.headers.get('etag')!);
    }
    // Each format has its own strong ETag, none the blob's own.
    expect(etags.size).toBe(3);
    for (const etag of etags) expect(etag).toMatch(new RegExp(`^"${jpegId}~.+"$`));
    // Another spelling of the same variant (w=256 instead of 250) is the same variant.
    const again = await get(edge, `/v1/blobs/${jpegId}?w=256&format=auto`, { accept: AVIF_WEBP });
    expect(etags.has(again.response.headers.get('etag')!)).toBe(true);
  });

  it('fits into a box, converts to the named format, and answers 304 to its own ETag', async () => {
    const { response, body } = await get(edge, `/v1/blobs/${jpegId}?w=128&h=128&fit=cover&format=png`);
    expect(response.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 128]);
    const contain = await sharp(
      (await get(edge, `/v1/blobs/${jpegId}?w=128&h=128&fit=inside&format=png`)).body,
    ).metadata();
    expect([contain.width, contain.height]).toEqual([128, 96]);
    const etag = response.headers.get('etag')!;
    const revalidated = await get(edge, `/v1/blobs/${jpegId}?w=128&h=128&fit=cover&format=png`, {
      'if-none-match': etag,
    });
    expect(revalidated.response.status).toBe(304);
    // The blob's own ETag does not validate the variant.
    const stale = await get(edge, `/v1/blobs/${jpegId}?w=128&h=128&fit=cover&format=png`, {
      'if-none-match': `"${jpegId}"`,
    });
    expect(stale.response.status).toBe(200);
  });

  it('caps dpr, snaps q, and never enlarges', async () => {
    // 100 × dpr 10 (capped at 3) = 300 → 384.
    const capped = await sharp(
      (await get(edge, `/v1/blobs/${jpegId}?w=100&dpr=10&format=webp`)).body,
    ).metadata();
    expect(capped.width).toBe(384);
    const q = await get(edge, `/v1/blobs/${jpegId}?w=128&q=73&format=webp`);
    const snapped = await get(edge, `/v1/blobs/${jpegId}?w=128&q=75&format=webp`);
    expect(q.response.headers.get('etag')).toBe(snapped.response.headers.get('etag'));
    expect(q.body).toEqual(snapped.body);
    const big = await sharp((await get(edge, `/v1/blobs/${jpegId}?w=3840&format=webp`)).body).metadata();
    expect(big.width).toBe(1200);
  });

  it('is made once: later requests, and concurrent first ones, read nothing from the storage nodes', async () => {
    await get(edge, `/v1/blobs/${jpegId}`); // the blob itself is in memory
    const { result, reads } = await nodeReadsDuring(edge.devnet, async () => {
      const first = await Promise.all(
        Array.from({ length: 6 }, () => get(edge, `/v1/blobs/${jpegId}?w=640&format=webp&q=60`)),
      );
      const later = await get(edge, `/v1/blobs/${jpegId}?w=640&format=webp&q=60`);
      return { first, later };
    });
    expect(reads).toEqual({ metadata: 0, sliver: 0 });
    for (const { body } of result.first) expect(body).toEqual(result.later.body);
    expect(result.later.response.headers.get('x-cache')).toBe('HIT-MEMORY');
    const made = /walrus_edge_image_transforms_total\{result="made",format="webp"\} (\d+)/.exec(
      await (await fetch(`${edge.url}/metrics`)).text(),
    );
    expect(made).not.toBeNull();
  });

  it('sends a variant kept in memory on the fast path, as the app does', async () => {
    const path = `/v1/blobs/${jpegId}?w=320&format=auto`;
    await get(edge, `/v1/blobs/${jpegId}`);
    await get(edge, path, { accept: AVIF_WEBP }); // made and kept
    const fastHits = async () =>
      Number(
        /^walrus_edge_http_fast_hits_total (\d+)/m.exec(
          await (await fetch(`${edge.url}/metrics`)).text(),
        )?.[1],
      );
    const comparable = (response: Response) => {
      const { date: _d, 'x-request-id': _r, age: _a, ...rest } = Object.fromEntries(response.headers);
      return rest;
    };
    const { result, reads } = await nodeReadsDuring(edge.devnet, async () => {
      const before = await fastHits();
      const fast = await get(edge, path, { accept: AVIF_WEBP });
      const hits = (await fastHits()) - before;
      // A parameter the routes ignore sends the same request through the app.
      const app = await get(edge, `${path}&via=app`, { accept: AVIF_WEBP });
      const etag = fast.response.headers.get('etag')!;
      const notModified = await get(edge, path, { accept: AVIF_WEBP, 'if-none-match': etag });
      const appNotModified = await get(edge, `${path}&via=app`, { accept: AVIF_WEBP, 'if-none-match': etag });
      return { fast, app, hits, notModified, appNotModified };
    });
    expect(reads).toEqual({ metadata: 0, sliver: 0 });
    expect(result.hits).toBe(1);
    expect(result.fast.response.headers.get('content-type')).toBe('image/avif');
    expect(comparable(result.fast.response)).toEqual(comparable(result.app.response));
    expect(result.fast.body).toEqual(result.app.body);
    expect([result.notModified.response.status, result.appNotModified.response.status]).toEqual([304, 304]);
    expect(comparable(result.notModified.response)).toEqual(comparable(result.appNotModified.response));
  });

  it('answers format=json with the image’s facts, without transforming', async () => {
    const { response, body } = await get(edge, `/v1/blobs/${jpegId}?format=json`);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(new TextDecoder().decode(body))).toEqual({
      width: 1200,
      height: 900,
      format: 'jpeg',
      frames: 1,
      animated: false,
    });
  });

  it('applies the EXIF orientation, then drops EXIF and GPS, and converts to sRGB', async () => {
    const raw = Buffer.alloc(300 * 200 * 3, 0);
    for (let i = 0; i < raw.length; i += 3) [raw[i], raw[i + 1], raw[i + 2]] = [200, 120, 40];
    const tagged = await sharp(raw, { raw: { width: 300, height: 200, channels: 3 } })
      .withExif({ IFD0: { Copyright: 'walrus-edge test' }, IFD3: { GPSLatitudeRef: 'N' } })
      .withMetadata({ orientation: 6 })
      .withIccProfile('p3')
      .jpeg({ quality: 95 })
      .toBuffer();
    const before = await sharp(tagged).metadata();
    expect([before.orientation, before.hasProfile, before.exif !== undefined]).toEqual([6, true, true]);
    const id = await store(edge, tagged);
    const { body } = await get(edge, `/v1/blobs/${id}?w=128&format=jpeg`);
    const after = await sharp(body).metadata();
    // Orientation 6 is a quarter turn: the 300 × 200 image is shown 200 wide, 300 high.
    expect([after.width, after.height]).toEqual([128, 192]);
    expect(after.orientation).toBeUndefined();
    expect(after.exif).toBeUndefined();
    expect(after.space).toBe('srgb');
    // The P3 colour was converted, not just relabelled: the file holds other numbers for it than sRGB
    // does (read ignoring its profile), and the variant holds sRGB's.
    const pixel = async (bytes: Uint8Array | Buffer, ignoreIcc: boolean) => [
      ...(await sharp(bytes, { ignoreIcc }).raw().toBuffer()).subarray(0, 3),
    ];
    const inFile = await pixel(tagged, true);
    const served = await pixel(body, true);
    expect(Math.max(...inFile.map((v, i) => Math.abs(v - [200, 120, 40][i]!)))).toBeGreaterThan(8);
    expect(Math.max(...served.map((v, i) => Math.abs(v - [200, 120, 40][i]!)))).toBeLessThanOrEqual(6);
  });

  it('transforms an animation whole, and says how many frames it has', async () => {
    const frames = await Promise.all(
      [0, 120, 240].map((g) =>
        sharp({ create: { width: 200, height: 100, channels: 3, background: { r: 255, g, b: 0 } } })
          .png()
          .toBuffer(),
      ),
    );
    const gif = await sharp(frames, { join: { animated: true } })
      .gif({ delay: [100, 100, 100] })
      .toBuffer();
    const id = await store(edge, gif);
    const facts = JSON.parse(new TextDecoder().decode((await get(edge, `/v1/blobs/${id}?format=json`)).body));
    expect(facts).toMatchObject({ width: 200, height: 100, frames: 3, animated: true, format: 'gif' });
    const { body } = await get(edge, `/v1/blobs/${id}?w=64&format=webp`);
    const meta = await sharp(body, { animated: true }).metadata();
    expect([meta.format, meta.width, meta.pages]).toEqual(['webp', 64, 3]);
    // The passthrough edge serves the animation as stored.
    const strictId = await store(strict, gif);
    const stored = await get(strict, `/v1/blobs/${strictId}?w=64&format=webp`);
    expect(stored.response.headers.get('x-image-fallback')).toBe('animated');
    expect(stored.body).toEqual(new Uint8Array(gif));
  });

  it('gives the first frame of an animation longer than IMAGE_MAX_FRAMES, or of any with IMAGE_ANIMATED=first-frame', async () => {
    const frame = (g: number, size: number) =>
      sharp({ create: { width: size, height: size, channels: 3, background: { r: 255, g, b: 0 } } })
        .png()
        .toBuffer();
    // 257 frames: one more than the default IMAGE_MAX_FRAMES (256), each a white pixel on black in a
    // place of its own, so that the GIF encoder keeps every one.
    const dot = (i: number) => {
      const raw = Buffer.alloc(16 * 16 * 3);
      raw.fill(255, (i % 256) * 3, (i % 256) * 3 + 3);
      return sharp(raw, { raw: { width: 16, height: 16, channels: 3 } })
        .png()
        .toBuffer();
    };
    const long = await sharp(await Promise.all(Array.from({ length: 257 }, (_, i) => dot(i))), {
      join: { animated: true },
    })
      .gif()
      .toBuffer();
    expect((await sharp(long).metadata()).pages).toBe(257);
    const longId = await store(edge, long);
    const longVariant = await get(edge, `/v1/blobs/${longId}?w=16&format=webp`);
    expect(longVariant.response.status).toBe(200);
    const longMeta = await sharp(longVariant.body, { animated: true }).metadata();
    expect([longMeta.format, longMeta.pages ?? 1]).toEqual(['webp', 1]);

    const short = await sharp([await frame(0, 64), await frame(200, 64)], { join: { animated: true } })
      .gif()
      .toBuffer();
    const shortId = await store(narrow, short);
    const firstFrame = await get(narrow, `/v1/blobs/${shortId}?w=32&format=webp`);
    const meta = await sharp(firstFrame.body, { animated: true }).metadata();
    expect([meta.format, meta.width, meta.pages ?? 1]).toEqual(['webp', 32, 1]);
    // The first frame's colour (green 0), not the second's (200).
    const { data } = await sharp(firstFrame.body).raw().toBuffer({ resolveWithObject: true });
    expect(data[1]).toBeLessThan(40);
  });

  it('serves ranges of a variant from its own bytes (bytes=0-1, open ranges), under its ETag', async () => {
    const path = `/v1/blobs/${jpegId}?w=64&format=png`;
    const whole = await get(edge, path);
    const etag = whole.response.headers.get('etag')!;
    const size = whole.body.length;
    for (const [range, start, end] of [
      ['bytes=0-1', 0, 2],
      ['bytes=100-', 100, size],
      ['bytes=-50', size - 50, size],
    ] as const) {
      const part = await get(edge, path, { range });
      expect(part.response.status, range).toBe(206);
      expect(part.response.headers.get('content-range'), range).toBe(`bytes ${start}-${end - 1}/${size}`);
      expect(part.response.headers.get('etag'), range).toBe(etag);
      expect(part.body, range).toEqual(whole.body.subarray(start, end));
    }
  });

  it('serves SVG, other types and broken images as stored, with a header that says so', async () => {
    const svg = utf8(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    );
    const brokenPng = new Uint8Array([
      0x89,
      0x50,
      0x4e,
      0x47,
      0x0d,
      0x0a,
      0x1a,
      0x0a,
      ...randomBytes(3000, 9),
    ]);
    const cases = [
      { bytes: svg, fallback: 'not-a-raster-image' },
      { bytes: randomBytes(5000, 8), fallback: 'not-a-raster-image' },
      { bytes: brokenPng, fallback: 'transform-failed' },
    ];
    for (const { bytes, fallback } of cases) {
      const id = await store(edge, bytes);
      const { response, body } = await get(edge, `/v1/blobs/${id}?w=64&format=webp`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-image-fallback')).toBe(fallback);
      expect(response.headers.get('etag')).toBe(`"${id}"`);
      expect(body).toEqual(bytes);
    }
    const svgId = await store(edge, svg);
    expectError(await callJson(edge, `/v1/blobs/${svgId}?format=json`), 400, 'NOT_AN_IMAGE');
  });

  it('serves images over the input-size limit as stored', async () => {
    // Noise: JPEG cannot make it small.
    const large = await sharp(Buffer.from(randomBytes(200 * 150 * 3, 10)), {
      raw: { width: 200, height: 150, channels: 3 },
    })
      .jpeg({ quality: 95 })
      .toBuffer();
    expect(large.length).toBeGreaterThan(20_000);
    const id = await store(strict, large);
    const { response, body } = await get(strict, `/v1/blobs/${id}?w=64&format=webp`);
    expect(response.headers.get('x-image-fallback')).toBe('input-larger-than-20000-bytes');
    expect(body).toEqual(new Uint8Array(large));
  });

  it('refuses a decompression bomb from its header, before decoding it', async () => {
    const bomb = pngHeaderOnly(100_000, 100_000);
    expect(bomb.length).toBeLessThan(100);
    const id = await store(edge, bomb);
    const started = performance.now();
    const answer = await callJson(edge, `/v1/blobs/${id}?w=64&format=webp`);
    expect(performance.now() - started).toBeLessThan(2_000);
    expectError(answer, 400, 'IMAGE_TOO_LARGE');
    expect((answer.json() as { error: { message: string } }).error.message).toMatch(/100000×100000/);
  });

  it('makes variants of a quilt patch and of a blob named by its object ID, as of a blob', async () => {
    const png = await sharp(await photo(640, 480))
      .png()
      .toBuffer();
    const quilt = encodeQuilt({
      blobs: [
        { identifier: 'cover.png', contents: new Uint8Array(png) },
        { identifier: 'notes.txt', contents: new TextEncoder().encode('not an image') },
      ],
      numShards: N_SHARDS,
    });
    const { blobId: quiltId } = await storeOnDevnet(edge.devnet, quilt.quilt);
    const patch = quilt.index.patches.find((one) => one.identifier === 'cover.png')!;
    const patchId = formatQuiltPatchId({
      quiltId: parseBlobId(quiltId),
      startIndex: patch.startIndex,
      endIndex: patch.endIndex,
    });
    const { objectId } = await storeOnDevnet(edge.devnet, new Uint8Array(png));
    for (const path of [
      `/v1/blobs/by-quilt-id/${quiltId}/cover.png`,
      `/v1/blobs/by-quilt-patch-id/${patchId}`,
      `/v1/blobs/by-object-id/${objectId}`,
    ]) {
      const { response, body } = await get(edge, `${path}?w=100&format=webp`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('image/webp');
      expect(await sharp(body).metadata(), path).toMatchObject({ format: 'webp', width: 128, height: 96 });
      // Its own strong ETag, which it answers 304 to.
      const etag = response.headers.get('etag')!;
      expect(etag, path).toMatch(/^"[^"]+~w128\.h0\.inside\.q0\.webp"$/);
      const again = await get(edge, `${path}?w=100&format=webp`, { 'if-none-match': etag });
      expect(again.response.status, path).toBe(304);
    }
    // The patch next to it is text: served as stored, saying so.
    const text = await get(edge, `/v1/blobs/by-quilt-id/${quiltId}/notes.txt?w=100`);
    expect(text.response.headers.get('x-image-fallback')).toBe('not-a-raster-image');
    expect(new TextDecoder().decode(text.body)).toBe('not an image');
  });

  it('answers 429 TOO_MANY_TRANSFORMS with Retry-After when the pool and its queue are full', async () => {
    // Noise is slow to encode: the first transform still runs when the others arrive.
    const noisy = await sharp(Buffer.from(randomBytes(1600 * 1200 * 3, 61)), {
      raw: { width: 1600, height: 1200, channels: 3 },
    })
      .jpeg()
      .toBuffer();
    const id = await store(narrow, noisy);
    await get(narrow, `/v1/blobs/${id}`);
    // Distinct variants (no single-flight between them), all at once.
    const widths = [64, 128, 256, 512];
    const answers = await Promise.all(
      widths.map((w) => call(narrow.url, `/v1/blobs/${id}?w=${w}&format=avif`)),
    );
    const busy = answers.filter((answer) => answer.status === 429);
    expect(busy.length).toBeGreaterThan(0);
    for (const answer of busy) {
      expectError(answer, 429, 'TOO_MANY_TRANSFORMS');
      expect(answer.headers.get('retry-after')).toBe('1');
    }
    for (const answer of answers.filter((one) => one.status !== 429)) {
      expect(answer.status).toBe(200);
      expect((await sharp(answer.body).metadata()).compression).toBe('av1');
    }
    // Refused is not remembered: once the pool is free, the same request is made.
    const retried = await call(
      narrow.url,
      `/v1/blobs/${id}?w=${widths[answers.indexOf(busy[0]!)]}&format=avif`,
    );
    expect(retried.status).toBe(200);
    expect((await sharp(retried.body).metadata()).compression).toBe('av1');
  });

  it('answers impossible options with 400 INVALID_IMAGE_OPTIONS', async () => {
    for (const query of [
      'w=0',
      'w=-5',
      'w=abc',
      'h=1.5',
      'fit=sideways',
      'format=bmp',
      'q=0',
      'q=101',
      'dpr=0',
      'dpr=x',
    ]) {
      expectError(await callJson(edge, `/v1/blobs/${jpegId}?${query}`), 400, 'INVALID_IMAGE_OPTIONS');
    }
  });
});

const callJson = (on: TestEdge, path: string) => call(on.url, path);

/** A PNG that claims width × height in its header, with one tiny compressed row: a few dozen bytes. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(utf8(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return concatBytes(
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', new Uint8Array(0)),
  );
}
