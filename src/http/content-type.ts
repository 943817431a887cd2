// What a browser should be told a blob is. Walrus stores bytes without a type, and the official
// aggregator sends none, so browsers download NFT images and PDFs instead of showing them (DESIGN §6).
// Order of evidence (first that applies): an explicit type (on-chain attribute, quilt tag, ?content-type=),
// the identifier's file extension, then the bytes' magic numbers, then application/octet-stream.

export const OCTET_STREAM = 'application/octet-stream';

const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  ogv: 'video/ogg',
  // RFC 7845 §9: Ogg Opus files are audio/ogg; the codecs parameter lets a browser skip probing.
  // (audio/opus is the RTP payload type, not the file.)
  opus: 'audio/ogg; codecs=opus',
  aac: 'audio/aac',
  wav: 'audio/wav',
  flac: 'audio/flac',
  pdf: 'application/pdf',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  xml: 'application/xml',
  wasm: 'application/wasm',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  glb: 'model/gltf-binary',
  gltf: 'model/gltf+json',
  ktx: 'image/ktx',
  ktx2: 'image/ktx2',
  // Not IANA-registered. image/basis is the de-facto name: Basis Universal's own glTF demo, gltfpack and
  // CesiumJS use it (image/x-basis also circulates; RFC 6648 retired x- prefixes). Not octet-stream, so
  // loaders that dispatch on Content-Type can still tell it from the KTX2 container (image/ktx2).
  basis: 'image/basis',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  ttc: 'font/collection',
};

export function contentTypeForName(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return undefined;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

const startsWith = (bytes: Uint8Array, signature: number[], at = 0) =>
  bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);
const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

// KTX 1.1 and 2.0 file identifiers: «KTX 11»\r\n\x1A\n and «KTX 20»\r\n\x1A\n (Khronos KTX specifications).
const KTX1 = [0xab, 0x4b, 0x54, 0x58, 0x20, 0x31, 0x31, 0xbb, 0x0d, 0x0a, 0x1a, 0x0a];
const KTX2 = [0xab, 0x4b, 0x54, 0x58, 0x20, 0x32, 0x30, 0xbb, 0x0d, 0x0a, 0x1a, 0x0a];

/** The type the first bytes (≥ 512 is plenty) announce, or undefined. */
export function sniffContentType(head: Uint8Array): string | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  // Before the MPEG audio checks: FF D8 FF is not a valid audio frame header, but JPEG must never lose.
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WAVE'), 8)) return 'audio/wav';
  if (startsWith(head, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...head.subarray(8, 12));
    if (brand === 'avif' || brand === 'avis') return 'image/avif';
    if (brand === 'heic' || brand === 'heix' || brand === 'mif1') return 'image/heic';
    if (brand === 'qt  ') return 'video/quicktime';
    if (brand.startsWith('M4A')) return 'audio/mp4';
    return 'video/mp4';
  }
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) {
    return new TextDecoder().decode(head.subarray(0, 64)).includes('webm')
      ? 'video/webm'
      : 'video/x-matroska';
  }
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(head, ascii('OggS'))) return sniffOgg(head);
  if (startsWith(head, ascii('fLaC'))) return 'audio/flac';
  if (startsWith(head, ascii('ID3')) || isMpegLayer3Frame(head)) return 'audio/mpeg';
  if (isAdtsFrame(head)) return 'audio/aac';
  if (startsWith(head, [0x00, 0x61, 0x73, 0x6d])) return 'application/wasm';
  if (startsWith(head, ascii('glTF'))) return 'model/gltf-binary';
  if (startsWith(head, KTX2)) return 'image/ktx2';
  if (startsWith(head, KTX1)) return 'image/ktx';
  if (isBasisHeader(head)) return 'image/basis';
  if (startsWith(head, ascii('wOFF'))) return 'font/woff';
  if (startsWith(head, ascii('wOF2'))) return 'font/woff2';
  const font = sniffSfnt(head);
  if (font) return font;
  if (startsWith(head, ascii('BM'))) return 'image/bmp';
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00])) return 'image/x-icon';
  if (startsWith(head, [0x1f, 0x8b])) return 'application/gzip';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  return sniffText(head);
}

/**
 * An Ogg stream's type is its first (beginning-of-stream) packet's codec. That packet starts right after
 * the 27-byte page header and its segment table (byte 26 counts the entries), i.e. at 28 in practice.
 */
function sniffOgg(head: Uint8Array): string {
  const packet = 27 + (head[26] ?? 0);
  if (startsWith(head, ascii('OpusHead'), packet)) return 'audio/ogg; codecs=opus';
  if (startsWith(head, [0x80, ...ascii('theora')], packet)) return 'video/ogg';
  // Vorbis (\x01vorbis), FLAC-in-Ogg, Speex and anything unrecognised: audio is by far the common case.
  return 'audio/ogg';
}

/**
 * An MPEG audio layer III frame header without an ID3 tag: 11 sync bits, a version other than the
 * reserved 01, layer bits 01 (layer III), then a usable bitrate index (not 1111) and sample rate (not 11).
 * Checking the third byte keeps stray 0xFF bytes from passing as MP3.
 */
function isMpegLayer3Frame(head: Uint8Array): boolean {
  if (head.length < 3 || head[0] !== 0xff) return false;
  const b1 = head[1]!;
  const b2 = head[2]!;
  return (b1 & 0xe6) === 0xe2 && (b1 & 0x18) !== 0x08 && (b2 & 0xf0) !== 0xf0 && (b2 & 0x0c) !== 0x0c;
}

/**
 * An AAC ADTS frame header (ISO/IEC 14496-3): 12 sync bits, the MPEG id bit, layer always 00 (so it never
 * overlaps layer III), protection bit: FFF1/FFF9 without CRC, FFF0/FFF8 with. Sampling index 13–15 is invalid.
 */
