import { blake2b } from '@noble/hashes/blake2.js';
import { describe, expect, it } from 'vitest';
import { SliverData } from '../../src/protocol/bcs.ts';
import { blake2bMerkle } from '../../src/protocol/blake2b-merkle.ts';
import { encodingParams, sliverLengths } from '../../src/protocol/encoding.ts';
import { blake2b256 } from '../../src/protocol/hash.ts';
import { merkleRoot, merkleRootFromLeafHashes } from '../../src/protocol/merkle.ts';
import { Rs2Code, elementsToSymbol, symbolToElements, usesHighRate } from '../../src/protocol/rs2.ts';
import {
  sliverMerkleRoot,
  sliverSymbolCount,
  symbolsMerkleRoot,
  verifySliver,
} from '../../src/protocol/sliver-hash.ts';
import { oracleEncode, randomBytes, type OracleEncoding } from './oracle.ts';

interface HashPair {
  primary_hash: { Digest: number[] };
  secondary_hash: { Digest: number[] };
}

function hashes(encoding: OracleEncoding): HashPair[] {
  return encoding.metadata.V1.hashes as HashPair[];
}

function sliver(bytes: Uint8Array) {
  const parsed = SliverData.parse(bytes);
  return {
    data: new Uint8Array(parsed.symbols.data),
    symbolSize: parsed.symbols.symbol_size,
    index: parsed.index,
  };
}

/** Byte equality with a readable failure (vitest's toEqual is very slow on large typed arrays). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  const first = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(first, 'index of the first differing byte').toBe(-1);
}

/** Pair indices worth checking: the ends, both sides of the systematic boundary, and a few inside. */
function pairsToCheck(n: number): number[] {
  const { primarySymbols: P, secondarySymbols: S } = encodingParams(n);
  return [...new Set([0, 1, P - 1, P, S - 1, S, n - 2, n - 1, Math.floor(n / 2)])].filter(
    (p) => p >= 0 && p < n,
  );
}

/** Blob lengths with the given symbol size at n shards (the largest such length, minus a little). */
function lengthForSymbolSize(n: number, symbolSize: number): number {
  const { primarySymbols: P, secondarySymbols: S } = encodingParams(n);
  return P * S * symbolSize - 3;
}

