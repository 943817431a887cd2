import { describe, expect, it } from 'vitest';
import { MemoryTier } from '../../src/cache/memory-tier.ts';
import { NegativeCache } from '../../src/cache/negative-cache.ts';
import { SingleFlight } from '../../src/read/single-flight.ts';

const blob = (size: number, storedAt = 0, expiresAt?: number) => ({
  bytes: new Uint8Array(size),
  storedAt,
  expiresAt,
});

describe('MemoryTier', () => {
  it('stays within its byte budget, evicting the least recently used', () => {
    const tier = new MemoryTier({ maxBytes: 1000, maxEntryBytes: 600 });
    tier.set('a', blob(400));
    tier.set('b', blob(400));
    expect(tier.get('a')).toBeDefined(); // a is now more recent than b
    tier.set('c', blob(400));
    expect(tier.get('b')).toBeUndefined();
    expect(tier.get('a')).toBeDefined();
    expect(tier.get('c')).toBeDefined();
    expect(tier.stats().bytes).toBeLessThanOrEqual(1000);
  });

  it('refuses objects over the per-entry cap instead of flushing the hot set', () => {
    const tier = new MemoryTier({ maxBytes: 1000, maxEntryBytes: 600 });
    tier.set('hot', blob(500));
    expect(tier.set('huge', blob(700))).toBe(false);
    expect(tier.get('huge')).toBeUndefined();
    expect(tier.get('hot')).toBeDefined();
  });

  it('never serves an entry past its expiry', () => {
    const tier = new MemoryTier({ maxBytes: 1000, maxEntryBytes: 1000 });
    tier.set('x', blob(10, 0, 5_000));
    expect(tier.get('x', 4_999)).toBeDefined();
    expect(tier.get('x', 5_000)).toBeUndefined();
    expect(tier.get('x', 1)).toBeUndefined(); // gone for good, not just hidden
  });

  it('counts hits and misses', () => {
    const tier = new MemoryTier({ maxBytes: 100, maxEntryBytes: 100 });
    tier.set('a', blob(1));
    tier.get('a');
    tier.get('b');
    expect(tier.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
  });
});

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      return 42;
    };
    const results = await Promise.all(Array.from({ length: 200 }, () => flights.run('k', work)));
    expect(results.every((r) => r === 42)).toBe(true);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
    await flights.run('k', work);
    expect(runs).toBe(2); // a later miss runs again
  });

  it('lets the first caller leave without failing or cancelling the others', async () => {
    const flights = new SingleFlight<string>();
    let cancelled = false;
    const work = (signal: AbortSignal) =>
      new Promise<string>((resolve) => {
        signal.addEventListener('abort', () => (cancelled = true));
        setTimeout(() => resolve('done'), 50);
      });
    const first = new AbortController();
    const leaving = flights.run('k', work, first.signal);
    const staying = flights.run('k', work, new AbortController().signal);
    first.abort();
    await expect(leaving).rejects.toBeDefined();
    await expect(staying).resolves.toBe('done');
    expect(cancelled).toBe(false);
  });

  it('cancels the work when every caller has left', async () => {
    const flights = new SingleFlight<string>();
    let cancelled = false;
    const work = (signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        signal.addEventListener('abort', () => {
          cancelled = true;
          reject(new Error('cancelled'));
        });
        setTimeout(() => resolve('late'), 1_000);
      });
    const a = new AbortController();
    const b = new AbortController();
    const pa = flights.run('k', work, a.signal);
    const pb = flights.run('k', work, b.signal);
    a.abort();
    b.abort();
    await expect(pa).rejects.toBeDefined();
    await expect(pb).rejects.toBeDefined();
    expect(cancelled).toBe(true);
    expect(flights.size).toBe(0);
  });

  it('hands a failure to every waiter and forgets it', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new Error('boom');
    };
    await Promise.all([
      expect(flights.run('k', failing)).rejects.toThrow('boom'),
      expect(flights.run('k', failing)).rejects.toThrow('boom'),
    ]);
    expect(runs).toBe(1);
    await expect(flights.run('k', failing)).rejects.toThrow('boom');
    expect(runs).toBe(2);
  });
});

describe('NegativeCache', () => {
  it('forgets a not-found after its TTL', async () => {
    const negative = new NegativeCache(50);
    negative.add('missing');
    expect(negative.has('missing')).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect(negative.has('missing')).toBe(false);
  });
});