function isAdtsFrame(head: Uint8Array): boolean {
  if (head.length < 3 || head[0] !== 0xff) return false;
  return (head[1]! & 0xf6) === 0xf0 && ((head[2]! >> 2) & 0x0f) <= 12;
}

/**
 * A .basis file (Basis Universal basis_file_header, little-endian): m_sig 'sB' (0x4273), m_ver ≥ 0x10
 * (0x13 today), m_header_size 77. The NUL high bytes of the last two fields keep text starting "sB" out.
 */
function isBasisHeader(head: Uint8Array): boolean {
  return (
    startsWith(head, [0x73, 0x42]) &&
    head.length >= 6 &&
    head[2]! >= 0x10 &&
    head[3] === 0x00 &&
    head[4] === 77 &&
    head[5] === 0x00
  );
}

/**
 * sfnt fonts (TrueType/OpenType): a 4-byte version tag, then numTables as a big-endian uint16. No font has
 * 256+ tables, so the high byte is 0; requiring it (and a non-zero count) keeps 00 01 00 00 blobs such as
 * Access databases, and text that happens to start with "true", from being served as fonts.
 * A TrueType Collection ('ttcf') is followed by its version 1.0 or 2.0 (00 01|02 00 00).
 */
function sniffSfnt(head: Uint8Array): string | undefined {
  if (startsWith(head, ascii('ttcf'))) {
    return startsWith(head, [0x00, 0x01, 0x00, 0x00], 4) || startsWith(head, [0x00, 0x02, 0x00, 0x00], 4)
      ? 'font/collection'
      : undefined;
  }
  if (head.length < 6 || head[4] !== 0x00 || head[5] === 0x00) return undefined;
  if (startsWith(head, [0x00, 0x01, 0x00, 0x00]) || startsWith(head, ascii('true'))) return 'font/ttf';
  if (startsWith(head, ascii('OTTO'))) return 'font/otf';
  return undefined;
}

/** Markup and text: only when the head decodes as UTF-8 without control bytes. */
function sniffText(head: Uint8Array): string | undefined {
  const sample = head.subarray(0, Math.min(head.length, 1024));
  let text: string | undefined;
  // A sample may end inside a multi-byte character: drop up to 3 trailing bytes before giving up.
  for (let cut = 0; cut <= 3 && text === undefined && cut < sample.length; cut++) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, sample.length - cut));
    } catch {
      text = undefined;
    }
  }
  if (text === undefined) return undefined;
  // Control characters other than tab, newlines, form feed and escape mean binary, not text.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d && code !== 0x1b)
      return undefined;
  }
  const start = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 512)
    .toLowerCase();
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && start.includes('<svg')))
    return 'image/svg+xml';
  if (
    start.startsWith('<!doctype html') ||
    start.startsWith('<html') ||
    start.startsWith('<head') ||
    start.startsWith('<body')
  ) {
    return 'text/html; charset=utf-8';
  }
  if (start.startsWith('<?xml')) return 'application/xml';
  if (start.startsWith('{') && isGltfJson(text)) return 'model/gltf+json';
  if ((start.startsWith('{') || start.startsWith('[')) && looksLikeJson(text)) return 'application/json';
  return text.length > 0 ? 'text/plain; charset=utf-8' : undefined;
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    // A sample cut mid-document: still JSON-ish if it opens like an object or array of values.
    return /^\s*[{[]\s*("|\d|-|\{|\[|true|false|null|\]|\})/.test(text);
  }
}

/**
 * A glTF 2.0 JSON document: a top-level object whose "asset" object has a "version" string (the one
 * property glTF requires). The sample may be cut anywhere, so this scans tokens instead of parsing, tracking
 * nesting so that an "asset" inside some other object (NFT metadata, say) does not count.
 */
function isGltfJson(text: string): boolean {
  let depth = 0;
  let inAsset = false;
  for (let i = text.indexOf('{'); i >= 0 && i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth < 2) inAsset = false;
      if (depth <= 0) return false;
    } else if (c === '"') {
      const end = closingQuote(text, i + 1);
      if (end < 0) return false;
      const key = text.slice(i + 1, end);
      const colon = skipSpace(text, end + 1);
      i = end;
      if (text[colon] !== ':') continue;
      const value = skipSpace(text, colon + 1);
      if (depth === 1 && key === 'asset' && text[value] === '{') {
        inAsset = true;
        depth++;
        i = value;
      } else if (inAsset && depth === 2 && key === 'version' && text[value] === '"') {
        return true;
      }
    }
  }
  return false;
}

/** Index of the quote closing a JSON string whose body starts at `from`, or -1 if the sample ends first. */
function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

const skipSpace = (text: string, from: number) => {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
};

/** Types a browser would run as script in our origin: served sandboxed unless configured otherwise. */
export function isActiveContent(contentType: string): boolean {
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    base === 'text/html' ||
    base === 'application/xhtml+xml' ||
    base === 'image/svg+xml' ||
    base === 'text/xml' ||
    base === 'application/xml' ||
    base === 'text/javascript' ||
    base === 'application/javascript' ||
    base === 'application/ecmascript' ||
    // Any XML type (WHATWG MIME Sniffing): browsers render it, and XHTML-namespaced script runs.
    base.endsWith('+xml')
  );
}

/** A client-supplied type, accepted only when it is a plain, well-formed media type. */
export function safeContentTypeHint(hint: string | undefined): string | undefined {
  if (!hint) return undefined;
  const trimmed = hint.trim();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;\s*[a-z0-9-]+=("[^"\r\n]*"|[a-z0-9._-]+))*$/i.test(
    trimmed,
  )
    ? trimmed
    : undefined;
}
