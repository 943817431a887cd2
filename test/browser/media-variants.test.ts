// A real browser against the media features: Debian's Chromium (playwright-core) loads a page from
// another origin that shows `<img src="…?w=256&format=auto">`, fetches a JSON blob and instantiates a
// WebAssembly blob with WebAssembly.instantiateStreaming, all from /v1/blobs/{blobId} on an embedded
// devnet. The browser's own view is the witness: the image's decoded size, the JSON it parsed, the
// module's export it called, and the response headers its network stack saw (AVIF, brotli).
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import { startTestEdge, utf8, type TestEdge } from '../http/http-helpers.ts';
import { wasmModule } from '../support/wasm-module.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

let edge: TestEdge | undefined;
let browser: Browser | undefined;
let pages: Server | undefined;

beforeAll(async () => {
  [edge, browser] = await Promise.all([startTestEdge(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
  await edge?.stop();
});

describe('media in Chromium', () => {
  it('shows a 256-px AVIF variant, decodes a brotli JSON and streams a wasm module', async () => {
    const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#3366cc' } })
      .jpeg()
      .toBuffer();
    const metadata = utf8(
      JSON.stringify({ tokens: Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `#${i}` })) }),
    );
    const wasm = wasmModule(3000);
    const store = async (bytes: Uint8Array) => (await storeOnDevnet(edge!.devnet, bytes)).blobId;
    const imageId = await store(new Uint8Array(photo));
    const jsonId = await store(metadata);
    const wasmId = await store(wasm);
    // Read once each, so the types are known and the copies are made where the browser asks for them.
    for (const id of [jsonId, wasmId]) await (await fetch(`${edge!.url}/v1/blobs/${id}`)).arrayBuffer();

    const base = edge!.url;
    const html = `<!doctype html><html><body>
<img id="nft" src="${base}/v1/blobs/${imageId}?w=256&format=auto">
<script>
window.result = (async () => {
  const img = document.getElementById('nft');
  await img.decode();
  const json = await (await fetch('${base}/v1/blobs/${jsonId}')).json();
  const { instance } = await WebAssembly.instantiateStreaming(fetch('${base}/v1/blobs/${wasmId}'));
  return { width: img.naturalWidth, height: img.naturalHeight, shownWidth: img.getBoundingClientRect().width,
           tokens: json.tokens.length, sum: instance.exports.add(20, 22) };
})().catch((error) => ({ error: String(error) }));
</script></body></html>`;
    pages = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html);
    });
    await new Promise<void>((resolve) => pages!.listen(0, '127.0.0.1', resolve));
    const pageUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;

    const page = await browser!.newPage();
    const seen = new Map<string, Record<string, string>>();
    page.on('response', async (response) => {
      const id = [imageId, jsonId, wasmId].find((blob) => response.url().includes(blob));
      if (id) seen.set(id, await response.allHeaders());
    });
    await page.goto(pageUrl);
    const result = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
    await page.close();

    expect(result).toEqual({ width: 256, height: 192, shownWidth: 256, tokens: 2000, sum: 42 });
    expect(seen.get(imageId)?.['content-type']).toBe('image/avif');
    expect(seen.get(imageId)?.vary).toContain('Accept');
    expect(seen.get(jsonId)?.['content-encoding']).toBe('br');
    expect(seen.get(wasmId)?.['content-type']).toBe('application/wasm');
    expect(seen.get(wasmId)?.['content-encoding']).toBe('br');
  });
});
