// What the Workers tier keeps (src/workers/cache-front.ts, storable): only what the origin means for
// every client of a shared cache.
import { describe, expect, it } from 'vitest';
import { storable } from '../../src/workers/cache-front.ts';

const answer = (headers: Record<string, string>) => new Response('x', { headers });

describe('storable', () => {
  it('keeps public answers with a lifetime: immutable blobs, by-object-id, 404s', () => {
    expect(storable(answer({ 'cache-control': 'public, max-age=31536000, immutable' }))).toBe(true);
    expect(storable(answer({ 'cache-control': 'public, max-age=30, must-revalidate' }))).toBe(true);
    expect(storable(answer({ 'cache-control': 'public, s-maxage=5' }))).toBe(true);
    expect(storable(answer({ 'cache-control': 'public, max-age=5', vary: 'Accept-Encoding' }))).toBe(true);
  });

  it('passes by what is private, uncacheable, without a lifetime, or different per client', () => {
    const cases: Record<string, string>[] = [
      {},
      { 'cache-control': 'no-store' },
      { 'cache-control': 'no-cache' },
      { 'cache-control': 'public, max-age=0' },
      { 'cache-control': 'private, max-age=60' },
      { 'cache-control': 'public' },
      { 'cache-control': 'public, max-age=60', 'set-cookie': 'a=1' },
      { 'cache-control': 'public, max-age=60', vary: 'Accept' },
      { 'cache-control': 'public, max-age=60', vary: 'Accept-Encoding, Origin' },
      { 'cache-control': 'public, max-age=60', vary: '*' },
    ];
    for (const headers of cases) {
      expect(storable(answer(headers)), JSON.stringify(headers)).toBe(false);
    }
  });
});
