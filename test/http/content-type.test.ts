import { describe, expect, it } from 'vitest';
import {
  contentTypeForName,
  isActiveContent,
  safeContentTypeHint,
  sniffContentType,
} from '../../src/http/content-type.ts';

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

describe('content types', () => {
  it.each([
    [bytes([0x89], 'PNG\r\n', [0x1a, 0x0a], 'rest'), 'image/png'],
    [bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'), 'image/jpeg'],
    [bytes('GIF89a....'), 'image/gif'],
    [bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 '), 'image/webp'],
    [bytes([0, 0, 0, 0x20], 'ftypisom', [0, 0, 2, 0]), 'video/mp4'],
    [bytes([0, 0, 0, 0x1c], 'ftypavif'), 'image/avif'],
    [bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84], 'webm'), 'video/webm'],
    [bytes('%PDF-1.7\n'), 'application/pdf'],
    [bytes('ID3', [4, 0, 0]), 'audio/mpeg'],
    [bytes('OggS', [0, 2]), 'audio/ogg'],
    [bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 'application/wasm'],
    [bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'image/svg+xml'],
    [bytes('  <svg viewBox="0 0 1 1"/>'), 'image/svg+xml'],
    [bytes('<!DOCTYPE html><html><body>hi</body></html>'), 'text/html; charset=utf-8'],
    [bytes('{"name":"NFT #1","image":"walrus://x"}'), 'application/json'],
    [bytes('hello, world\n'), 'text/plain; charset=utf-8'],
  ])('sniffs %#: %s', (head, expected) => {
    expect(sniffContentType(head)).toBe(expected);
  });

  it('does not call binary noise anything', () => {
    expect(sniffContentType(bytes([0, 1, 2, 3, 250, 251, 252, 7, 8]))).toBeUndefined();
    expect(sniffContentType(new Uint8Array(0))).toBeUndefined();
  });

  it('maps identifiers by extension, case-insensitively', () => {
    expect(contentTypeForName('cat.PNG')).toBe('image/png');
    expect(contentTypeForName('clip.final.mp4')).toBe('video/mp4');
    expect(contentTypeForName('README')).toBeUndefined();
    expect(contentTypeForName('weird.')).toBeUndefined();
  });

  it('flags the types a browser would execute in our origin', () => {
    expect(isActiveContent('text/html; charset=utf-8')).toBe(true);
    expect(isActiveContent('image/svg+xml')).toBe(true);
    expect(isActiveContent('application/javascript')).toBe(true);
    expect(isActiveContent('image/png')).toBe(false);
    expect(isActiveContent('application/json')).toBe(false);
  });

  it('accepts only well-formed hints', () => {
    expect(safeContentTypeHint('image/png')).toBe('image/png');
    expect(safeContentTypeHint('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8');
    expect(safeContentTypeHint('image/png\r\nSet-Cookie: x=1')).toBeUndefined();
    expect(safeContentTypeHint('nonsense')).toBeUndefined();
    expect(safeContentTypeHint('')).toBeUndefined();
  });
});

describe('sniffing text cut mid-character', () => {
  it('still recognises UTF-8 text when the sample ends inside a multi-byte character', () => {
    const text = new TextEncoder().encode('a'.repeat(511) + '€ and more text');
    expect(sniffContentType(text.subarray(0, 512))).toBe('text/plain; charset=utf-8');
  });
});
