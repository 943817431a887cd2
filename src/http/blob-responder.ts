// Serves a blob-like body with the HTTP semantics browsers and CDNs rely on (RFC 9110): strong quoted
// ETags and If-None-Match → 304, Range (single, open, suffix, multipart) with If-Range, HEAD without
// the body, a Content-Type from the best evidence at hand, nosniff, a sandbox for active content, and
// Content-Disposition on request. The official aggregator's gaps are listed in DESIGN §6.
import type { Context } from 'hono';
import { contentRange, decideRange, rangeUnlessStale, type ByteRange } from './range.ts';
import {
  OCTET_STREAM,
  contentTypeForName,
  isActiveContent,
  safeContentTypeHint,
  sniffContentType,
} from './content-type.ts';
import { errorResponse, readFailureResponse } from './errors.ts';
import { concatBytes } from '../protocol/bytes.ts';
import { streamOf, type BlobHandle } from '../read/blob-source.ts';
import { backToBack } from './back-to-back.ts';
import type { ReadFailure } from '../read/read-errors.ts';

/** What to do with HTML, SVG, XML and JavaScript, which would run in the edge's own origin. */
export type ActiveContentPolicy = 'sandbox' | 'attachment' | 'allow';

export interface BlobResponseOptions {
  /** What the read stack opened: its size, where its bytes are, and how to read them. */
  handle: BlobHandle;
  /** Unquoted: the blob ID, or the patch ID for quilt patches. */
  etag: string;
  cacheControl: string;
  /** Strongest evidence first: an on-chain attribute or a quilt tag. */
  declaredType?: string;
  /** A file name whose extension hints at the type (a quilt identifier). */
  name?: string;
  activeContent: ActiveContentPolicy;
  headers?: Record<string, string>;
  /** Sniffed types by ETag: the bytes behind an ETag never change, so neither does their type. */
  sniffedTypes?: { get(etag: string): string | undefined; set(etag: string, type: string): unknown };
  /** The Vary header a type needs (compressible types vary on Accept-Encoding), once the type is known. */
  varyFor?: (contentType: string) => string | undefined;
}

const SNIFF_BYTES = 512;
const SANDBOX_CSP =
  "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";

