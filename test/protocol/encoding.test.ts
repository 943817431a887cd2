import { describe, expect, it } from 'vitest';
import {
  encodedLength,
  encodingParams,
  maxBlobSize,
  sliverLengths,
  storageCost,
  storageUnits,
  symbolSizeFor,
} from '../../src/protocol/encoding.ts';
import { SliverData } from '../../src/protocol/bcs.ts';
import { pairForShard, shardForPair, sliverIndex } from '../../src/protocol/sliver-layout.ts';
import { oracleEncode, randomBytes } from './oracle.ts';

describe('encoding parameters', () => {
  it.each([
    [1000, 333, 334, 667],
    [100, 33, 34, 67],
    [10, 3, 4, 7],
    [7, 2, 3, 5],
  ])('n=%i → f=%i, P=%i, S=%i', (n, f, p, s) => {
    expect(encodingParams(n)).toEqual({ n, f, primarySymbols: p, secondarySymbols: s });
  });

  it('computes the official encoded length of the 17-byte vector at n=1000', () => {
    expect(encodedLength(17, 1000)).toBe(66_034_000);
    expect(storageUnits(66_034_000)).toBe(63);
  });

  it('rounds the symbol size up to an even number and caps the blob size', () => {
    expect(symbolSizeFor(0, 1000)).toBe(2);
    expect(symbolSizeFor(334 * 667 * 2 + 1, 1000)).toBe(4);
    expect(maxBlobSize(10)).toBe(4 * 7 * 65534);
    expect(symbolSizeFor(maxBlobSize(10), 10)).toBe(65534);
    expect(symbolSizeFor(maxBlobSize(10) + 1, 10)).toBeUndefined();
    expect(() => encodedLength(maxBlobSize(10) + 1, 10)).toThrow(RangeError);
  });

  it('prices storage per unit and epoch plus a one-time write price', () => {
    const cost = storageCost(17, 1000, 5, { storagePricePerUnit: 100n, writePricePerUnit: 20n });
    expect(cost).toEqual({ units: 63, storage: 63n * 100n * 5n, write: 63n * 20n, total: 63n * 520n });
  });
});

describe('slivers against walrus-wasm', () => {
  for (const n of [7, 10, 100, 1000]) {
    it(`sliver BCS round-trips, lengths and indices agree at n=${n}`, () => {
      const data = randomBytes(n === 1000 ? 300_000 : 20_000, n);
      const encoded = oracleEncode(data, n);
      const { primary, secondary, symbolSize } = sliverLengths(data.length, n);
      const { primarySymbols, secondarySymbols } = encodingParams(n);
      for (const pair of [0, 1, Math.floor(n / 2), n - 1]) {
        const p = SliverData.parse(encoded.primary[pair]!);
        const s = SliverData.parse(encoded.secondary[pair]!);
        expect(p.index).toBe(sliverIndex(pair, 'primary', n));
        expect(s.index).toBe(sliverIndex(pair, 'secondary', n));
        expect(p.symbols.symbol_size).toBe(symbolSize);
        expect(p.symbols.data.length).toBe(primary);
        expect(s.symbols.data.length).toBe(secondary);
        expect(SliverData.serialize(p).toBytes()).toEqual(encoded.primary[pair]);
      }
      // Primary slivers 0..P-1 are the blob's bytes in order (zero-padded at the end).
      const rowBytes = secondarySymbols * symbolSize;
      const systematic = new Uint8Array(primarySymbols * rowBytes);
      for (let row = 0; row < primarySymbols; row++) {
        systematic.set(SliverData.parse(encoded.primary[row]!).symbols.data, row * rowBytes);
      }
      expect(systematic.subarray(0, data.length)).toEqual(data);
    });
  }

  it('maps sliver pairs onto shards and back', () => {
    const blobId = randomBytes(32, 99);
    const seen = new Set<number>();
    for (let pair = 0; pair < 1000; pair++) {
      const shard = shardForPair(pair, blobId, 1000);
      expect(pairForShard(shard, blobId, 1000)).toBe(pair);
      seen.add(shard);
    }
    expect(seen.size).toBe(1000);
  });
});
