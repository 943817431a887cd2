// The type of a blob must not depend on how it is asked for: GET, HEAD and every range agree (Safari
// opens a <video> with `bytes=0-1`; caches keyed on the URL must not store two types for one blob).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEdge } from '../../src/main.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';
import { storeOnDevnet } from '../support/devnet.ts';

let edge: RunningEdge;
let testEdge: TestEdge;

beforeAll(async () => {
  testEdge = await startTestEdge();
  edge = testEdge.edge;
});
afterAll(async () => {
  await testEdge?.stop();
});

describe('content type across request shapes', () => {
  const mp4Head = [0, 0, 0, 0x20, ...Array.from('ftypisom', (c) => c.charCodeAt(0)), 0, 0, 2, 0];
  const html = new TextEncoder().encode('<!DOCTYPE html><html><body>' + 'x'.repeat(5000) + '</body></html>');
  const mp4 = new Uint8Array(20_000).map((_, i) => (i * 31) & 0xff);
  mp4.set(mp4Head, 0);

  for (const [name, bytes, type] of [
    ['an MP4', mp4, 'video/mp4'],
    ['an HTML page', html, 'text/html; charset=utf-8'],
  ] as const) {
    it(`answers ${name} with one type for GET, HEAD and any range`, async () => {
      const { blobId } = await storeOnDevnet(edge.devnet!, bytes);
      const url = `${edge.url}/v1/blobs/${blobId}`;
      const shapes: [string, RequestInit][] = [
        ['GET', {}],
        ['HEAD', { method: 'HEAD' }],
        ['bytes=0-1', { headers: { range: 'bytes=0-1' } }],
        ['bytes=0-', { headers: { range: 'bytes=0-' } }],
        ['bytes=1000-1999', { headers: { range: 'bytes=1000-1999' } }],
        ['bytes=-10', { headers: { range: 'bytes=-10' } }],
      ];
      for (const [label, init] of shapes) {
        const response = await fetch(url, init);
        await response.arrayBuffer();
        expect([label, response.headers.get('content-type')]).toEqual([label, type]);
        if (type.startsWith('text/html'))
          expect(response.headers.get('content-security-policy')).toContain('sandbox');
      }
    });
  }
});
