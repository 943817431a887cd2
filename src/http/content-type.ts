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
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
};

export function contentTypeForName(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot === name.length - 1) return undefined;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

const startsWith = (bytes: Uint8Array, signature: number[], at = 0) =>
  bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);
const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/** The type the first bytes (≥ 512 is plenty) announce, or undefined. */
export function sniffContentType(head: Uint8Array): string | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
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
  if (startsWith(head, ascii('OggS'))) return 'audio/ogg';
  if (startsWith(head, ascii('fLaC'))) return 'audio/flac';
  if (startsWith(head, ascii('ID3')) || startsWith(head, [0xff, 0xfb]) || startsWith(head, [0xff, 0xf3]))
    return 'audio/mpeg';
  if (startsWith(head, [0x00, 0x61, 0x73, 0x6d])) return 'application/wasm';
  if (startsWith(head, ascii('glTF'))) return 'model/gltf-binary';
  if (startsWith(head, ascii('wOFF'))) return 'font/woff';
  if (startsWith(head, ascii('wOF2'))) return 'font/woff2';
  if (startsWith(head, ascii('BM'))) return 'image/bmp';
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00])) return 'image/x-icon';
  if (startsWith(head, [0x1f, 0x8b])) return 'application/gzip';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  return sniffText(head);
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