describe('RS2 sliver hashes match walrus-wasm', () => {
  const cases: [n: number, symbolSize: number][] = [
    [7, 2],
    [7, 64],
    [7, 100],
    [7, 130],
    [10, 2],
    [10, 34],
    [10, 64],
    [10, 130],
    [10, 1000],
    [100, 2],
    [100, 34],
    [100, 64],
    [100, 130],
    [100, 1000],
    [1000, 2],
    [1000, 66],
  ];
  it.each(cases)('n=%i, symbol size %i', (n, symbolSize) => {
    const length = lengthForSymbolSize(n, symbolSize);
    expect(sliverLengths(length, n).symbolSize).toBe(symbolSize);
    const encoding = oracleEncode(randomBytes(length, n * 7919 + symbolSize), n);
    const expected = hashes(encoding);
    for (const p of pairsToCheck(n)) {
      const primary = sliver(encoding.primary[p]!);
      const secondary = sliver(encoding.secondary[p]!);
      expect(primary.index).toBe(p);
      expect(secondary.index).toBe(n - 1 - p);
      expect(primary.symbolSize).toBe(symbolSize);
      const primaryHash = Uint8Array.from(expected[p]!.primary_hash.Digest);
      const secondaryHash = Uint8Array.from(expected[p]!.secondary_hash.Digest);
      expect(sliverMerkleRoot(primary.data, symbolSize, 'primary', n)).toEqual(primaryHash);
      expect(sliverMerkleRoot(secondary.data, symbolSize, 'secondary', n)).toEqual(secondaryHash);
      expect(verifySliver(primary.data, symbolSize, 'primary', n, primaryHash)).toBe(true);
      expect(verifySliver(secondary.data, symbolSize, 'secondary', n, secondaryHash)).toBe(true);
    }
  });

  it('expands a column to exactly the symbols of the repair rows, with both engines', () => {
    // Secondary sliver j (column j, P symbols) expands to n symbols; symbol k ≥ P is symbol j of
    // primary sliver k. This checks the recovery bytes themselves, not only their hash.
    const n = 100;
    const symbolSize = 130;
    const { primarySymbols: P } = encodingParams(n);
    const encoding = oracleEncode(randomBytes(lengthForSymbolSize(n, symbolSize), 5), n);
    const rows = Array.from({ length: n }, (_, k) => sliver(encoding.primary[k]!).data);
    for (const engine of ['wasm', 'js'] as const) {
      const code = new Rs2Code(P, n, symbolSize, { engine });
      for (const j of [0, 17, 66]) {
        const column = sliver(encoding.secondary[n - 1 - j]!);
        expect(column.index).toBe(j);
        const recovery = code.recovery(column.data);
        for (let k = P; k < n; k++) {
          const expected = rows[k]!.subarray(j * symbolSize, (j + 1) * symbolSize);
          expectSameBytes(recovery.subarray((k - P) * symbolSize, (k - P + 1) * symbolSize), expected);
        }
      }
    }
  });

  it('hashes a systematic row with the repair columns symbols and no Reed-Solomon (DESIGN §2)', () => {
    const n = 100;
    const symbolSize = 34;
    const { secondarySymbols: S } = encodingParams(n);
    const encoding = oracleEncode(randomBytes(lengthForSymbolSize(n, symbolSize), 9), n);
    const p = 3;
    const row = sliver(encoding.primary[p]!).data;
    const expanded = new Uint8Array(n * symbolSize);
    expanded.set(row);
    for (let j = S; j < n; j++) {
      const column = sliver(encoding.secondary[n - 1 - j]!);
      expanded.set(column.data.subarray(p * symbolSize, (p + 1) * symbolSize), j * symbolSize);
    }
    expect(symbolsMerkleRoot(expanded, symbolSize)).toEqual(
      Uint8Array.from(hashes(encoding)[p]!.primary_hash.Digest),
    );
  });

  it('rejects a sliver with one flipped byte, a wrong length or a malformed hash', () => {
    const n = 10;
    const symbolSize = 100; // 64-byte block + 36-byte tail: flip a byte in each part
    const encoding = oracleEncode(randomBytes(lengthForSymbolSize(n, symbolSize), 3), n);
    const expected = hashes(encoding);
    for (const [type, p] of [
      ['primary', 2],
      ['secondary', 8],
    ] as const) {
      const { data } = sliver((type === 'primary' ? encoding.primary : encoding.secondary)[p]!);
      const digest = expected[p]![type === 'primary' ? 'primary_hash' : 'secondary_hash'].Digest;
      const hash = Uint8Array.from(digest);
      expect(verifySliver(data, symbolSize, type, n, hash)).toBe(true);
      for (const offset of [0, 40, symbolSize + 70, data.length - 1]) {
        const tampered = data.slice();
        tampered[offset]! ^= 0x01;
        expect(sliverMerkleRoot(tampered, symbolSize, type, n)).not.toEqual(hash);
        expect(verifySliver(tampered, symbolSize, type, n, hash)).toBe(false);
      }
      expect(verifySliver(data.subarray(2), symbolSize, type, n, hash)).toBe(false);
      expect(verifySliver(data, symbolSize, type, n, hash.subarray(1))).toBe(false);
      expect(() => sliverMerkleRoot(data.subarray(2), symbolSize, type, n)).toThrow(RangeError);
    }
  });
});

