import { describe, expect, it } from 'vitest';
import { contentRange, decideRange, MAX_RANGES } from '../../src/http/range.ts';

describe('Range header decisions (RFC 9110 §14)', () => {
  it.each([
    ['bytes=0-', 1000, [[0, 1000]]],
    ['bytes=0-0', 1000, [[0, 1]]],
    ['bytes=0-499', 1000, [[0, 500]]],
    ['bytes=500-', 1000, [[500, 1000]]],
    ['bytes=-500', 1000, [[500, 1000]]],
    ['bytes=-5000', 1000, [[0, 1000]]],
    ['bytes=900-5000', 1000, [[900, 1000]]],
    [
      'bytes = 1-2 , 5-6',
      1000,
      [
        [1, 3],
        [5, 7],
      ],
    ],
    ['bytes=0-10,5-20', 1000, [[0, 21]]],
    ['bytes=10-19,20-29', 1000, [[10, 30]]],
    [
      'bytes=500-599,0-99',
      1000,
      [
        [0, 100],
        [500, 600],
      ],
    ],
    ['bytes=0-99,2000-3000', 1000, [[0, 100]]],
    ['BYTES=0-1', 10, [[0, 2]]],
  ])('%s of %i bytes → ranges %j', (header, size, expected) => {
    expect(decideRange(header, size)).toEqual({
      kind: 'ranges',
      ranges: expected.map(([start, end]) => ({ start, end })),
    });
  });

  it.each([
    ['bytes=1000-', 1000],
    ['bytes=5000-6000', 1000],
    ['bytes=-0', 1000],
    ['bytes=0-', 0],
    ['bytes=-10', 0],
    ['bytes=2000-,3000-3001', 1000],
  ])('%s of %i bytes is unsatisfiable', (header, size) => {
    expect(decideRange(header, size)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([
    [undefined],
    [''],
    ['items=0-1'],
    ['bytes='],
    ['bytes=abc'],
    ['bytes=5-1'],
    ['bytes=-'],
    ['bytes=1-2-3'],
    ['bytes 0-1'],
    [`bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',')}`],
  ])('%j is ignored: the whole body is sent', (header) => {
    expect(decideRange(header, 1000)).toEqual({ kind: 'whole' });
  });

  it('formats Content-Range with an inclusive last byte', () => {
    expect(contentRange({ start: 0, end: 1 }, 10)).toBe('bytes 0-0/10');
    expect(contentRange({ start: 5, end: 10 }, 10)).toBe('bytes 5-9/10');
  });
});
