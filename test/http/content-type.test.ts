import { describe, expect, it } from 'vitest';
import {
  contentTypeForName,
  isActiveContent,
  safeContentTypeHint,
  sniffContentType,
} from '../../src/http/content-type.ts';

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));
const u16le = (n: number) => [n & 0xff, n >> 8];
const u32le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
const u16be = (n: number) => [n >> 8, n & 0xff];
const zeros = (n: number) => Array<number>(n).fill(0);

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

// Headers shaped like the real files' first bytes, built field by field.
const KTX2_ID = [0xab, 0x4b, 0x54, 0x58, 0x20, 0x32, 0x30, 0xbb, 0x0d, 0x0a, 0x1a, 0x0a];
const KTX1_ID = [0xab, 0x4b, 0x54, 0x58, 0x20, 0x31, 0x31, 0xbb, 0x0d, 0x0a, 0x1a, 0x0a];
// KTX2 header: vkFormat (0 = undefined, i.e. Basis-supercompressed), typeSize, width, height, depth,
// layerCount, faceCount, levelCount, supercompressionScheme (1 = BasisLZ).
const ktx2 = bytes(KTX2_ID, ...[0, 1, 256, 256, 0, 0, 1, 9, 1].map(u32le));
// KTX1 header: endianness 0x04030201, glType, glTypeSize, glFormat, glInternalFormat (ETC2 RGBA8), ...
const ktx1 = bytes(KTX1_ID, ...[0x04030201, 0, 1, 0, 0x9278, 0x1908, 64, 64].map(u32le));

// basis_file_header: m_sig 'sB', m_ver 0x13, m_header_size 77, m_header_crc16, m_data_size, m_data_crc16,
// m_total_slices (24-bit), m_total_images (24-bit), m_tex_format (1 = UASTC), ... padded to 77 bytes.
const basisHeader = (version = 0x13, headerSize = 77) => {
  const fields = [
    ...u16le(0x4273),
    ...u16le(version),
    ...u16le(headerSize),
    ...u16le(0xbeef),
    ...u32le(4096),
    ...u16le(0x1234),
    ...[1, 0, 0],
    ...[1, 0, 0],
    1,
  ];
  return bytes(fields, zeros(77 - fields.length));
};

// The first Ogg page: capture pattern, version 0, header type 2 (beginning of stream), granule position,
// serial number, page sequence 0, CRC, one segment whose lacing value is the ID packet's length.
const oggFirstPage = (packet: number[]) =>
  bytes('OggS', [0, 2], zeros(8), u32le(0x1ee7), u32le(0), u32le(0xcafef00d), [1, packet.length], packet);
// RFC 7845 ID header: 'OpusHead', version 1, 2 channels, pre-skip 312, 48 kHz, gain 0, mapping family 0.
const opusHead = [...bytes('OpusHead', [1, 2], u16le(312), u32le(48000), u16le(0), [0])];
// Vorbis identification header: type 1, 'vorbis', version 0, 2 channels, 44.1 kHz, bitrates, blocksizes, framing.
const vorbisId = [
  ...bytes([1], 'vorbis', u32le(0), [2], u32le(44100), u32le(0), u32le(128000), u32le(0), [0xb8, 1]),
];
// Theora identification header: type 0x80, 'theora', version 3.2.1, then frame sizes (truncated here).
const theoraId = [...bytes([0x80], 'theora', [3, 2, 1], u16be(40), u16be(30), zeros(32))];

// sfnt offset table: version tag, numTables 12, searchRange 128, entrySelector 3, rangeShift 64, then the
// first table record (tag, checksum, offset, length).
const sfnt = (tag: string | number[], firstTable: string) =>
  bytes(tag, u16be(12), u16be(128), u16be(3), u16be(64), firstTable, zeros(4), [0, 0, 0, 0xcc], zeros(4));

const gltfJson = JSON.stringify({
  asset: { version: '2.0', generator: 'Khronos glTF Blender I/O v4.2.60' },
  scene: 0,
  scenes: [{ nodes: [0] }],
  nodes: [{ mesh: 0, name: 'Sword' }],
  meshes: [{ primitives: [{ attributes: { POSITION: 0, NORMAL: 1, TEXCOORD_0: 2 }, indices: 3 }] }],
  accessors: Array.from({ length: 40 }, (_, i) => ({
    bufferView: i,
    componentType: 5126,
    count: 24,
    type: 'VEC3',
  })),
});