describe('Rs2Code', () => {
  it('gives the same recovery symbols with the WASM SIMD and JS engines', () => {
    const shapes: [number, number][] = [
      [1, 2],
      [1, 7],
      [3, 7],
      [5, 7],
      [4, 10],
      [7, 10],
      [334, 1000],
      [667, 1000],
      [1, 1000],
      [999, 1000],
      [100, 3000],
      [2000, 2100],
      [1500, 4000],
    ];
    for (const [o, t] of shapes) {
      for (const symbolSize of [2, 34, 64, 96, 130]) {
        const source = randomBytes(o * symbolSize, o * 31 + t + symbolSize);
        const wasm = new Rs2Code(o, t, symbolSize);
        const js = new Rs2Code(o, t, symbolSize, { engine: 'js' });
        expect(wasm.engine).toBe('wasm');
        const a = wasm.recovery(source);
        expect(a.length).toBe((t - o) * symbolSize);
        expectSameBytes(js.recovery(source), a);
        expectSameBytes(wasm.recovery(source), a); // reusable, no state leaks between calls
      }
    }
  });

  it('is linear, and maps zero to zero', () => {
    const code = new Rs2Code(34, 100, 66);
    const a = randomBytes(34 * 66, 1);
    const b = randomBytes(34 * 66, 2);
    const ra = code.recovery(a).slice();
    const rb = code.recovery(b).slice();
    const sum = code.recovery(a.map((x, i) => x ^ b[i]!));
    expectSameBytes(
      sum,
      ra.map((x, i) => x ^ rb[i]!),
    );
    expect(code.recovery(new Uint8Array(34 * 66)).every((x) => x === 0)).toBe(true);
  });

  it('writes into a caller buffer and returns nothing to recover when source = total', () => {
    const code = new Rs2Code(4, 10, 8);
    const out = new Uint8Array(6 * 8 + 5).fill(0xee);
    const result = code.recovery(randomBytes(32, 4), out);
    expect(result).toBe(out);
    expect(out.subarray(48)).toEqual(new Uint8Array(5).fill(0xee));
    expect(new Rs2Code(5, 5, 2).recovery(new Uint8Array(10)).length).toBe(0);
  });

  it('validates its parameters', () => {
    expect(() => new Rs2Code(0, 10, 2)).toThrow(RangeError);
    expect(() => new Rs2Code(11, 10, 2)).toThrow(RangeError);
    expect(() => new Rs2Code(4, 10, 3)).toThrow(RangeError);
    expect(() => new Rs2Code(4, 10, 65536)).toThrow(RangeError);
    expect(() => new Rs2Code(40000, 65535, 2)).toThrow(RangeError); // 32768 + 40000 > 65536
    expect(() => new Rs2Code(4, 10, 2).recovery(new Uint8Array(7))).toThrow(RangeError);
  });

  it("picks reed-solomon-simd's default rate", () => {
    expect(usesHighRate(667, 333)).toBe(true); // primary sliver expansion at n = 1000
    expect(usesHighRate(334, 666)).toBe(false); // secondary
    expect(usesHighRate(3, 4)).toBe(true); // equal powers of two: high iff original ≤ recovery
    expect(usesHighRate(4, 3)).toBe(false);
  });

  it('maps symbol bytes to elements as 64-byte blocks of [32 low bytes, 32 high bytes] and a split tail', () => {
    const symbolSize = 70; // one block and a 6-byte tail: [lo0 lo1 lo2 hi0 hi1 hi2]
    const bytes = Uint8Array.from({ length: symbolSize }, (_, i) => i);
    const elements = new Uint16Array(symbolSize / 2);
    symbolToElements(bytes, 0, symbolSize, elements, 0);
    expect(elements[0]).toBe(0 | (32 << 8));
    expect(elements[31]).toBe(31 | (63 << 8));
    expect(elements[32]).toBe(64 | (67 << 8));
    expect(elements[34]).toBe(66 | (69 << 8));
    const back = new Uint8Array(symbolSize);
    elementsToSymbol(elements, 0, symbolSize, back, 0);
    expect(back).toEqual(bytes);
  });
});

describe('WebAssembly Merkle tree', () => {
  it('computes Blake2b-256 of prefix ‖ data like @noble/hashes, across block boundaries', () => {
    for (const length of [0, 1, 63, 64, 126, 127, 128, 129, 255, 256, 257, 1000, 65534]) {
      const data = randomBytes(length, length + 1);
      for (const prefix of [0, 1]) {
        const message = new Uint8Array(length + 1);
        message[0] = prefix;
        message.set(data, 1);
        expect(blake2bMerkle('wasm').hash([data], prefix)).toEqual(blake2b(message, { dkLen: 32 }));
      }
    }
  });

  it('builds the Walrus Merkle tree like merkle.ts, odd levels included', () => {
    for (const [count, size] of [
      [1, 4],
      [2, 2],
      [3, 6],
      [7, 34],
      [100, 2],
      [1000, 130],
    ] as const) {
      const symbols = randomBytes(count * size, count + size);
      const leaves = Array.from({ length: count }, (_, i) => symbols.subarray(i * size, (i + 1) * size));
      expect(symbolsMerkleRoot(symbols, size)).toEqual(merkleRoot(leaves));
    }
  });

  it('hashes parts without a prefix and builds trees over leaves of any size like @noble/hashes', () => {
    const h = (...parts: Uint8Array[]) => {
      const hasher = blake2b.create({ dkLen: 32 });
      for (const part of parts) hasher.update(part);
      return hasher.digest();
    };
    const referenceRoot = (leafHashes: Uint8Array[]): Uint8Array => {
      let level = leafHashes;
      while (level.length > 1) {
        if (level.length % 2 === 1) level = [...level, new Uint8Array(32)];
        level = Array.from({ length: level.length / 2 }, (_, i) =>
          h(Uint8Array.of(1), level[2 * i]!, level[2 * i + 1]!),
        );
      }
      return level[0] ?? new Uint8Array(32);
    };
    for (const length of [0, 1, 41, 127, 128, 129, 1000]) {
      const data = randomBytes(length, length + 7);
      expect(blake2b256(data)).toEqual(h(data));
      expect(blake2b256(data.subarray(0, 9), new Uint8Array(0), data.subarray(9))).toEqual(h(data));
    }
    for (const count of [0, 1, 2, 3, 5, 100]) {
      const leaves = Array.from({ length: count }, (_, i) => randomBytes((i * 37) % 150, count + i));
      const leafHashes = leaves.map((leaf) => h(Uint8Array.of(0), leaf));
      expect(merkleRoot(leaves)).toEqual(referenceRoot(leafHashes));
      expect(merkleRootFromLeafHashes(leafHashes)).toEqual(referenceRoot(leafHashes));
    }
  });
});

