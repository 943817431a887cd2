// docs/journeys/game-assets.md, run step by step (test/support/journeys.ts): assets stored as one
// quilt, read by identifier and by patch ID, revalidated by ETag, and loaded by the page's loader in
// Chromium from another origin. Witnesses: the quilt's patches as the edge lists them against the
// files, the bytes, the pixels Chromium drew from the decoded sprites, and the edge's request counter
// (a second visit asks it nothing: the assets are immutable in the browser's cache).
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('docs/journeys/game-assets.md', () => {
  it('runs as written: a quilt of assets, URLs by identifier and patch ID, 304 on revalidation, CORS, the loader in Chromium', async () => {
    requirePrograms({ curl: 'curl', jq: 'jq', ffmpeg: 'ffmpeg', envsubst: 'gettext-base' });
    journey = await Journey.open({ doc: 'docs/journeys/game-assets.md', journey: 'game-assets' });
    const [, launched] = await Promise.all([journey.run('edge'), launchChromium()]);
    browser = launched;
    await journey.run('ready');
    await journey.run('assets');

    const quilt = (await journey.run('quilt')).stdout;
    const quiltId = await journey.variable('QUILT_ID');
    const identifiers = ['levels/1.json', 'sprites/coin.png', 'sprites/hero.png'];
    expect(
      quilt
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/)[1])
        .sort(),
    ).toEqual(identifiers);

    // Each identifier's URL answers that file's bytes.
    for (const identifier of identifiers) {
      const response = await fetch(`${journey.edgeUrl}/v1/blobs/by-quilt-id/${quiltId}/${identifier}`);
      expect(
        Buffer.from(await response.arrayBuffer()).equals(readFileSync(journey.path(`assets/${identifier}`))),
      ).toBe(true);
    }
    const urls = (await journey.run('urls')).stdout.split('\n');
    expect(JSON.parse(urls[0]!)).toEqual({
      name: 'Meadow',
      sprites: ['sprites/hero.png', 'sprites/coin.png'],
    });
    expect(urls).toContain('by patch ID: the same bytes');
    expect(urls).toContain('{"identifier":"sprites/hero.png","tags":{"kind":"sprite"}}');

    const revalidated = (await journey.run('revalidate')).stdout;
    const heroPatch = await journey.variable('HERO_PATCH');
    expect(revalidated).toContain(`ETag: "${heroPatch}"`);
    expect(revalidated).toContain('with If-None-Match: 304');
    expect(revalidated).toMatch(/^access-control-allow-origin: \*\r?$/im);
    expect(revalidated).toMatch(/^cache-control: public, max-age=31536000, immutable\r?$/im);
    expect(revalidated).toMatch(/^content-type: image\/png\r?$/im);
    expect(revalidated).toMatch(/^x-quilt-patch-identifier: sprites%2Fhero\.png\r?$/im);

    await journey.run('page');
    await journey.run('site');
    site = await servePages(journey.path('game'));
    expect(new URL(site.url).origin).not.toBe(new URL(journey.edgeUrl).origin);
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      const visit = async () => {
        await tab.goto(site!.url);
        await tab.waitForFunction(
          () => document.getElementById('status')!.textContent !== 'loading…',
          undefined,
          {
            timeout: 30_000,
          },
        );
        return tab.evaluate(() => {
          const screen = (document.getElementById('screen') as HTMLCanvasElement).getContext('2d')!;
          const pixel = (x: number, y: number) => [...screen.getImageData(x, y, 1, 1).data];
          return {
            status: document.getElementById('status')!.textContent,
            hero: pixel(10, 10),
            coin: pixel(90, 10),
            empty: pixel(90, 50),
          };
        });
      };
      const first = await visit();
      expect(errors).toEqual([]);
      expect(first.status).toBe('Meadow: 64×64, 32×32');
      // The sprites were decoded and drawn: red where the hero is, yellow for the coin, nothing below it.
      expect(first.hero).toEqual([255, 0, 0, 255]);
      expect(first.coin).toEqual([255, 255, 0, 255]);
      expect(first.empty).toEqual([0, 0, 0, 0]);

      const before = await edgeBlobAnswers(journey.edgeUrl);
      const second = await visit();
      expect(second).toEqual(first);
      expect(await edgeBlobAnswers(journey.edgeUrl)).toBe(before);
    } finally {
      await context.close();
    }
    expect(quiltId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(journey.remaining).toEqual([]);
  }, 120_000);
});
