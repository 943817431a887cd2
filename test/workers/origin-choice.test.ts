// Which origin the Workers tier asks (src/workers/origin-choice.ts): the bytes of one blob — the blob,
// its ranges, its quilt's patches by either ID — all land on one edge, and taking an edge away moves
// only the blobs that edge owned (the rendezvous property), spread evenly over the rest.
import { describe, expect, it } from 'vitest';
import { formatBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { affinityKey, originsFor } from '../../src/workers/origin-choice.ts';
import { randomBytes } from '../protocol/oracle.ts';

const quiltId = formatBlobId(randomBytes(32, 1));

describe('affinityKey', () => {
  it('names the blob for every route that reads it, and the quilt for its patches', () => {
    const patchId = formatQuiltPatchId({ quiltId: randomBytes(32, 1) as never, startIndex: 3, endIndex: 5 });
    expect(affinityKey(`/v1/blobs/${quiltId}`)).toBe(quiltId);
    expect(affinityKey(`/v1/blobs/${quiltId}/byte-range`)).toBe(quiltId);
    expect(affinityKey(`/v1alpha/blobs/${quiltId}/stream`)).toBe(quiltId);
    expect(affinityKey(`/v1/blobs/by-quilt-id/${quiltId}/cat.png`)).toBe(quiltId);
    expect(affinityKey(`/v1/blobs/by-quilt-patch-id/${patchId}`)).toBe(quiltId);
    expect(affinityKey(`/v1/quilts/${quiltId}/patches`)).toBe(quiltId);
    expect(affinityKey('/v1/blobs/by-object-id/0xabc')).toBe('0xabc');
  });

  it('falls back to the path for anything else, a malformed patch ID included', () => {
    expect(affinityKey('/v1/blobs/by-quilt-patch-id/not-a-patch')).toBe(
      '/v1/blobs/by-quilt-patch-id/not-a-patch',
    );
    expect(affinityKey('/status')).toBe('/status');
    expect(affinityKey('/v1/blobs')).toBe('/v1/blobs');
  });
});

describe('originsFor', () => {
  const origins = ['https://a.example', 'https://b.example', 'https://c.example', 'https://d.example'];
  const keys = Array.from({ length: 4000 }, (_, i) => formatBlobId(randomBytes(32, 100 + i)));

  it('orders every origin once, the same way each time for a key, whatever order they are listed in', () => {
    for (const key of keys.slice(0, 50)) {
      const order = originsFor(key, origins);
      expect([...order].sort()).toEqual(origins);
      expect(originsFor(key, [...origins].reverse())).toEqual(order);
    }
  });

  it('spreads keys evenly, and an origin taken away moves only its own keys', () => {
    const first = keys.map((key) => originsFor(key, origins)[0]!);
    for (const origin of origins) {
      const share = first.filter((owner) => owner === origin).length / keys.length;
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.3);
    }
    const without = origins.filter((origin) => origin !== 'https://c.example');
    keys.forEach((key, i) => {
      const owner = originsFor(key, without)[0];
      if (first[i] !== 'https://c.example') expect(owner).toBe(first[i]);
      // …and c's keys go to the one that was second for them.
      else expect(owner).toBe(originsFor(key, origins)[1]);
    });
  });
});