export async function respondWithBody(c: Context, options: BlobResponseOptions): Promise<Response> {
  const { handle, etag } = options;

  const quotedEtag = `"${etag}"`;
  const signal = c.req.raw.signal;
  const base: Record<string, string> = {
    etag: quotedEtag,
    'cache-control': options.cacheControl,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    'x-cache': handle.origin,
    age: String(handle.ageSeconds),
    ...options.headers,
  };

  if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) {
    // A 304 says what a 200 would about caching (ETag, Vary), not how the body is encoded.
    delete base['content-encoding'];
    return new Response(null, { status: 304, headers: base });
  }

  const size = handle.size;
  const rangeHeader = rangeUnlessStale(c.req.header('range'), c.req.header('if-range'), quotedEtag);
  const decision = decideRange(rangeHeader, size);
  if (decision.kind === 'unsatisfiable') {
    return errorResponse(
      c,
      416,
      'INVALID_BYTE_RANGE',
      `the range ${rangeHeader} is not satisfiable for ${size} bytes`,
      {
        'content-range': `bytes */${size}`,
        'accept-ranges': 'bytes',
        etag: quotedEtag,
      },
    );
  }
  const ranges: ByteRange[] = decision.kind === 'ranges' ? decision.ranges : [{ start: 0, end: size }];
  const isHead = c.req.method === 'HEAD';

  // The type always comes from the same first bytes of the blob (its first row, at most 512 bytes),
  // whatever range is asked for and wherever the bytes are, so GET, HEAD and every range agree. A
  // body starting at byte 0 offers them itself; otherwise they are read once per ETag (at most one
  // sliver) thanks to the sniffed-type cache.
  const sniffLength = Math.min(SNIFF_BYTES, handle.firstRowBytes, size);
  let firstStream: ReadableStream<Uint8Array> | undefined;
  let head: Uint8Array | undefined;
  if (!isHead && ranges.length === 1 && ranges[0]!.start === 0 && ranges[0]!.end > 0) {
    const stream = await handle.read({ start: 0, end: ranges[0]!.end }, signal);
    if (!(stream instanceof ReadableStream)) return readFailureResponse(c, stream);
    let start: Uint8Array;
    [start, firstStream] = await peek(stream, sniffLength);
    if (start.length >= sniffLength) head = start;
  }
  const explicitType = explicitTypeOf(c, options);
  let sniffed = explicitType === undefined ? options.sniffedTypes?.get(etag) : undefined;
  if (explicitType === undefined && sniffed === undefined) {
    if (!head && size > 0) {
      const bytes = await handle.prefix(sniffLength, signal);
      if (!(bytes instanceof Uint8Array)) return readFailureResponse(c, bytes);
      head = bytes;
    }
    sniffed = (head ? sniffContentType(head.subarray(0, sniffLength)) : undefined) ?? OCTET_STREAM;
    options.sniffedTypes?.set(etag, sniffed);
  }
  const contentType = explicitType ?? sniffed ?? OCTET_STREAM;
  const vary = options.varyFor?.(contentType);
  if (vary) base.vary = vary;
  Object.assign(base, presentationHeaders(contentType, options.activeContent, c.req.query('download')));

  if (ranges.length === 1) {
    const range = ranges[0]!;
    const partial = decision.kind === 'ranges';
    const headers = {
      ...base,
      'content-type': contentType,
      'content-length': String(range.end - range.start),
      ...(partial ? { 'content-range': contentRange(range, size) } : {}),
    };
    if (isHead) return new Response(null, { status: partial ? 206 : 200, headers });
    let body = firstStream;
    if (!body) {
      const stream = range.end > range.start ? await handle.read(range, signal) : streamOf(new Uint8Array(0));
      if (!(stream instanceof ReadableStream)) return readFailureResponse(c, stream);
      body = stream;
    }
    return new Response(body, { status: partial ? 206 : 200, headers });
  }

  // Several ranges: multipart/byteranges, each part with its own Content-Range.
  const boundary = `walrus-edge-${crypto.randomUUID()}`;
  const encoder = new TextEncoder();
  const partHeads = ranges.map((range, i) =>
    encoder.encode(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: ${contentRange(range, size)}\r\n\r\n`,
    ),
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const length =
    partHeads.reduce((sum, h, i) => sum + h.length + ranges[i]!.end - ranges[i]!.start, 0) + tail.length;
  const headers = {
    ...base,
    'content-type': `multipart/byteranges; boundary=${boundary}`,
    'content-length': String(length),
  };
  if (isHead) return new Response(null, { status: 206, headers });
  // Check the first part can be read before committing to a 206.
  const first = await handle.read(ranges[0]!, signal);
  if (!(first instanceof ReadableStream)) return readFailureResponse(c, first);
  const body = backToBack([
    ...ranges.flatMap((range, i) => [
      async () => streamOf(partHeads[i]!),
      i === 0 ? async () => first : () => handle.read(range, signal),
    ]),
    async () => streamOf(tail),
  ]);
  return new Response(body, { status: 206, headers });
}

function typeFromName(name: string | undefined): string | undefined {
  return name ? contentTypeForName(name) : undefined;
}

/** The type the request or the body's metadata names (strongest first), if any. */
export function explicitTypeOf(c: Context, options: BlobResponseOptions): string | undefined {
  return (
    options.declaredType ?? typeFromName(options.name) ?? safeContentTypeHint(c.req.query('content-type'))
  );
}

/** The type the body's first bytes announce (octet-stream when none), remembered under its ETag. */
export async function sniffedTypeOf(
  options: BlobResponseOptions,
  signal: AbortSignal,
): Promise<string | ReadFailure> {
  const { handle } = options;
  const length = Math.min(SNIFF_BYTES, handle.firstRowBytes, handle.size);
  let type = OCTET_STREAM;
  if (length > 0) {
    const head = await handle.prefix(length, signal);
    if (!(head instanceof Uint8Array)) return head;
    type = sniffContentType(head) ?? OCTET_STREAM;
  }
  options.sniffedTypes?.set(options.etag, type);
  return type;
}

/** If-None-Match with weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag naming this one. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${etag}"`);
}

export function presentationHeaders(
  contentType: string,
  policy: ActiveContentPolicy,
  download: string | undefined,
) {
  const headers: Record<string, string> = {};
  const active = isActiveContent(contentType);
  if (download !== undefined) {
    headers['content-disposition'] = attachment(download);
  } else if (active && policy === 'attachment') {
    headers['content-disposition'] = 'attachment';
  }
  if (active && policy === 'sandbox') headers['content-security-policy'] = SANDBOX_CSP;
  return headers;
}

/** Content-Disposition: attachment with an ASCII fallback and the RFC 6266 / 8187 UTF-8 name. */
function attachment(name: string): string {
  const clean = name.replace(/[\r\n"\\/]/g, '_').slice(0, 200);
  if (clean === '') return 'attachment';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(clean)}`;
}

/**
 * Reads chunks until `length` bytes are in (or the stream ends) and returns them with a stream that
 * still yields everything, those chunks first.
 */
async function peek(
  stream: ReadableStream<Uint8Array>,
  length: number,
): Promise<[Uint8Array, ReadableStream<Uint8Array>]> {
  const reader = stream.getReader();
  const taken: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  do {
    const next = await reader.read();
    if (next.done) ended = true;
    else {
      taken.push(next.value);
      have += next.value.length;
    }
  } while (!ended && have < length);
  const start = concatBytes(taken);
  const rest = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const queued = taken.shift();
      if (queued) return controller.enqueue(queued);
      if (ended) return controller.close();
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return [start, rest];
}