describe('sniffing game assets', () => {
  it.each([
    ['KTX2', ktx2, 'image/ktx2'],
    ['KTX 1.1', ktx1, 'image/ktx'],
    ['.basis v0x13', basisHeader(), 'image/basis'],
    ['.basis v0x10', basisHeader(0x10), 'image/basis'],
    ['Ogg Opus', oggFirstPage(opusHead), 'audio/ogg; codecs=opus'],
    ['Ogg Vorbis', oggFirstPage(vorbisId), 'audio/ogg'],
    ['Ogg Theora', oggFirstPage(theoraId), 'video/ogg'],
    // MPEG-1, MPEG-2 and MPEG-2.5 layer III frame headers (with and without CRC), no ID3 tag in front.
    ['MPEG-1 layer III', bytes([0xff, 0xfb, 0x90, 0x64], zeros(8)), 'audio/mpeg'],
    ['MPEG-1 layer III with CRC', bytes([0xff, 0xfa, 0x92, 0x00], zeros(8)), 'audio/mpeg'],
    ['MPEG-2 layer III', bytes([0xff, 0xf3, 0x84, 0xc4], zeros(8)), 'audio/mpeg'],
    ['MPEG-2.5 layer III', bytes([0xff, 0xe3, 0x18, 0xc4], zeros(8)), 'audio/mpeg'],
    // ADTS: AAC LC at 44.1 kHz (profile 01, sampling index 4, 2 channels), MPEG-4 and MPEG-2 ids.
    ['ADTS, MPEG-4 id', bytes([0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f, 0xfc]), 'audio/aac'],
    ['ADTS, MPEG-2 id', bytes([0xff, 0xf9, 0x50, 0x80, 0x2e, 0x7f, 0xfc]), 'audio/aac'],
    ['TrueType 00 01 00 00', sfnt([0x00, 0x01, 0x00, 0x00], 'GDEF'), 'font/ttf'],
    ['TrueType "true"', sfnt('true', 'cmap'), 'font/ttf'],
    ['OpenType CFF', sfnt('OTTO', 'CFF '), 'font/otf'],
    [
      'TTC 1.0',
      bytes('ttcf', u16be(1), u16be(0), [0, 0, 0, 2], [0, 0, 0, 0x14], [0, 0, 1, 0]),
      'font/collection',
    ],
    ['TTC 2.0', bytes('ttcf', u16be(2), u16be(0), [0, 0, 0, 2]), 'font/collection'],
    ['glTF JSON', bytes(gltfJson), 'model/gltf+json'],
    [
      'glTF JSON, pretty-printed',
      bytes(
        '{\n  "asset" : {\n    "generator" : "COLLADA2GLTF",\n    "version" : "2.0"\n  },\n  "scene" : 0\n}',
      ),
      'model/gltf+json',
    ],
    [
      'glTF JSON, asset not first',
      bytes('{"extensionsUsed":["KHR_texture_basisu"],"asset":{"copyright":"CC-BY {x}","version":"2.0"}}'),
      'model/gltf+json',
    ],
  ])('sniffs %s', (_name, head, expected) => {
    expect(sniffContentType(head)).toBe(expected);
  });

  it('recognises a glTF document cut at the 512-byte sample', () => {
    expect(gltfJson.length).toBeGreaterThan(2000);
    expect(sniffContentType(bytes(gltfJson).subarray(0, 512))).toBe('model/gltf+json');
    // asset need not come first, as long as it and its version fit in the sample.
    const late = `{"scene":0,"scenes":[{"nodes":[0]}],"asset":{"version":"2.0"},"nodes":[${'{"mesh":0},'.repeat(80)}`;
    expect(sniffContentType(bytes(late).subarray(0, 512))).toBe('model/gltf+json');
  });

  it('keeps ordinary JSON as JSON', () => {
    expect(sniffContentType(bytes('{"name":"Sword #7","image":"walrus://x","version":"2.0"}'))).toBe(
      'application/json',
    );
    // An "asset" that is not glTF's: nested in something else, not an object, or without a version.
    expect(sniffContentType(bytes('{"meta":{"asset":{"version":"2.0"}}}'))).toBe('application/json');
    expect(sniffContentType(bytes('{"asset":"sword.glb","version":"2.0"}'))).toBe('application/json');
    expect(sniffContentType(bytes('{"asset":{"id":7},"version":"2.0"}'))).toBe('application/json');
    expect(sniffContentType(bytes('{"note":"\\"asset\\":{\\"version\\":\\"2.0\\"}"}'))).toBe(
      'application/json',
    );
    expect(sniffContentType(bytes('[{"asset":{"version":"2.0"}}]'))).toBe('application/json');
  });

  it('does not mistake text or other binaries for the new signatures', () => {
    // Text that starts like a .basis signature, and binaries with the signature but the wrong header size.
    expect(sniffContentType(bytes('sBaseline readings: 12, 14, 19\n'))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(bytes('sB'))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(basisHeader(0x13, 76))).toBeUndefined();
    expect(sniffContentType(basisHeader(0x0f))).toBeUndefined();
    // A truncated KTX identifier is not KTX.
    expect(sniffContentType(bytes(KTX2_ID.slice(0, 8)))).not.toBe('image/ktx2');
    // JSON and prose that start with "true" are not TrueType fonts.
    expect(sniffContentType(bytes('true'))).toBe('text/plain; charset=utf-8');
    expect(sniffContentType(bytes('true story, this one\n'))).toBe('text/plain; charset=utf-8');
    // An Access database also starts 00 01 00 00, but then "Standard Jet DB".
    expect(sniffContentType(bytes([0, 1, 0, 0], 'Standard Jet DB', [0]))).toBeUndefined();
    expect(sniffContentType(bytes('ttcf', [0, 3, 0, 0]))).toBeUndefined();
    // JPEG (FF D8 FF) still wins over the MPEG frame-sync checks.
    expect(sniffContentType(bytes([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x18], 'Exif', [0, 0]))).toBe('image/jpeg');
    // Frame-sync lookalikes: reserved MPEG version, invalid bitrate index, reserved sample rate, layer I,
    // ADTS with a reserved sampling index, and a UTF-16 byte-order mark.
    expect(sniffContentType(bytes([0xff, 0xeb, 0x90, 0x64]))).toBeUndefined();
    expect(sniffContentType(bytes([0xff, 0xfb, 0xf0, 0x64]))).toBeUndefined();
    expect(sniffContentType(bytes([0xff, 0xfb, 0x9c, 0x64]))).toBeUndefined();
    expect(sniffContentType(bytes([0xff, 0xff, 0x90, 0x64]))).toBeUndefined();
    expect(sniffContentType(bytes([0xff, 0xf1, 0x7c, 0x80]))).toBeUndefined();
    expect(sniffContentType(bytes([0xff, 0xfe], 'h\0i\0'))).toBeUndefined();
    // An Ogg page whose first packet is neither Opus nor Theora stays audio/ogg.
    expect(sniffContentType(oggFirstPage([...bytes([0x7f], 'FLAC', [1, 0])]))).toBe('audio/ogg');
  });

  it('maps game-asset extensions', () => {
    expect(contentTypeForName('hero.ktx2')).toBe('image/ktx2');
    expect(contentTypeForName('legacy.KTX')).toBe('image/ktx');
    expect(contentTypeForName('atlas.basis')).toBe('image/basis');
    expect(contentTypeForName('theme.opus')).toBe('audio/ogg; codecs=opus');
    expect(contentTypeForName('hit.aac')).toBe('audio/aac');
    expect(contentTypeForName('fonts.ttc')).toBe('font/collection');
    expect(contentTypeForName('level.gltf')).toBe('model/gltf+json');
    expect(contentTypeForName('level.glb')).toBe('model/gltf-binary');
    expect(contentTypeForName('track.flac')).toBe('audio/flac');
    // glTF buffers are raw bytes with no type of their own.
    expect(contentTypeForName('level.bin')).toBeUndefined();
  });

  it('serves none of them as active content', () => {
    for (const type of [
      'image/ktx2',
      'image/ktx',
      'image/basis',
      'audio/ogg; codecs=opus',
      'video/ogg',
      'audio/aac',
      'font/ttf',
      'font/otf',
      'font/collection',
      'model/gltf+json',
      'model/gltf-binary',
    ]) {
      expect(isActiveContent(type)).toBe(false);
    }
  });
});
