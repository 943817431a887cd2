// A real browser against the edge: Debian's Chromium (driven by playwright-core) loads a page from another
// origin that plays an MP4 and shows a PNG, both served from /v1/blobs/{blobId} on an embedded devnet.
// The media are made at test time with ffmpeg. Checks that seeking works (Range → 206), that the sniffed
// types are right (no extension, no hint), and that the image decodes at its real size.
// Chromium and ffmpeg are prerequisites, not options: without them this test fails (CI installs them).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import { storeOnDevnet, tempDir } from '../support/devnet.ts';

const run = promisify(execFile);
const VIDEO_SECONDS = 10;
const IMAGE = { width: 123, height: 45 };
const SCREENSHOT = '/tmp/walrus-edge-media-test.png';

interface EdgeResponse {
  url: string;
  range: string | undefined;
  status: number;
  contentType: string | undefined;
  contentRange: string | undefined;
}

interface PageResult {
  canPlayMp4: string;
  duration: number;
  positionAfterSeek: number;
  readyAfterSeek: number;
  videoWidth: number;
  videoHeight: number;
  naturalWidth: number;
  naturalHeight: number;
  errors: string[];
}

const dir = tempDir('browser');
let edge: RunningEdge | undefined;
let pageServer: Server | undefined;
let browser: Browser | undefined;
let videoId = '';
let imageId = '';
let videoFile = Buffer.alloc(0);
let videoBytes = 0;

/** Throws (so every test here fails) when a prerequisite is missing: CI must install it, not skip. */
async function requireTools(): Promise<void> {
  requireChromium();
  try {
    await run('ffmpeg', ['-version']);
  } catch {
    throw new Error(
      'ffmpeg is missing: apt-get update && apt-get install -y ffmpeg (npm test installs it as root: npm run pretest)',
    );
  }
}

async function ffmpeg(...args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A page on its own origin (another port) with the video and the image pointing at the edge. */
async function startPageServer(html: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** GET /v1/blobs/{blobId} answered 206, from the edge's own Prometheus counter. */
async function partialAnswers(): Promise<number> {
  const metrics = await (await fetch(`${edge!.url}/metrics`)).text();
  const line =
    /^walrus_edge_http_requests_total\{route="\/v1\/blobs\/:blobId",method="GET",status="206"\} (\d+)$/m;
  return Number(line.exec(metrics)?.[1] ?? 0);
}

/**
 * The edge, the media and the browser. Called from the test itself, not beforeAll: vitest reports the
 * tests of a failed beforeAll as skipped, and a missing Chromium or ffmpeg must count as a failure.
 */
async function setUp(): Promise<void> {
  await requireTools();
  const [started] = await Promise.all([
    startEdge(
      loadConfig({
        PORT: '0',
        DATA_DIR: join(dir.path, 'edge'),
        DEVNET_SHARDS: '100',
        DEVNET_NODES: '11',
        LOG_LEVEL: 'silent',
      }),
    ),
    // 10 s of H.264 (a keyframe a second, moov first), with noise so it stays ~3 Mbit/s (~3.7 MB),
    // and a plain red 123×45 PNG.
    ffmpeg(
      ...['-f', 'lavfi', '-i', `testsrc=duration=${VIDEO_SECONDS}:size=320x240:rate=25`],
      ...['-vf', 'noise=alls=20:allf=t', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast'],
      ...['-b:v', '3M', '-maxrate', '3M', '-bufsize', '1M', '-g', '25'],
      ...['-movflags', '+faststart', join(dir.path, 'video.mp4')],
    ),
    ffmpeg(
      // format=rgb24 in the source's graph: lavfi's default yuv420p would round 123×45 down to 122×44.
      ...['-f', 'lavfi', '-i', `color=red:s=${IMAGE.width}x${IMAGE.height},format=rgb24`, '-frames:v', '1'],
      join(dir.path, 'image.png'),
    ),
  ]);
  edge = started;
  const video = readFileSync(join(dir.path, 'video.mp4'));
  const image = readFileSync(join(dir.path, 'image.png'));
  videoFile = video;
  videoBytes = video.length;
  // The PNG's own header (IHDR width and height) must say 123×45, or a wrong size below is ffmpeg's.
  const ihdr = new DataView(image.buffer, image.byteOffset + 16, 8);
  expect([ihdr.getUint32(0), ihdr.getUint32(4)]).toEqual([IMAGE.width, IMAGE.height]);
  // One at a time: each store funds its own account on the devnet chain.
  videoId = (await storeOnDevnet(edge.devnet!, video)).blobId;
  imageId = (await storeOnDevnet(edge.devnet!, image)).blobId;
  // launch() gives the browser a fresh temporary profile (user-data dir) and deletes it on close.
  browser = await launchChromium();
}

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve(undefined)));
  await edge?.stop();
  dir.remove();
});