describe('Blake2b Merkle engines', () => {
  const wasm = blake2bMerkle('wasm');
  const js = blake2bMerkle('js');

  it('uses WebAssembly on Node, and JS when asked', () => {
    expect(wasm.engine).toBe('wasm');
    expect(js.engine).toBe('js');
  });

  it('give identical hashes and roots on random inputs, odd levels and uneven leaves included', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const [count, size] = [(seed * 37) % 131, 1 + ((seed * 53) % 200)];
      const symbols = randomBytes(count * size, seed);
      const write = (leaves: Uint8Array) => leaves.set(symbols);
      expect(js.symbolsRootInPlace(count, size, write)).toEqual(wasm.symbolsRootInPlace(count, size, write));
      expect(symbolsMerkleRoot(symbols, size)).toEqual(js.symbolsRootInPlace(count, size, write));
      const uneven = Array.from({ length: count }, (_, i) => randomBytes((i * seed) % 300, seed * 1000 + i));
      expect(js.leavesRoot(uneven)).toEqual(wasm.leavesRoot(uneven));
      const digests = Array.from({ length: count }, (_, i) => randomBytes(32, seed * 7000 + i));
      expect(js.leafHashesRoot(digests)).toEqual(wasm.leafHashesRoot(digests));
      const parts = [randomBytes(size, seed + 1), new Uint8Array(0), randomBytes(count, seed + 2)];
      for (const prefix of [undefined, 0, 1, 255])
        expect(js.hash(parts, prefix)).toEqual(wasm.hash(parts, prefix));
    }
  });

  it('return a new array, and reject leaf hashes that are not 32 bytes, alike', () => {
    for (const engine of [wasm, js]) {
      const only = randomBytes(32, 1);
      const root = engine.leafHashesRoot([only]);
      expect(root).toEqual(only);
      expect(root).not.toBe(only);
      expect(engine.leafHashesRoot([])).toEqual(new Uint8Array(32));
      expect(() => engine.leafHashesRoot([only, new Uint8Array(31)])).toThrow(RangeError);
    }
  });

  it('give identical sliver hashes, equal to walrus-wasm, with the JS Reed-Solomon and Merkle engines', () => {
    for (const [n, symbolSize] of [
      [10, 34],
      [100, 130],
    ] as const) {
      const encoding = oracleEncode(randomBytes(lengthForSymbolSize(n, symbolSize), n + symbolSize), n);
      for (const p of pairsToCheck(n)) {
        const primary = sliver(encoding.primary[p]!).data;
        const secondary = sliver(encoding.secondary[p]!).data;
        const expected = hashes(encoding)[p]!;
        expect(sliverMerkleRoot(primary, symbolSize, 'primary', n, { engine: 'js' })).toEqual(
          Uint8Array.from(expected.primary_hash.Digest),
        );
        expect(sliverMerkleRoot(secondary, symbolSize, 'secondary', n, { engine: 'js' })).toEqual(
          Uint8Array.from(expected.secondary_hash.Digest),
        );
      }
    }
    // And on random bytes that were never encoded: any sliver-sized input has a root, the same one.
    for (let seed = 1; seed <= 10; seed++) {
      const n = 7 + seed * 13;
      const symbolSize = 2 * seed;
      const data = randomBytes(sliverSymbolCount('secondary', n) * symbolSize, seed);
      expect(sliverMerkleRoot(data, symbolSize, 'secondary', n, { engine: 'js' })).toEqual(
        sliverMerkleRoot(data, symbolSize, 'secondary', n),
      );
    }
  });
});
