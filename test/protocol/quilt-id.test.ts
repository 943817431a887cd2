import { describe, expect, it } from 'vitest';
import { formatQuiltPatchId, parseQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { InvalidIdError, blobIdFromBytes } from '../../src/protocol/blob-id.ts';
import { base64UrlToBytes } from '../../src/protocol/base64.ts';
import { randomBytes } from './oracle.ts';

describe('quilt patch IDs', () => {
  it('lays out quiltId ‖ 0x01 ‖ start u16 LE ‖ end u16 LE and parses it back', () => {
    const quiltId = blobIdFromBytes(randomBytes(32, 3));
    const text = formatQuiltPatchId({ quiltId, startIndex: 0x0102, endIndex: 0x0304 });
    const bytes = base64UrlToBytes(text);
    expect(bytes.length).toBe(37);
    expect(Array.from(bytes.slice(32))).toEqual([1, 0x02, 0x01, 0x04, 0x03]);
    expect(parseQuiltPatchId(text)).toEqual({ quiltId, version: 1, startIndex: 0x0102, endIndex: 0x0304 });
  });

  it('rejects wrong lengths, versions and empty ranges', () => {
    const quiltId = blobIdFromBytes(randomBytes(32, 4));
    const good = formatQuiltPatchId({ quiltId, startIndex: 1, endIndex: 2 });
    expect(() => parseQuiltPatchId(good.slice(0, -1))).toThrow(InvalidIdError);
    expect(() => parseQuiltPatchId(formatQuiltPatchId({ quiltId, startIndex: 2, endIndex: 2 }))).toThrow(
      /empty column range/,
    );
  });
});
