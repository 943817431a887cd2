// docs/journeys/nft-media.md, run step by step (test/support/journeys.ts): the edge as `npm start`
// starts it, media stored through its publisher, the NFT's display URL and Blob object turned into
// the bytes, the page loaded in Chromium from another origin, nginx in front as the CDN, and the
// Workers tier (wrangler dev) in front instead.
// Witnesses: the blob IDs computed here from the files, the bytes, Chromium's decoding and playback
// (and the Range requests it sent), nginx's own cache status, and the edge's request counter for the
// answers nginx kept from it.
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { computeBlobId } from '../../src/codec/blob-id-of.ts';
import { launchChromium, servePages, type PageServer } from '../support/chromium.ts';
import { edgeBlobAnswers, Journey, requirePrograms } from '../support/journeys.ts';

let journey: Journey | undefined;
let browser: Browser | undefined;
let site: PageServer | undefined;

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await journey?.close();
});

describe('docs/journeys/nft-media.md', () => {
  it('runs as written: from the display URL and the Blob object to the bytes, <img> and <video> in Chromium, nginx as the CDN, the Workers tier', async () => {
    requirePrograms({ curl: 'curl', jq: 'jq', ffmpeg: 'ffmpeg', envsubst: 'gettext-base', nginx: 'nginx' });
    journey = await Journey.open({
      doc: 'docs/journeys/nft-media.md',
      journey: 'nft-media',
      extraPorts: [8081, 8082],
    });
    const [, launched] = await Promise.all([journey.run('edge'), launchChromium()]);
    browser = launched;
    await journey.run('ready');
    await journey.run('media');

    const stored = await journey.run('store');
    const artId = await journey.variable('ART_ID');
    const clipId = await journey.variable('CLIP_ID');
    // The IDs the publisher answered are those of the files' bytes (the devnet has 100 shards).
    const art = readFileSync(journey.path('art.png'));
    expect(artId).toBe(computeBlobId(new Uint8Array(art), 100));
    expect(clipId).toBe(computeBlobId(new Uint8Array(readFileSync(journey.path('clip.mp4'))), 100));
    expect(stored.stdout).toContain(`art: ${artId} (object 0x`);

    expect((await journey.run('display-url')).stdout).toContain(
      `${journey.edgeUrl}/v1/blobs/${artId}: the same bytes`,
    );
    const object = (await journey.run('object-id')).stdout.toLowerCase();
    expect(object).toContain('content-type: image/png');
    expect(object).toContain(`x-walrus-blob-id: ${artId.toLowerCase()}`);
    expect(object).toContain('cache-control: public, max-age=30, must-revalidate');

    await journey.run('page');
    await journey.run('site');
    site = await servePages(journey.path('site'));
    expect(new URL(site.url).origin).not.toBe(new URL(journey.edgeUrl).origin);
    const context = await browser.newContext();
    const tab = await context.newPage();
    const videoAnswers: { range: string | undefined; status: number }[] = [];
    tab.on('response', (response) => {
      if (response.url() === `${journey!.edgeUrl}/v1/blobs/${clipId}`)
        videoAnswers.push({ range: response.request().headers()['range'], status: response.status() });
    });
    await tab.goto(site.url);
    await tab.waitForFunction(
      () => {
        const images = ['art', 'from-display'].map((id) => document.getElementById(id) as HTMLImageElement);
        const video = document.getElementById('clip') as HTMLVideoElement;
        return images.every((image) => image.complete && image.naturalWidth > 0) && video.readyState >= 1;
      },
      undefined,
      { timeout: 30_000 },
    );
    const shown = await tab.evaluate(() => {
      const image = (id: string) => document.getElementById(id) as HTMLImageElement;
      const video = document.getElementById('clip') as HTMLVideoElement;
      return {
        art: [image('art').naturalWidth, image('art').naturalHeight],
        fromDisplay: [image('from-display').naturalWidth, image('from-display').currentSrc],
        video: {
          duration: video.duration,
          width: video.videoWidth,
          height: video.videoHeight,
          error: video.error,
        },
      };
    });
    await context.close();
    // Decoded at their real sizes: the bytes are the PNG and the H.264 video ffmpeg made.
    expect(shown.art).toEqual([300, 300]);
    expect(shown.fromDisplay).toEqual([300, `${journey.edgeUrl}/v1/blobs/${artId}`]);
    expect(shown.video.error).toBeNull();
    expect([shown.video.width, shown.video.height]).toEqual([320, 240]);
    expect(Math.abs(shown.video.duration - 4)).toBeLessThan(0.2);
    // Chromium asked for the video in ranges, and was answered 206.
    expect(videoAnswers.length).toBeGreaterThan(0);
    for (const answer of videoAnswers) {
      expect(answer.range).toMatch(/^bytes=\d+-\d*$/);
      expect(answer.status).toBe(206);
    }

    await journey.run('cdn-config');
    await journey.run('cdn');
    let before = await edgeBlobAnswers(journey.edgeUrl);
    const hit = (await journey.run('cdn-hit')).stdout;
    // The readiness loop's request filled nginx's cache (one answer from the edge); the next came from
    // nginx alone.
    expect(await edgeBlobAnswers(journey.edgeUrl)).toBe(before + 1);
    expect(hit).toMatch(/^x-cache-status: HIT\r?$/im);
    expect(hit).toMatch(/^cache-control: public, max-age=31536000, immutable\r?$/im);
    expect(hit).toContain(`"${artId}"`);

    before = await edgeBlobAnswers(journey.edgeUrl);
    const ranges = (await journey.run('cdn-range')).stdout;
    const size = readFileSync(journey.path('clip.mp4')).length;
    expect(ranges.match(/^HTTP\/1\.1 206 /gm)).toHaveLength(2);
    expect(ranges).toMatch(new RegExp(`^content-range: bytes 0-99/${size}\\r?$`, 'im'));
    expect(ranges).toMatch(new RegExp(`^content-range: bytes 100-199/${size}\\r?$`, 'im'));
    expect(ranges).toMatch(/^x-cache-status: HIT\r?$/im);
    expect(await edgeBlobAnswers(journey.edgeUrl)).toBe(before + 1);

    // The Workers tier: once filled, its answers cost the edge nothing.
    await journey.run('workers');
    await journey.run('workers-ready');
    before = await edgeBlobAnswers(journey.edgeUrl);
    const worker = (await journey.run('workers-hit')).stdout;
    expect(await edgeBlobAnswers(journey.edgeUrl)).toBe(before);
    expect(worker.match(/^x-cache: HIT-WORKERS\r?$/gim)).toHaveLength(2);
    expect(worker).toMatch(/^cache-control: public, max-age=31536000, immutable\r?$/im);
    expect(worker).toContain(`"${artId}"`);
    expect(worker).toMatch(/^HTTP\/1\.1 206 /m);
    expect(worker).toMatch(new RegExp(`^content-range: bytes 0-99/${art.length}\\r?$`, 'im'));

    expect(journey.remaining).toEqual([]);
  }, 120_000);
});
