// Which types are images we may transform and which bodies are worth compressing.

/** Raster formats sharp decodes and browsers show. SVG is never rasterized (it is served as stored). */
const RASTER = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/avif',
  'image/gif',
  'image/tiff',
  'image/heic',
]);

export function baseType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

export function isRasterImage(contentType: string): boolean {
  return RASTER.has(baseType(contentType));
}

/**
 * Text-like types shrink several times under brotli; images, audio, video, archives, woff/woff2 and
 * Basis are compressed already. KTX2 is listed: without supercompression its texels compress well
 * (the compressor checks the header and keeps supercompressed files as they are).
 */
const COMPRESSIBLE = new Set([
  'application/json',
  'application/javascript',
  'application/ecmascript',
  'application/xml',
  'application/wasm',
  'application/manifest+json',
  'application/ld+json',
  'application/geo+json',
  'application/x-ndjson',
  'image/svg+xml',
  'image/bmp',
  'image/x-icon',
  'image/ktx',
  'image/ktx2',
  'model/gltf+json',
  'model/obj',
  'font/ttf',
  'font/otf',
  'font/collection',
  'audio/wav',
]);

export function isCompressible(contentType: string): boolean {
  const base = baseType(contentType);
  return (
    base.startsWith('text/') || base.endsWith('+json') || base.endsWith('+xml') || COMPRESSIBLE.has(base)
  );
}

/** KTX2's supercompressionScheme (uint32 LE at byte 44): anything but 0 is compressed already. */
export function isSupercompressedKtx2(bytes: Uint8Array): boolean {
  const identifier = [0xab, 0x4b, 0x54, 0x58, 0x20, 0x32, 0x30, 0xbb, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 48 || !identifier.every((b, i) => bytes[i] === b)) return false;
  return new DataView(bytes.buffer, bytes.byteOffset + 44, 4).getUint32(0, true) !== 0;
}