describe('media from the edge in Chromium', () => {
  it('plays and seeks an MP4 through Range requests and shows a PNG at its natural size', async () => {
    await setUp();
    expect(videoBytes).toBeGreaterThan(1_000_000);
    const videoUrl = `${edge!.url}/v1/blobs/${videoId}`;
    const imageUrl = `${edge!.url}/v1/blobs/${imageId}`;
    const page = await startPageServer(
      `<!doctype html><html><head><meta charset="utf-8"><title>walrus-edge media</title></head>
<body style="margin:0;background:#fff">
<video id="v" src="${videoUrl}" muted preload="auto" width="320" height="240"></video>
<img id="i" src="${imageUrl}" alt="red">
</body></html>`,
    );
    pageServer = page.server;
    const edgeOrigin = new URL(edge!.url).origin;
    expect(new URL(page.url).origin).not.toBe(edgeOrigin);

    const context = await browser!.newContext({ viewport: { width: 480, height: 260 } });
    try {
      const tab = await context.newPage();
      // A link slower than the loopback (1 MB/s, 20 ms): the middle of the video is not there yet when
      // the page seeks, so Chromium must ask for it with a second Range request instead of its buffer.
      const cdp = await context.newCDPSession(tab);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: 1_000_000,
        uploadThroughput: 1_000_000,
      });
      const responses: Promise<EdgeResponse>[] = [];
      tab.on('response', (response) => {
        if (!response.url().startsWith(`${edgeOrigin}/v1/blobs/`)) return;
        responses.push(
          (async () => {
            const requestHeaders = await response.request().allHeaders();
            const headers = await response.allHeaders();
            return {
              url: response.url(),
              range: requestHeaders['range'],
              status: response.status(),
              contentType: headers['content-type'],
              contentRange: headers['content-range'],
            };
          })(),
        );
      });

      const partialBefore = await partialAnswers();
      await tab.goto(page.url);
      const result: PageResult = await tab.evaluate(async () => {
        const errors: string[] = [];
        const video = document.getElementById('v') as HTMLVideoElement;
        const image = document.getElementById('i') as HTMLImageElement;
        const once = (target: EventTarget, event: string, ms: number) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
            target.addEventListener(
              event,
              () => {
                clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
          });
        video.addEventListener('error', () => errors.push(`video error ${video.error?.code}`));
        const imageLoaded = image.complete ? Promise.resolve() : once(image, 'load', 20_000);
        const canPlay =
          video.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA
            ? Promise.resolve()
            : once(video, 'canplay', 20_000);
        await video.play();
        await canPlay;
        const seeked = once(video, 'seeked', 20_000);
        video.currentTime = 5;
        await seeked;
        const positionAfterSeek = video.currentTime;
        const readyAfterSeek = video.readyState;
        // Hold the frame at the seek target for the screenshot.
        video.pause();
        await imageLoaded;
        return {
          canPlayMp4: video.canPlayType('video/mp4; codecs="avc1.42E01E"'),
          duration: video.duration,
          positionAfterSeek,
          readyAfterSeek,
          videoWidth: video.videoWidth,
          videoHeight: video.videoHeight,
          naturalWidth: image.naturalWidth,
          naturalHeight: image.naturalHeight,
          errors,
        };
      });
      await tab.screenshot({ path: SCREENSHOT });
      const seen = await Promise.all(responses);
      // The edge counted the browser's 206s itself (before the checks below add their own).
      const partialAfter = await partialAnswers();

      expect(result.errors).toEqual([]);
      expect(result.canPlayMp4).not.toBe('');
      expect(Math.abs(result.duration - VIDEO_SECONDS)).toBeLessThan(0.5);
      expect(Math.abs(result.positionAfterSeek - 5)).toBeLessThan(0.5);
      expect(result.readyAfterSeek).toBeGreaterThanOrEqual(2); // HAVE_CURRENT_DATA: the frame at 5 s
      expect([result.videoWidth, result.videoHeight]).toEqual([320, 240]);
      expect([result.naturalWidth, result.naturalHeight]).toEqual([IMAGE.width, IMAGE.height]);

      // Every video request was a Range request answered 206 with the bytes asked for, typed by sniffing
      // (no extension, no hint): Chromium opens with `bytes=0-`, and the seek needed a range further in.
      const report = JSON.stringify(seen, null, 2);
      const video = seen.filter((r) => r.url === videoUrl);
      expect(video.length, report).toBeGreaterThan(0);
      const starts: number[] = [];
      for (const r of video) {
        const asked = /^bytes=(\d+)-(\d*)$/.exec(r.range ?? '');
        expect(asked, report).not.toBeNull();
        const first = Number(asked![1]);
        const last = asked![2] === '' ? videoBytes - 1 : Math.min(Number(asked![2]), videoBytes - 1);
        expect(r.status, report).toBe(206);
        expect(r.contentRange, report).toBe(`bytes ${first}-${last}/${videoBytes}`);
        expect(r.contentType, report).toBe('video/mp4');
        starts.push(first);
      }
      expect(
        video.map((r) => r.range),
        report,
      ).toContain('bytes=0-');
      expect(Math.max(...starts), report).toBeGreaterThan(0);
      // At least as many as the browser saw: Chromium's HTTP cache may send a seek's range again below the
      // page (with If-Range: "<blobId>"), which Playwright reports as one request.
      expect(partialAfter - partialBefore).toBeGreaterThanOrEqual(video.length);
      // The same ranges fetched here carry exactly the file's bytes.
      for (const r of video) {
        const response = await fetch(videoUrl, { headers: { range: r.range! } });
        const first = Number(/^bytes=(\d+)-/.exec(r.range!)![1]);
        const body = new Uint8Array(await response.arrayBuffer());
        expect(response.status).toBe(206);
        expect(Buffer.from(body).equals(videoFile.subarray(first, first + body.length))).toBe(true);
        expect(first + body.length).toBe(Number(/-(\d+)\//.exec(r.contentRange!)![1]) + 1);
      }

      const image = seen.filter((r) => r.url === imageUrl);
      expect(image.length, report).toBeGreaterThan(0);
      for (const r of image) {
        expect(r.status, report).toBe(200);
        expect(r.contentType, report).toBe('image/png');
      }
    } finally {
      await context.close();
    }
  }, 60_000);
});
