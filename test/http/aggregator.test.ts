// The aggregator HTTP API end to end (issue 4): one edge on an embedded devnet serves a handful of blobs
// and a quilt; a table of Range and conditional requests checks status, Content-Range, Content-Length and
// every body byte against the original data; then content types, caching, CORS, IDs, quilts, concat,
// by-object-id, the blocklist (file and admin API) and, on a dedicated edge, overload (429) and 503.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeQuilt } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconstructionLimiter } from '../../src/read/limiter.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { encodingParams } from '../../src/protocol/encoding.ts';
import { designRowBytes } from '../support/node-stats.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet, tempDir } from '../support/devnet.ts';
import {
  ADMIN_TOKEN,
  IMMUTABLE,
  call,
  concatBytes,
  expectError,
  faultAll,
  nodeRequests,
  parseByteranges,
  resetNodeStats,
  startTestEdge,
  unknownBlobId,
  unknownObjectId,
  utf8,
  waitFor,
  type Answer,
  type TestEdge,
} from './http-helpers.ts';

const N_SHARDS = 100;
const SIZE = 10_000;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Stored {
  blobId: string;
  objectId: string;
  bytes: Uint8Array;
  chain: Awaited<ReturnType<typeof storeOnDevnet>>['chain'];
  sender: string;
}

let t: TestEdge;
let url: string;
const blocklistDir = tempDir('blocklist');
const blocklistFile = join(blocklistDir.path, 'blocked.txt');
const blobs = {} as Record<
  'data' | 'empty' | 'png' | 'html' | 'svg' | 'text' | 'hostile' | 'doomed' | 'shortLived',
  Stored
>;

const quiltFiles: { identifier: string; contents: Uint8Array; tags?: Record<string, string> }[] = [
  {
    identifier: 'photo.png',
    contents: concatBytes(new Uint8Array(PNG_SIGNATURE), randomBytes(1500, 201)),
    tags: { 'content-type': 'image/avif' },
  },
  { identifier: 'docs/readme.md', contents: utf8('# Walrus\n\nA quilt patch under a folder.\n') },
  { identifier: 'page.html', contents: utf8('<!doctype html><script>alert(document.domain)</script>') },
  { identifier: 'noext', contents: concatBytes(utf8('GIF89a'), randomBytes(400, 202)) },
  { identifier: 'data.v2.json', contents: utf8('{"version":2}') },
  { identifier: 'my file é.txt', contents: utf8('unicode identifier') },
  { identifier: 'blob.bin', contents: randomBytes(6000, 203), tags: { owner: 'walrus', rev: '7' } },
  // Tags an uploader may set to break the edge: a type no header may carry, and a type list that a
  // browser would render as its last entry (HTML) outside the sandbox.
  { identifier: 'weird.txt', contents: utf8('plain text'), tags: { 'content-type': 'text/🐳' } },
  {
    identifier: 'sneaky',
    contents: utf8('<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'),
    tags: { 'content-type': 'application/x+xml, text/html' },
  },
];
let quilt: ReturnType<typeof encodeQuilt>;
let quiltId: string;
const patchIds = new Map<string, string>();
const patchUrl = (identifier: string) => `/v1/blobs/by-quilt-id/${quiltId}/${identifier}`;
const fileOf = (identifier: string) => quiltFiles.find((f) => f.identifier === identifier)!;

beforeAll(async () => {
  writeFileSync(blocklistFile, '# blocked IDs\n');
  t = await startTestEdge({ BLOCKLIST_FILE: blocklistFile, MAX_CONCURRENT_RECONSTRUCTIONS: '64' });
  url = t.edge.url;
  const contents = {
    data: { bytes: randomBytes(SIZE, 101) },
    empty: { bytes: new Uint8Array(0) },
    png: { bytes: concatBytes(new Uint8Array(PNG_SIGNATURE), randomBytes(2000, 102)) },
    html: { bytes: utf8('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>') },
    svg: { bytes: utf8('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>') },
    text: { bytes: utf8('hello, walrus\n') },
    hostile: { bytes: utf8('<html><body><script>alert(document.cookie)</script></body></html>') },
    doomed: { bytes: randomBytes(700, 104), deletable: true },
    shortLived: { bytes: randomBytes(800, 105), epochs: 1 },
  };
  await Promise.all(
    (
      Object.entries(contents) as [
        keyof typeof blobs,
        { bytes: Uint8Array; deletable?: boolean; epochs?: number },
      ][]
    ).map(async ([name, spec]) => {
      const stored = await storeOnDevnet(t.devnet, spec.bytes, {
        epochs: spec.epochs ?? 5,
        deletable: spec.deletable,
      });
      blobs[name] = { ...stored, bytes: spec.bytes };
    }),
  );
  await blobs.png.chain.setAttributes(blobs.png.objectId, blobs.png.sender, {
    'content-type': 'image/webp',
    'content-disposition': 'inline; filename="cat.webp"',
    'x-internal-note': 'not an allowed header',
  });
  // Attributes no header may carry, and a type list a browser would render as HTML outside the sandbox.
  await blobs.hostile.chain.setAttributes(blobs.hostile.objectId, blobs.hostile.sender, {
    'content-type': 'image/png, text/html',
    'content-language': 'en\u0001',
    'content-disposition': 'inline; filename="€.html"',
    link: '<https://example.com/>; rel="preload"',
  });
  quilt = encodeQuilt({ blobs: quiltFiles, numShards: N_SHARDS });
  ({ blobId: quiltId } = await storeOnDevnet(t.devnet, quilt.quilt, { epochs: 5 }));
  for (const patch of quilt.index.patches) {
    patchIds.set(
      patch.identifier,
      formatQuiltPatchId({
        quiltId: parseBlobId(quiltId),
        startIndex: patch.startIndex,
        endIndex: patch.endIndex,
      }),
    );
  }
});

afterAll(async () => {
  await t?.stop();
  blocklistDir.remove();
});

// ── HEAD (first: on a blob the edge has never read) ─────────────────────────────────────────────

describe('HEAD', () => {
  it('answers HEAD from metadata and the first bytes, not by reconstructing the blob', async () => {
    const { primarySymbols } = encodingParams(N_SHARDS);
    const data = blobs.data;
    await resetNodeStats(t.devnet);
    // The first request for this blob: nothing about it is known or cached yet.
    const head = await call(url, `/v1/blobs/${data.blobId}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SIZE));
    // It sniffed the type from the first row: exactly one sliver, counted by the nodes.
    expect(await nodeRequests(t.devnet, 'sliver')).toBe(1);
    expect(await nodeRequests(t.devnet, 'metadata')).toBeGreaterThanOrEqual(1);
    // A GET of the same blob needs its rows (here all P): HEAD really is cheaper.
    await resetNodeStats(t.devnet);
    await call(url, `/v1/blobs/${data.blobId}`);
    expect(await nodeRequests(t.devnet, 'sliver')).toBe(
      Math.min(primarySymbols, Math.ceil(SIZE / designRowBytes(SIZE, N_SHARDS))),
    );

    // Nothing to sniff when the type is given: HEAD then fetches no sliver at all.
    await resetNodeStats(t.devnet);
    const hinted = await call(url, `/v1/blobs/${data.blobId}?content-type=video/mp4`, { method: 'HEAD' });
    expect(hinted.headers.get('content-type')).toBe('video/mp4');
    expect(await nodeRequests(t.devnet, 'sliver')).toBe(0);
  });
});

// ── Range and conditional requests ──────────────────────────────────────────────────────────────

type Outcome =
  { status: 200 } | { status: 206; ranges: [number, number][] } | { status: 304 } | { status: 416 };

interface RangeCase {
  name: string;
  blob?: 'data' | 'empty';
  method?: 'GET' | 'HEAD';
  /** `$ETAG` stands for the blob's quoted ETag. */
  headers: Record<string, string>;
  expect: Outcome;
}

const whole = { status: 200 } as const;
const partial = (...ranges: [number, number][]): Outcome => ({ status: 206, ranges });
const unsatisfiable = { status: 416 } as const;
const notModified = { status: 304 } as const;
const seventeenRanges = `bytes=${Array.from({ length: 17 }, (_, i) => `${i * 10}-${i * 10}`).join(',')}`;

// One case a line: the table is the specification.
// prettier-ignore
const RANGE_CASES: RangeCase[] = [
  { name: 'no Range → the whole blob', headers: {}, expect: whole },
  { name: 'bytes=0-499 → the first 500 bytes', headers: { range: 'bytes=0-499' }, expect: partial([0, 500]) },
  { name: 'bytes=1000-1999 → a middle slice', headers: { range: 'bytes=1000-1999' }, expect: partial([1000, 2000]) },
  { name: 'bytes=0- (what <video> sends first) → 206 of all', headers: { range: 'bytes=0-' }, expect: partial([0, SIZE]) },
  { name: 'bytes=9000- → open-ended from the middle', headers: { range: 'bytes=9000-' }, expect: partial([9000, SIZE]) },
  { name: 'bytes=-500 → the last 500 bytes', headers: { range: 'bytes=-500' }, expect: partial([SIZE - 500, SIZE]) },
  { name: 'bytes=-20000 → a suffix longer than the blob is all of it', headers: { range: 'bytes=-20000' }, expect: partial([0, SIZE]) },
  { name: 'bytes=0-0 → the first byte', headers: { range: 'bytes=0-0' }, expect: partial([0, 1]) },
  { name: 'bytes=9999-9999 → the last byte', headers: { range: 'bytes=9999-9999' }, expect: partial([9999, SIZE]) },
  { name: 'bytes=-1 → the last byte by suffix', headers: { range: 'bytes=-1' }, expect: partial([SIZE - 1, SIZE]) },
  { name: 'bytes=9500-20000 → an end past the end is clamped', headers: { range: 'bytes=9500-20000' }, expect: partial([9500, SIZE]) },
  { name: 'three ranges → multipart/byteranges', headers: { range: 'bytes=0-99,5000-5099,-100' }, expect: partial([0, 100], [5000, 5100], [SIZE - 100, SIZE]) },
  { name: 'ranges out of order come back ascending', headers: { range: 'bytes=5000-5009,10-19' }, expect: partial([10, 20], [5000, 5010]) },
  { name: 'overlapping ranges are merged into one', headers: { range: 'bytes=0-99,50-149' }, expect: partial([0, 150]) },
  { name: 'adjacent ranges are merged into one', headers: { range: 'bytes=0-9,10-19' }, expect: partial([0, 20]) },
  { name: 'an overlapping suffix is merged', headers: { range: 'bytes=9000-9499,-1000' }, expect: partial([9000, SIZE]) },
  { name: 'an unsatisfiable range among good ones is dropped', headers: { range: 'bytes=0-9,20000-30000' }, expect: partial([0, 10]) },
  { name: 'unit case and whitespace are tolerated', headers: { range: 'Bytes = 0-9 , 20-29' }, expect: partial([0, 10], [20, 30]) },
  { name: 'bytes=10000- (start at the size) → 416', headers: { range: `bytes=${SIZE}-` }, expect: unsatisfiable },
  { name: 'bytes=20000-30000 (past the end) → 416', headers: { range: 'bytes=20000-30000' }, expect: unsatisfiable },
  { name: 'bytes=-0 (empty suffix) → 416', headers: { range: 'bytes=-0' }, expect: unsatisfiable },
  { name: 'several ranges all past the end → 416', headers: { range: 'bytes=10000-10001,20000-' }, expect: unsatisfiable },
  { name: 'malformed: bytes=abc → whole', headers: { range: 'bytes=abc' }, expect: whole },
  { name: 'malformed: another unit → whole', headers: { range: 'items=0-9' }, expect: whole },
  { name: 'malformed: last before first → whole', headers: { range: 'bytes=500-100' }, expect: whole },
  { name: 'malformed: empty range set → whole', headers: { range: 'bytes=' }, expect: whole },
  { name: 'malformed: bytes=1-2-3 → whole', headers: { range: 'bytes=1-2-3' }, expect: whole },
  { name: 'malformed: bytes=--5 → whole', headers: { range: 'bytes=--5' }, expect: whole },
  { name: 'malformed: one bad spec spoils the set → whole', headers: { range: 'bytes=0-9,x' }, expect: whole },
  { name: 'more than 16 ranges (amplification) → whole', headers: { range: seventeenRanges }, expect: whole },
  { name: 'If-Range with the current ETag → range honoured', headers: { range: 'bytes=0-9', 'if-range': '$ETAG' }, expect: partial([0, 10]) },
  { name: 'If-Range with a stale ETag → whole', headers: { range: 'bytes=0-9', 'if-range': '"stale"' }, expect: whole },
  { name: 'If-Range with a weak ETag never matches → whole', headers: { range: 'bytes=0-9', 'if-range': 'W/$ETAG' }, expect: whole },
  { name: 'If-Range with a date → whole', headers: { range: 'bytes=0-9', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' }, expect: whole },
  { name: 'HEAD → headers of the whole', method: 'HEAD', headers: {}, expect: whole },
  { name: 'HEAD with a Range → 206 headers', method: 'HEAD', headers: { range: 'bytes=100-199' }, expect: partial([100, 200]) },
  { name: 'HEAD with bytes=-500', method: 'HEAD', headers: { range: 'bytes=-500' }, expect: partial([SIZE - 500, SIZE]) },
  { name: 'HEAD with several ranges', method: 'HEAD', headers: { range: 'bytes=0-9,100-109' }, expect: partial([0, 10], [100, 110]) },
  { name: 'HEAD with an unsatisfiable Range → 416', method: 'HEAD', headers: { range: 'bytes=20000-' }, expect: unsatisfiable },
  { name: 'HEAD with a stale If-Range → whole', method: 'HEAD', headers: { range: 'bytes=0-9', 'if-range': '"old"' }, expect: whole },
  { name: 'If-None-Match with the ETag → 304', headers: { 'if-none-match': '$ETAG' }, expect: notModified },
  { name: 'If-None-Match with W/ (weak comparison) → 304', headers: { 'if-none-match': 'W/$ETAG' }, expect: notModified },
  { name: 'If-None-Match list holding the ETag → 304', headers: { 'if-none-match': '"a", $ETAG,"b"' }, expect: notModified },
  { name: 'If-None-Match: * → 304', headers: { 'if-none-match': '*' }, expect: notModified },
  { name: 'If-None-Match with other tags → 200', headers: { 'if-none-match': '"a", W/"b"' }, expect: whole },
  { name: 'If-None-Match with the unquoted ID does not match', headers: { 'if-none-match': '$ID' }, expect: whole },
  { name: 'If-None-Match wins over Range → 304', headers: { 'if-none-match': '$ETAG', range: 'bytes=0-9' }, expect: notModified },
  { name: 'If-None-Match not matching + Range → 206', headers: { 'if-none-match': '"x"', range: 'bytes=0-9' }, expect: partial([0, 10]) },
  { name: 'HEAD with If-None-Match → 304', method: 'HEAD', headers: { 'if-none-match': '$ETAG' }, expect: notModified },
  { name: 'zero-length: GET → 200 with no bytes', blob: 'empty', headers: {}, expect: whole },
  { name: 'zero-length: HEAD → 200, Content-Length 0', blob: 'empty', method: 'HEAD', headers: {}, expect: whole },
  { name: 'zero-length: bytes=0- → 416 bytes */0', blob: 'empty', headers: { range: 'bytes=0-' }, expect: unsatisfiable },
  { name: 'zero-length: bytes=-10 → 416', blob: 'empty', headers: { range: 'bytes=-10' }, expect: unsatisfiable },
  { name: 'zero-length: bytes=0-0 → 416', blob: 'empty', headers: { range: 'bytes=0-0' }, expect: unsatisfiable },
  { name: 'zero-length: malformed Range → 200 empty', blob: 'empty', headers: { range: 'bytes=x-' }, expect: whole },
  { name: 'zero-length: If-None-Match → 304', blob: 'empty', headers: { 'if-none-match': '$ETAG' }, expect: notModified },
];

function resolveHeaders(headers: Record<string, string>, blobId: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [
      k,
      v.replaceAll('$ETAG', `"${blobId}"`).replaceAll('$ID', blobId),
    ]),
  );
}

/** Checks an answer against the outcome a Range case expects, byte for byte. */
function checkOutcome(
  answer: Answer,
  outcome: Outcome,
  original: Uint8Array,
  etag: string,
  head: boolean,
): void {
  const size = original.length;
  expect(answer.status).toBe(outcome.status);
  expect(answer.headers.get('etag')).toBe(`"${etag}"`);
  if (head) expect(answer.body.length).toBe(0);
  switch (outcome.status) {
    case 200:
      expect(answer.headers.get('accept-ranges')).toBe('bytes');
      expect(answer.headers.get('content-range')).toBeNull();
      expect(answer.headers.get('content-length')).toBe(String(size));
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      if (!head) expect(Buffer.from(answer.body).equals(Buffer.from(original))).toBe(true);
      return;
    case 206: {
      expect(answer.headers.get('accept-ranges')).toBe('bytes');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      if (outcome.ranges.length === 1) {
        const [start, end] = outcome.ranges[0]!;
        expect(answer.headers.get('content-range')).toBe(`bytes ${start}-${end - 1}/${size}`);
        expect(answer.headers.get('content-length')).toBe(String(end - start));
        if (!head)
          expect(Buffer.from(answer.body).equals(Buffer.from(original.subarray(start, end)))).toBe(true);
        return;
      }
      const contentType = answer.headers.get('content-type') ?? '';
      expect(contentType).toMatch(/^multipart\/byteranges; boundary=/);
      expect(answer.headers.get('content-range')).toBeNull();
      if (head) return;
      expect(answer.headers.get('content-length')).toBe(String(answer.body.length));
      const parts = parseByteranges(contentType, answer.body);
      expect(parts.map((p) => [p.start, p.last + 1])).toEqual(outcome.ranges);
      for (const part of parts) {
        expect(part.size).toBe(size);
        expect(part.contentType).toBe('application/octet-stream');
        expect(
          Buffer.from(part.bytes).equals(Buffer.from(original.subarray(part.start, part.last + 1))),
        ).toBe(true);
      }
      return;
    }
    case 304:
      expect(answer.body.length).toBe(0);
      expect(answer.headers.get('content-range')).toBeNull();
      expect(answer.headers.get('cache-control')).toBe(IMMUTABLE);
      return;
    case 416:
      expect(answer.headers.get('content-range')).toBe(`bytes */${size}`);
      expect(answer.headers.get('cache-control')).not.toContain('immutable');
      if (!head) expectError(answer, 416, 'INVALID_BYTE_RANGE');
      return;
  }
}

describe('Range and conditional requests (RFC 9110) on /v1/blobs/{id}', () => {
  it.each(RANGE_CASES)('$name', async (c) => {
    const target = blobs[c.blob ?? 'data'];
    const headers = resolveHeaders(c.headers, target.blobId);
    const head = c.method === 'HEAD';
    const answer = await call(url, `/v1/blobs/${target.blobId}`, { method: c.method ?? 'GET', headers });
    checkOutcome(answer, c.expect, target.bytes, target.blobId, head);
    if (head) {
      // HEAD announces exactly what GET would send.
      const get = await call(url, `/v1/blobs/${target.blobId}`, { headers });
      expect(get.status).toBe(answer.status);
      expect(answer.headers.get('content-range')).toBe(get.headers.get('content-range'));
      if (answer.status === 200 || answer.status === 206)
        expect(answer.headers.get('content-length')).toBe(String(get.body.length));
    }
  });

  it('serves the same semantics on /v1alpha/blobs/{id}/stream and on quilt patches', async () => {
    const data = blobs.data;
    const stream = await call(url, `/v1alpha/blobs/${data.blobId}/stream`, {
      headers: { range: 'bytes=-300' },
    });
    checkOutcome(stream, partial([SIZE - 300, SIZE]), data.bytes, data.blobId, false);
    const full = await call(url, `/v1alpha/blobs/${data.blobId}/stream`);
    checkOutcome(full, whole, data.bytes, data.blobId, false);

    const file = fileOf('blob.bin');
    const patchId = patchIds.get('blob.bin')!;
    for (const path of [patchUrl('blob.bin'), `/v1/blobs/by-quilt-patch-id/${patchId}`]) {
      const ranged = await call(url, path, { headers: { range: 'bytes=100-199,5990-' } });
      checkOutcome(ranged, partial([100, 200], [5990, 6000]), file.contents, patchId, false);
      const tail = await call(url, path, { headers: { range: 'bytes=-10', 'if-range': `"${patchId}"` } });
      checkOutcome(tail, partial([5990, 6000]), file.contents, patchId, false);
      const staleByQuilt = await call(url, path, {
        headers: { range: 'bytes=-10', 'if-range': `"${quiltId}"` },
      });
      checkOutcome(staleByQuilt, whole, file.contents, patchId, false);
      const tooFar = await call(url, path, { headers: { range: 'bytes=6000-' } });
      checkOutcome(tooFar, unsatisfiable, file.contents, patchId, false);
    }
  });
});

// ── ETags, content types, caching, CORS ─────────────────────────────────────────────────────────

describe('ETags', () => {
  it('are the strong, quoted blob ID, and the patch ID (not the quilt ID) for patches', async () => {
    const blob = await call(url, `/v1/blobs/${blobs.text.blobId}`);
    expect(blob.headers.get('etag')).toBe(`"${blobs.text.blobId}"`);
    const byObject = await call(url, `/v1/blobs/by-object-id/${blobs.text.objectId}`);
    expect(byObject.headers.get('etag')).toBe(`"${blobs.text.blobId}"`);

    const etags = new Set<string>();
    for (const [identifier, patchId] of patchIds) {
      for (const path of [
        patchUrl(encodeURIComponent(identifier)),
        `/v1/blobs/by-quilt-patch-id/${patchId}`,
      ]) {
        const answer = await call(url, path, { method: 'HEAD' });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('etag')).toBe(`"${patchId}"`);
        etags.add(answer.headers.get('etag')!);
      }
      // The quilt's own ID does not validate a patch; the patch ID does.
      const byQuilt = await call(url, `/v1/blobs/by-quilt-patch-id/${patchId}`, {
        headers: { 'if-none-match': `"${quiltId}"` },
      });
      expect(byQuilt.status).toBe(200);
      const byPatch = await call(url, `/v1/blobs/by-quilt-patch-id/${patchId}`, {
        headers: { 'if-none-match': `W/"${patchId}"` },
      });
      expect(byPatch.status).toBe(304);
      expect(byPatch.headers.get('etag')).toBe(`"${patchId}"`);
    }
    expect(etags.size).toBe(quiltFiles.length);
    expect(etags.has(`"${quiltId}"`)).toBe(false);
  });
});

interface TypeCase {
  name: string;
  path: () => string;
  headers?: Record<string, string>;
  type: string;
  /** Active content: served with a sandboxing CSP. */
  sandboxed?: boolean;
}

const TYPE_CASES: TypeCase[] = [
  {
    name: 'on-chain attribute (by-object-id) beats sniffing',
    path: () => `/v1/blobs/by-object-id/${blobs.png.objectId}`,
    type: 'image/webp',
  },
  {
    name: 'on-chain attribute beats the ?content-type= hint',
    path: () => `/v1/blobs/by-object-id/${blobs.png.objectId}?content-type=image/gif`,
    type: 'image/webp',
  },
  {
    name: 'quilt patch tag beats the identifier extension and sniffing',
    path: () => patchUrl('photo.png'),
    type: 'image/avif',
  },
  {
    name: 'quilt patch tag, by patch ID',
    path: () => `/v1/blobs/by-quilt-patch-id/${patchIds.get('photo.png')}`,
    type: 'image/avif',
  },
  {
    name: 'identifier extension (in a folder)',
    path: () => patchUrl('docs/readme.md'),
    type: 'text/markdown; charset=utf-8',
  },
  {
    name: 'identifier extension beats the hint',
    path: () => `${patchUrl('docs/readme.md')}?content-type=image/png`,
    type: 'text/markdown; charset=utf-8',
  },
  {
    name: 'identifier with several dots: the last extension counts',
    path: () => patchUrl('data.v2.json'),
    type: 'application/json',
  },
  {
    name: 'the hint beats sniffing (patch without extension)',
    path: () => `${patchUrl('noext')}?content-type=image/webp`,
    type: 'image/webp',
  },
  { name: 'sniffed patch without extension', path: () => patchUrl('noext'), type: 'image/gif' },
  { name: 'sniffed blob (PNG magic)', path: () => `/v1/blobs/${blobs.png.blobId}`, type: 'image/png' },
  {
    name: 'sniffed even for a range that does not start at 0',
    path: () => `/v1/blobs/${blobs.png.blobId}`,
    headers: { range: 'bytes=100-199' },
    type: 'image/png',
  },
  {
    name: 'the hint beats sniffing (blob)',
    path: () => `/v1/blobs/${blobs.png.blobId}?content-type=image/gif`,
    type: 'image/gif',
  },
  {
    name: 'a malformed hint is ignored',
    path: () => `/v1/blobs/${blobs.png.blobId}?content-type=${encodeURIComponent('image/gif\r\nx-evil: 1')}`,
    type: 'image/png',
  },
  { name: 'plain text', path: () => `/v1/blobs/${blobs.text.blobId}`, type: 'text/plain; charset=utf-8' },
  {
    name: 'random bytes → application/octet-stream',
    path: () => `/v1/blobs/${blobs.data.blobId}`,
    type: 'application/octet-stream',
  },
  {
    name: 'zero bytes → application/octet-stream',
    path: () => `/v1/blobs/${blobs.empty.blobId}`,
    type: 'application/octet-stream',
  },
  {
    name: 'patch of random bytes → application/octet-stream',
    path: () => patchUrl('blob.bin'),
    type: 'application/octet-stream',
  },
  {
    name: 'sniffed HTML is sandboxed',
    path: () => `/v1/blobs/${blobs.html.blobId}`,
    type: 'text/html; charset=utf-8',
    sandboxed: true,
  },
  {
    name: 'sniffed SVG is sandboxed',
    path: () => `/v1/blobs/${blobs.svg.blobId}`,
    type: 'image/svg+xml',
    sandboxed: true,
  },
  {
    name: 'an HTML patch is sandboxed',
    path: () => patchUrl('page.html'),
    type: 'text/html; charset=utf-8',
    sandboxed: true,
  },
  {
    name: 'any XML type is sandboxed (XHTML script runs in it)',
    path: () => `/v1/blobs/${blobs.data.blobId}?content-type=application/rss%2Bxml`,
    type: 'application/rss+xml',
    sandboxed: true,
  },
  {
    name: 'an on-chain type list is ignored; the sniffed HTML stays sandboxed',
    path: () => `/v1/blobs/by-object-id/${blobs.hostile.objectId}`,
    type: 'text/html; charset=utf-8',
    sandboxed: true,
  },
  {
    name: 'a quilt tag type list is ignored; the sniffed HTML stays sandboxed',
    path: () => patchUrl('sneaky'),
    type: 'text/html; charset=utf-8',
    sandboxed: true,
  },
  {
    name: 'a quilt tag no header may carry falls back to the extension',
    path: () => patchUrl('weird.txt'),
    type: 'text/plain; charset=utf-8',
  },
  {
    name: 'a hint cannot lift the sandbox: ?content-type=text/html is sandboxed',
    path: () => `/v1/blobs/${blobs.data.blobId}?content-type=text/html`,
    type: 'text/html',
    sandboxed: true,
  },
];

describe('Content-Type, nosniff, sandbox and downloads', () => {
  it.each(TYPE_CASES)('$name', async (c) => {
    for (const method of ['GET', 'HEAD']) {
      const answer = await call(url, c.path(), { method, headers: c.headers });
      expect([200, 206]).toContain(answer.status);
      expect(answer.headers.get('content-type')).toBe(c.type);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      const csp = answer.headers.get('content-security-policy');
      if (c.sandboxed) {
        expect(csp).toMatch(/(^|;\s*)sandbox(;|$)/);
        expect(csp).toContain("default-src 'none'");
      } else {
        expect(csp).toBeNull();
      }
    }
  });

  it('passes allowed on-chain attributes on as headers, and no others', async () => {
    const answer = await call(url, `/v1/blobs/by-object-id/${blobs.png.objectId}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-disposition')).toBe('inline; filename="cat.webp"');
    expect(answer.headers.get('x-internal-note')).toBeNull();
    expect(answer.headers.get('x-walrus-blob-id')).toBe(blobs.png.blobId);
    expect(Buffer.from(answer.body).equals(Buffer.from(blobs.png.bytes))).toBe(true);

    // Attribute values no header may carry are dropped, not turned into a 500.
    const hostile = await call(url, `/v1/blobs/by-object-id/${blobs.hostile.objectId}`);
    expect(hostile.status).toBe(200);
    expect(hostile.headers.get('content-language')).toBeNull();
    expect(hostile.headers.get('content-disposition')).toBeNull();
    expect(hostile.headers.get('link')).toBe('<https://example.com/>; rel="preload"');
    expect(hostile.text()).toContain('<script>');
  });

  it('sends Content-Disposition: attachment for ?download=NAME, safely encoded', async () => {
    const path = `/v1/blobs/${blobs.png.blobId}`;
    const plain = await call(url, `${path}?download=report.pdf`);
    expect(plain.headers.get('content-disposition')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(plain.headers.get('content-type')).toBe('image/png');

    const unicode = await call(url, `${path}?download=${encodeURIComponent('résumé 1.pdf')}`);
    expect(unicode.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ 1.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf`,
    );

    const hostile = await call(url, `${path}?download=${encodeURIComponent('a"b\\c/d\r\nx-injected: 1')}`);
    expect(hostile.status).toBe(200);
    expect(hostile.headers.get('x-injected')).toBeNull();
    const disposition = hostile.headers.get('content-disposition')!;
    expect(disposition).toMatch(
      /^attachment; filename="[^"\\/]*"; filename\*=UTF-8''[A-Za-z0-9%._~!*'()-]*$/,
    );

    // An active type downloaded is still sandboxed should a browser render it anyway.
    const html = await call(url, `/v1/blobs/${blobs.html.blobId}?download=page.html`);
    expect(html.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
    expect(html.headers.get('content-security-policy')).toContain('sandbox');
  });
});

describe('Cache-Control', () => {
  it('is immutable for blob-ID and patch routes, short and revalidating by object ID', async () => {
    const immutablePaths = [
      `/v1/blobs/${blobs.data.blobId}`,
      `/v1alpha/blobs/${blobs.data.blobId}/stream`,
      `/v1/blobs/${blobs.data.blobId}/byte-range?start=0&length=10`,
      `/v1/blobs/by-quilt-patch-id/${patchIds.get('noext')}`,
      patchUrl('noext'),
      `/v1/quilts/${quiltId}/patches`,
    ];
    for (const path of immutablePaths) {
      const answer = await call(url, path);
      expect(answer.status, path).toBeLessThan(300);
      expect(answer.headers.get('cache-control'), path).toBe(IMMUTABLE);
    }
    const ranged = await call(url, `/v1/blobs/${blobs.data.blobId}`, { headers: { range: 'bytes=0-0' } });
    expect(ranged.headers.get('cache-control')).toBe(IMMUTABLE);

    const byObject = await call(url, `/v1/blobs/by-object-id/${blobs.data.objectId}`);
    expect(byObject.status).toBe(200);
    const policy = byObject.headers.get('cache-control')!;
    expect(policy).not.toContain('immutable');
    expect(policy).toMatch(/must-revalidate|no-cache/);
    expect(Number(/max-age=(\d+)/.exec(policy)?.[1] ?? '0')).toBeLessThanOrEqual(300);
  });

  it('keeps a 404 only a few seconds, so a just-uploaded blob is not hidden for long', async () => {
    for (const path of [
      `/v1/blobs/${unknownBlobId(1)}`,
      `/v1/blobs/by-object-id/${unknownObjectId(2)}`,
      `${patchUrl('no-such-file')}`,
      `/v1/quilts/${unknownBlobId(3)}/patches`,
    ]) {
      const answer = await call(url, path);
      expect(answer.status, path).toBe(404);
      const policy = answer.headers.get('cache-control')!;
      expect(policy).not.toContain('immutable');
      const maxAge = Number(/max-age=(\d+)/.exec(policy)?.[1]);
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(10);
    }
  });

  it('never lets a 400 or 451 be cached as immutable', async () => {
    const bad = await call(url, '/v1/blobs/not-a-blob-id');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('cache-control')).not.toContain('immutable');
  });
});

describe('CORS', () => {
  const exposed = [
    'etag',
    'content-range',
    'content-length',
    'accept-ranges',
    'x-cache',
    'x-quilt-patch-identifier',
  ];

  it('allows any origin by default and exposes the headers a player or viewer reads', async () => {
    for (const path of [
      `/v1/blobs/${blobs.data.blobId}`,
      patchUrl('noext'),
      `/v1/blobs/${unknownBlobId(4)}`,
    ]) {
      const answer = await call(url, path, {
        headers: { origin: 'https://dapp.example', range: 'bytes=0-1' },
      });
      expect(answer.headers.get('access-control-allow-origin'), path).toBe('*');
      const list = (answer.headers.get('access-control-expose-headers') ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase());
      for (const header of exposed) expect(list, `${path} exposes ${header}`).toContain(header);
    }
    const patch = await call(url, patchUrl('noext'), { headers: { origin: 'https://dapp.example' } });
    expect(patch.headers.get('x-quilt-patch-identifier')).toBe('noext');
  });

  it('answers a Range preflight', async () => {
    const answer = await call(url, `/v1/blobs/${blobs.data.blobId}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://dapp.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'range, if-none-match',
      },
    });
    expect(answer.status).toBeLessThan(300);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    const methods = (answer.headers.get('access-control-allow-methods') ?? '').toUpperCase().split(/\s*,\s*/);
    expect(methods).toEqual(expect.arrayContaining(['GET', 'HEAD']));
    const allowed = (answer.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['range', 'if-none-match']));
    expect(Number(answer.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });
});

// ── Input handling ──────────────────────────────────────────────────────────────────────────────

describe('query parameters and malformed IDs', () => {
  it('ignores unknown query parameters (cache busters)', async () => {
    const paths = [
      `/v1/blobs/${blobs.text.blobId}`,
      `/v1/blobs/by-object-id/${blobs.text.objectId}`,
      `/v1alpha/blobs/${blobs.text.blobId}/stream`,
    ];
    for (const path of paths) {
      const answer = await call(url, `${path}?cb=1700000000&utm_source=x&_=&flag`);
      expect(answer.status, path).toBe(200);
      expect(answer.text()).toBe('hello, walrus\n');
    }
    const patch = await call(url, `/v1/blobs/by-quilt-patch-id/${patchIds.get('data.v2.json')}?v=2&cb=x`);
    expect(patch.text()).toBe('{"version":2}');
    const list = await call(url, `/v1/quilts/${quiltId}/patches?cb=1`);
    expect(list.status).toBe(200);
    const range = await call(url, `/v1/blobs/${blobs.data.blobId}/byte-range?start=5&length=5&cb=9`);
    expect(Buffer.from(range.body).equals(Buffer.from(blobs.data.bytes.subarray(5, 10)))).toBe(true);
  });

  it('honours the official consistency flags and rejects contradictory ones', async () => {
    const path = `/v1/blobs/${blobs.data.blobId}`;
    for (const query of [
      'strict_consistency_check=true',
      'skip_consistency_check=true',
      'strict_consistency_check=false',
    ]) {
      const answer = await call(url, `${path}?${query}`);
      expect(answer.status, query).toBe(200);
      expect(Buffer.from(answer.body).equals(Buffer.from(blobs.data.bytes))).toBe(true);
    }
    for (const query of [
      'strict_consistency_check=true&skip_consistency_check=true',
      'skip_consistency_check=maybe',
    ]) {
      expectError(await call(url, `${path}?${query}`), 400, 'INVALID_CONSISTENCY_OPTIONS');
      expectError(
        await call(url, `/v1/blobs/by-object-id/${blobs.data.objectId}?${query}`),
        400,
        'INVALID_CONSISTENCY_OPTIONS',
      );
    }
  });

  const validQuilt = () => quiltId;
  const patchWith = (version: number, start: number, end: number) => {
    const bytes = new Uint8Array(37);
    bytes.set(parseBlobId(validQuilt()), 0);
    const view = new DataView(bytes.buffer);
    view.setUint8(32, version);
    view.setUint16(33, start, true);
    view.setUint16(35, end, true);
    return Buffer.from(bytes).toString('base64url');
  };
  const MALFORMED: [string, () => string, string][] = [
    ['a short blob ID', () => '/v1/blobs/abc', 'INVALID_BLOB_ID'],
    ['a 44-character blob ID', () => `/v1/blobs/${blobs.data.blobId}A`, 'INVALID_BLOB_ID'],
    ['a blob ID with standard base64 characters', () => `/v1/blobs/${'+'.repeat(42)}A`, 'INVALID_BLOB_ID'],
    ['a very long blob ID', () => `/v1/blobs/${'A'.repeat(4000)}`, 'INVALID_BLOB_ID'],
    ['a percent-encoded garbage blob ID', () => '/v1/blobs/%00%FF%ZZ', 'INVALID_BLOB_ID'],
    ['a blob ID on the stream route', () => '/v1alpha/blobs/xyz/stream', 'INVALID_BLOB_ID'],
    [
      'a blob ID on the byte-range route',
      () => '/v1/blobs/xyz/byte-range?start=0&length=1',
      'INVALID_BLOB_ID',
    ],
    ['an object ID without 0x', () => `/v1/blobs/by-object-id/${'a'.repeat(64)}`, 'INVALID_OBJECT_ID'],
    ['a short object ID', () => '/v1/blobs/by-object-id/0x1234', 'INVALID_OBJECT_ID'],
    [
      'an object ID with non-hex digits',
      () => `/v1/blobs/by-object-id/0x${'g'.repeat(64)}`,
      'INVALID_OBJECT_ID',
    ],
    ['a short patch ID', () => '/v1/blobs/by-quilt-patch-id/abc', 'INVALID_QUILT_PATCH_ID'],
    [
      'a blob ID where a patch ID belongs',
      () => `/v1/blobs/by-quilt-patch-id/${validQuilt()}`,
      'INVALID_QUILT_PATCH_ID',
    ],
    [
      'a patch ID of another version',
      () => `/v1/blobs/by-quilt-patch-id/${patchWith(2, 1, 2)}`,
      'INVALID_QUILT_PATCH_ID',
    ],
    [
      'a patch ID with an empty column range',
      () => `/v1/blobs/by-quilt-patch-id/${patchWith(1, 5, 5)}`,
      'INVALID_QUILT_PATCH_ID',
    ],
    ['a malformed quilt ID (by identifier)', () => '/v1/blobs/by-quilt-id/xyz/file.txt', 'INVALID_BLOB_ID'],
    ['a malformed quilt ID (patch list)', () => '/v1/quilts/xyz/patches', 'INVALID_BLOB_ID'],
  ];

  it.each(MALFORMED)('answers 400 AIP-193 for %s', async (_name, path, reason) => {
    for (const method of ['GET', 'HEAD']) {
      if (method === 'HEAD' && /byte-range|patches/.test(path())) continue;
      const answer = await call(url, path(), { method });
      expect(answer.status).toBe(400);
      if (method === 'GET') expectError(answer, 400, reason);
      expect(answer.headers.get('cache-control')).not.toContain('immutable');
    }
  });
});

// ── Routes ──────────────────────────────────────────────────────────────────────────────────────

describe('quilt routes', () => {
  it('lists patches as [{identifier, patch_id, tags}] in the quilt index order', async () => {
    const answer = await call(url, `/v1/quilts/${quiltId}/patches`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const list = answer.json();
    expect(list).toEqual(
      quilt.index.patches.map((p) => ({
        identifier: p.identifier,
        patch_id: patchIds.get(p.identifier),
        tags: fileOf(p.identifier).tags ?? {},
      })),
    );
  });

  it('serves every patch by patch ID and by identifier (dots, slashes, spaces, non-ASCII)', async () => {
    for (const file of quiltFiles) {
      const patchId = patchIds.get(file.identifier)!;
      const paths = [
        `/v1/blobs/by-quilt-patch-id/${patchId}`,
        patchUrl(encodeURIComponent(file.identifier)),
        patchUrl(file.identifier.split('/').map(encodeURIComponent).join('/')),
      ];
      for (const path of paths) {
        const answer = await call(url, path);
        expect(answer.status, path).toBe(200);
        expect(Buffer.from(answer.body).equals(Buffer.from(file.contents)), path).toBe(true);
        expect(answer.headers.get('content-length')).toBe(String(file.contents.length));
        expect(decodeURIComponent(answer.headers.get('x-quilt-patch-identifier')!)).toBe(file.identifier);
      }
    }
  });

  it('answers 404 QUILT_PATCH_NOT_FOUND for unknown identifiers and patches of unknown quilts', async () => {
    expectError(await call(url, patchUrl('missing.txt')), 404, 'QUILT_PATCH_NOT_FOUND');
    expectError(await call(url, patchUrl('docs')), 404, 'QUILT_PATCH_NOT_FOUND');
    expectError(await call(url, patchUrl('DOCS/README.MD')), 404, 'QUILT_PATCH_NOT_FOUND');
    const stranger = formatQuiltPatchId({
      quiltId: parseBlobId(unknownBlobId(5)),
      startIndex: 1,
      endIndex: 2,
    });
    expect((await call(url, `/v1/blobs/by-quilt-patch-id/${stranger}`)).status).toBe(404);
    expect((await call(url, `/v1/blobs/by-quilt-id/${unknownBlobId(6)}/a.txt`)).status).toBe(404);
    // A blob that is not a quilt has no patches.
    expect((await call(url, `/v1/quilts/${blobs.data.blobId}/patches`)).status).toBe(404);
  });
});

describe('byte-range route', () => {
  it('returns [start, start + length) as 200 with an ETag per range, as the official route does', async () => {
    for (const [start, length] of [
      [0, 1],
      [123, 4567],
      [SIZE - 1, 1],
      [0, SIZE],
    ] as const) {
      const answer = await call(
        url,
        `/v1/blobs/${blobs.data.blobId}/byte-range?start=${start}&length=${length}`,
      );
      // The official aggregator answers 200 (its spec documents only 200) with `{blobId}-{start}-{length}`
      // as ETag, so a CDN caches each range as an object of its own.
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-length')).toBe(String(length));
      expect(answer.headers.get('content-range')).toBeNull();
      expect(answer.headers.get('etag')).toBe(`"${blobs.data.blobId}-${start}-${length}"`);
      expect(
        Buffer.from(answer.body).equals(Buffer.from(blobs.data.bytes.subarray(start, start + length))),
      ).toBe(true);
    }
  });

  it('rejects bad parameters with 400 INVALID_BYTE_RANGE, as the official route does', async () => {
    for (const query of [
      'start=0&length=0',
      'start=-1&length=5',
      'start=abc&length=5',
      'start=1.5&length=5',
      'length=5',
      'start=0',
      '',
      `start=${SIZE - 1}&length=2`,
      `start=${SIZE}&length=1`,
      'start=9007199254740991&length=9007199254740991',
    ]) {
      const answer = await call(url, `/v1/blobs/${blobs.data.blobId}/byte-range?${query}`);
      expectError(answer, 400, 'INVALID_BYTE_RANGE');
    }
    expectError(
      await call(url, `/v1/blobs/${unknownBlobId(7)}/byte-range?start=0&length=1`),
      404,
      'BLOB_NOT_FOUND',
    );
  });
});

describe('concat', () => {
  const expected = (...names: (keyof typeof blobs)[]) => concatBytes(...names.map((n) => blobs[n].bytes));

  it('streams blobs back to back in the order asked, by blob ID or object ID (GET and POST)', async () => {
    const ids = [
      blobs.text.blobId,
      blobs.png.objectId,
      blobs.empty.blobId,
      blobs.data.blobId,
      blobs.text.blobId,
    ];
    const want = expected('text', 'png', 'empty', 'data', 'text');
    const get = await call(url, `/v1alpha/blobs/concat?ids=${ids.join(',')}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-length')).toBe(String(want.length));
    expect(Buffer.from(get.body).equals(Buffer.from(want))).toBe(true);

    const post = await call(url, '/v1alpha/blobs/concat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [...ids].reverse(), strict_consistency_check: null }),
    });
    expect(post.status).toBe(200);
    expect(Buffer.from(post.body).equals(Buffer.from(expected('text', 'data', 'empty', 'png', 'text')))).toBe(
      true,
    );

    const spaced = await call(
      url,
      `/v1alpha/blobs/concat?ids=${blobs.text.blobId},%20${blobs.text.blobId},&cb=1`,
    );
    expect(spaced.text()).toBe('hello, walrus\nhello, walrus\n');
  });

  it('answers 404 for an unknown ID and 400 for malformed input, before sending any byte', async () => {
    expectError(await call(url, `/v1alpha/blobs/concat?ids=${blobs.text.blobId},${unknownBlobId(8)}`), 404);
    expectError(await call(url, `/v1alpha/blobs/concat?ids=${unknownObjectId(9)}`), 404, 'BLOB_NOT_FOUND');
    expectError(
      await call(url, `/v1alpha/blobs/concat?ids=${blobs.text.blobId},nope`),
      400,
      'INVALID_BLOB_ID',
    );
    expectError(await call(url, '/v1alpha/blobs/concat'), 400);
    expectError(await call(url, '/v1alpha/blobs/concat?ids=,,'), 400);
    expectError(
      await call(
        url,
        `/v1alpha/blobs/concat?ids=${blobs.text.blobId}&strict_consistency_check=true&skip_consistency_check=true`,
      ),
      400,
      'INVALID_CONSISTENCY_OPTIONS',
    );
    const post = (body: string) =>
      call(url, '/v1alpha/blobs/concat', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    expectError(await post('not json'), 400);
    expectError(await post('{"ids":[]}'), 400);
    expectError(await post('{"ids":"a,b"}'), 400);
    expectError(await post(JSON.stringify({ ids: Array(101).fill(blobs.text.blobId) })), 400);
    expectError(await post(JSON.stringify({ ids: [blobs.text.blobId, unknownBlobId(10)] })), 404);
    expectError(
      await post(
        JSON.stringify({
          ids: [blobs.text.blobId],
          strict_consistency_check: true,
          skip_consistency_check: true,
        }),
      ),
      400,
      'INVALID_CONSISTENCY_OPTIONS',
    );
  });
});

describe('by-object-id', () => {
  it('serves a live Blob object with its blob ID as ETag, lower- or upper-case hex', async () => {
    for (const objectId of [blobs.data.objectId, `0x${blobs.data.objectId.slice(2).toUpperCase()}`]) {
      const answer = await call(url, `/v1/blobs/by-object-id/${objectId}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-walrus-blob-id')).toBe(blobs.data.blobId);
      expect(Buffer.from(answer.body).equals(Buffer.from(blobs.data.bytes))).toBe(true);
    }
    const head = await call(url, `/v1/blobs/by-object-id/${blobs.data.objectId}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(SIZE));
    expect(head.body.length).toBe(0);
    const ranged = await call(url, `/v1/blobs/by-object-id/${blobs.data.objectId}`, {
      headers: { range: 'bytes=-10' },
    });
    checkOutcome(ranged, partial([SIZE - 10, SIZE]), blobs.data.bytes, blobs.data.blobId, false);
  });

  it('answers 404 once a deletable blob object is deleted', async () => {
    const { doomed } = blobs;
    expect((await call(url, `/v1/blobs/by-object-id/${doomed.objectId}`)).status).toBe(200);
    await doomed.chain.deleteBlob(doomed.objectId, doomed.sender);
    expectError(await call(url, `/v1/blobs/by-object-id/${doomed.objectId}`), 404, 'BLOB_NOT_FOUND');
    expect((await call(url, `/v1/blobs/by-object-id/${doomed.objectId}`, { method: 'HEAD' })).status).toBe(
      404,
    );
    expectError(await call(url, `/v1alpha/blobs/concat?ids=${doomed.objectId}`), 404);
  });
});

// ── Blocklist and admin API ─────────────────────────────────────────────────────────────────────

describe('blocklist', () => {
  /** `null`: no Authorization header at all. */
  const admin = (method: string, path: string, token: string | null = ADMIN_TOKEN) =>
    call(url, `/v1/admin/blocklist${path}`, {
      method,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  it('refuses the admin API without the right bearer token (401)', async () => {
    const id = blobs.text.blobId;
    for (const [method, path] of [
      ['GET', ''],
      ['PUT', `/${id}`],
      ['DELETE', `/${id}`],
    ] as const) {
      for (const token of [
        null,
        '',
        'wrong-token-of-some-length',
        ADMIN_TOKEN.slice(0, -1),
        `${ADMIN_TOKEN}x`,
      ]) {
        const answer = await admin(method, path, token);
        expect(answer.status, `${method} ${path} with ${token}`).toBe(401);
        expectError(answer, 401, 'UNAUTHENTICATED');
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      const basic = await call(url, `/v1/admin/blocklist${path}`, {
        method,
        headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      });
      expect(basic.status).toBe(401);
    }
    // Nothing was blocked by the refused calls.
    expect((await call(url, `/v1/blobs/${id}`)).status).toBe(200);
    expectError(await admin('PUT', '/not-an-id'), 400);
  });

  it('blocks and unblocks a blob ID through the admin API (451 FORBIDDEN_BLOB on every route)', async () => {
    const { text } = blobs;
    const put = await admin('PUT', `/${text.blobId}`);
    expect(put.status).toBe(200);
    expect(put.json()).toEqual({ blocked: text.blobId });
    expect(((await admin('GET', '')).json() as { ids: string[] }).ids).toContain(text.blobId);
    for (const [method, path] of [
      ['GET', `/v1/blobs/${text.blobId}`],
      ['HEAD', `/v1/blobs/${text.blobId}`],
      ['GET', `/v1alpha/blobs/${text.blobId}/stream`],
      ['GET', `/v1/blobs/${text.blobId}/byte-range?start=0&length=1`],
      ['GET', `/v1/blobs/by-object-id/${text.objectId}`],
      ['GET', `/v1alpha/blobs/concat?ids=${blobs.data.blobId},${text.blobId}`],
    ] as const) {
      const answer = await call(url, path, { method });
      expect(answer.status, path).toBe(451);
      if (method === 'GET') expectError(answer, 451, 'FORBIDDEN_BLOB');
      expect(answer.headers.get('cache-control')).not.toContain('immutable');
    }
    const del = await admin('DELETE', `/${text.blobId}`);
    expect(del.status).toBe(204);
    expect(((await admin('GET', '')).json() as { ids: string[] }).ids).not.toContain(text.blobId);
    expect((await call(url, `/v1/blobs/${text.blobId}`)).text()).toBe('hello, walrus\n');
  });

  it('blocks a quilt (all its patches), a single patch, or an object ID', async () => {
    expect((await admin('PUT', `/${quiltId}`)).status).toBe(200);
    for (const path of [
      patchUrl('noext'),
      `/v1/blobs/by-quilt-patch-id/${patchIds.get('noext')}`,
      `/v1/quilts/${quiltId}/patches`,
      `/v1/blobs/${quiltId}`,
    ]) {
      expectError(await call(url, path), 451, 'FORBIDDEN_BLOB');
    }
    expect((await admin('DELETE', `/${quiltId}`)).status).toBe(204);

    const patchId = patchIds.get('page.html')!;
    expect((await admin('PUT', `/${patchId}`)).status).toBe(200);
    expectError(await call(url, `/v1/blobs/by-quilt-patch-id/${patchId}`), 451, 'FORBIDDEN_BLOB');
    expect((await call(url, `/v1/blobs/by-quilt-patch-id/${patchIds.get('noext')}`)).status).toBe(200);
    expect((await admin('DELETE', `/${patchId}`)).status).toBe(204);
    expect((await call(url, `/v1/blobs/by-quilt-patch-id/${patchId}`)).status).toBe(200);

    const { data } = blobs;
    expect((await admin('PUT', `/${data.objectId}`)).status).toBe(200);
    expectError(await call(url, `/v1/blobs/by-object-id/${data.objectId}`), 451, 'FORBIDDEN_BLOB');
    expectError(
      await call(url, `/v1/blobs/by-object-id/0x${data.objectId.slice(2).toUpperCase()}`),
      451,
      'FORBIDDEN_BLOB',
    );
    expectError(await call(url, `/v1alpha/blobs/concat?ids=${data.objectId}`), 451, 'FORBIDDEN_BLOB');
    expect((await call(url, `/v1/blobs/${data.blobId}`, { method: 'HEAD' })).status).toBe(200);
    expect((await admin('DELETE', `/${data.objectId}`)).status).toBe(204);
    expect((await call(url, `/v1/blobs/by-object-id/${data.objectId}`, { method: 'HEAD' })).status).toBe(200);
  });

  it('re-reads the blocklist file when it changes', async () => {
    const { svg } = blobs;
    const status = async () => (await call(url, `/v1/blobs/${svg.blobId}`, { method: 'HEAD' })).status;
    expect(await status()).toBe(200);
    writeFileSync(blocklistFile, `# blocked by hand\n\n${svg.blobId}   # abuse report 17\n`);
    expect(await waitFor(async () => (await status()) === 451, 4000)).toBe(true);
    expectError(await call(url, `/v1/blobs/${svg.blobId}`), 451, 'FORBIDDEN_BLOB');
    expect(((await admin('GET', '')).json() as { ids: string[] }).ids).toEqual([svg.blobId]);
    writeFileSync(blocklistFile, '');
    expect(await waitFor(async () => (await status()) === 200, 4000)).toBe(true);
  });
});

// ── Limiter (unit) and overload on a dedicated edge ─────────────────────────────────────────────

describe('reconstruction limiter', () => {
  it('caps concurrency, queues in order up to its bound, and refuses beyond it', async () => {
    const limiter = reconstructionLimiter(1, 2);
    const first = await limiter.acquire();
    expect(first).toBeTypeOf('function');
    const order: string[] = [];
    const second = limiter.acquire().then((release) => (order.push('second'), release));
    const third = limiter.acquire().then((release) => (order.push('third'), release));
    expect(await limiter.acquire()).toBeUndefined();
    expect([limiter.active, limiter.queued]).toEqual([1, 2]);
    first!();
    first!(); // a second release of the same slot is a no-op
    const releaseSecond = await second;
    expect(order).toEqual(['second']);
    expect([limiter.active, limiter.queued]).toEqual([1, 1]);
    releaseSecond!();
    (await third)!();
    expect(order).toEqual(['second', 'third']);
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it('drops a queued request whose client went away', async () => {
    const limiter = reconstructionLimiter(1, 1);
    const first = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    expect(limiter.queued).toBe(1);
    controller.abort();
    expect(await waiting).toBeUndefined();
    expect(limiter.queued).toBe(0);
    first!();
    expect(limiter.active).toBe(0);
  });
});

describe('overload and unavailability (dedicated edge)', () => {
  let busy: TestEdge;
  let stored: Stored;
  let otherId: string;
  let htmlId: string;
  const ORIGIN = 'https://app.example';

  beforeAll(async () => {
    busy = await startTestEdge({
      MAX_CONCURRENT_RECONSTRUCTIONS: '1',
      MAX_QUEUED_RECONSTRUCTIONS: '0',
      CORS_ORIGINS: ORIGIN,
      HEDGE_DELAY_MS: '5000',
      ACTIVE_CONTENT: 'attachment',
    });
    const bytes = randomBytes(3000, 301);
    stored = { ...(await storeOnDevnet(busy.devnet, bytes, { epochs: 5 })), bytes };
    ({ blobId: otherId } = await storeOnDevnet(busy.devnet, randomBytes(3000, 302), { epochs: 5 }));
    ({ blobId: htmlId } = await storeOnDevnet(busy.devnet, utf8('<!doctype html><script>1</script>'), {
      epochs: 5,
    }));
  });
  afterAll(async () => {
    await busy?.stop();
  });

  it('answers 429 with Retry-After beyond the cap, keeps answering cheap requests, and recovers', async () => {
    const base = busy.edge.url;
    const reconstructions = async () =>
      ((await call(base, '/status')).json() as { reconstructions: { active: number; queued: number } })
        .reconstructions;
    await faultAll(busy.devnet, 'slow', 1500);
    try {
      const first = call(base, `/v1/blobs/${stored.blobId}`, { timeoutMs: 30_000 });
      expect(await waitFor(async () => (await reconstructions()).active === 1, 5000)).toBe(true);

      // Another request for the blob being reconstructed joins that reconstruction: no slot, no 429.
      const joined = call(base, `/v1/blobs/${stored.blobId}`, { timeoutMs: 30_000 });
      // Any other blob needs a slot of its own.
      for (const [method, path] of [
        ['GET', `/v1/blobs/${otherId}`],
        ['HEAD', `/v1/blobs/${otherId}`],
        [
          'GET',
          `/v1/blobs/by-quilt-patch-id/${formatQuiltPatchId({ quiltId: parseBlobId(otherId), startIndex: 1, endIndex: 2 })}`,
        ],
        ['GET', `/v1alpha/blobs/concat?ids=${otherId}`],
        ['GET', `/v1/blobs/${otherId}/byte-range?start=0&length=10`],
      ] as const) {
        const answer = await call(base, path, { method, headers: { origin: ORIGIN } });
        expect(answer.status, `${method} ${path}`).toBe(429);
        if (method === 'GET') expectError(answer, 429, 'TOO_MANY_RECONSTRUCTIONS');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(answer.headers.get('cache-control')).toBe('no-store');
        // A browser script may read the 429 and its Retry-After.
        expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      }
      // Requests that reconstruct nothing are not held up.
      expect((await call(base, '/status')).status).toBe(200);
      expectError(await call(base, '/v1/blobs/bad-id'), 400, 'INVALID_BLOB_ID');
      expect(await reconstructions()).toEqual({ active: 1, queued: 0 });

      for (const done of [await first, await joined]) {
        expect(done.status).toBe(200);
        expect(Buffer.from(done.body).equals(Buffer.from(stored.bytes))).toBe(true);
      }
    } finally {
      await faultAll(busy.devnet, 'ok');
    }
    expect(await waitFor(async () => (await reconstructions()).active === 0, 3000)).toBe(true);
    const after = await call(base, `/v1/blobs/${stored.blobId}`);
    expect(after.status).toBe(200);
    expect(Buffer.from(after.body).equals(Buffer.from(stored.bytes))).toBe(true);
  });

  it('only lets the configured origins read answers', async () => {
    const base = busy.edge.url;
    const allowed = await call(base, `/v1/blobs/${stored.blobId}`, {
      method: 'HEAD',
      headers: { origin: ORIGIN },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const other = await call(base, `/v1/blobs/${stored.blobId}`, {
      method: 'HEAD',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves active content as an attachment when ACTIVE_CONTENT=attachment', async () => {
    const html = await call(busy.edge.url, `/v1/blobs/${htmlId}`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-disposition')).toBe('attachment');
    expect(html.headers.get('content-security-policy')).toBeNull();
    const named = await call(busy.edge.url, `/v1/blobs/${htmlId}?download=a.html`);
    expect(named.headers.get('content-disposition')).toMatch(/^attachment; filename="a.html"/);
    const passive = await call(busy.edge.url, `/v1/blobs/${stored.blobId}`, { method: 'HEAD' });
    expect(passive.headers.get('content-disposition')).toBeNull();
  });

  it('answers 503 BLOB_UNAVAILABLE when metadata is fine but no sliver verifies', async () => {
    const base = busy.edge.url;
    // A blob this edge has never read: a cached one would (rightly) be served from memory.
    const fresh = await storeOnDevnet(busy.devnet, randomBytes(9_000, 91));
    await faultAll(busy.devnet, 'corrupt-slivers');
    try {
      for (const range of [undefined, 'bytes=100-199', 'bytes=0-9,2000-2009']) {
        const answer = await call(base, `/v1/blobs/${fresh.blobId}`, { headers: range ? { range } : {} });
        expectError(answer, 503, 'BLOB_UNAVAILABLE');
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
    } finally {
      await faultAll(busy.devnet, 'ok');
    }
    const healed = await call(base, `/v1/blobs/${fresh.blobId}`);
    expect(Buffer.from(healed.body).equals(Buffer.from(randomBytes(9_000, 91)))).toBe(true);
  });

  it('answers 503 BLOB_UNAVAILABLE, never cached, when the nodes are down', async () => {
    const base = busy.edge.url;
    const fresh = await storeOnDevnet(busy.devnet, randomBytes(9_000, 93));
    await faultAll(busy.devnet, 'down');
    try {
      for (const path of [`/v1/blobs/${fresh.blobId}`, `/v1/blobs/by-quilt-id/${fresh.blobId}/x`]) {
        const answer = await call(base, path);
        expectError(answer, 503, 'BLOB_UNAVAILABLE');
        expect(answer.headers.get('cache-control')).toBe('no-store');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    } finally {
      await faultAll(busy.devnet, 'ok');
    }
    expect((await call(base, `/v1/blobs/${fresh.blobId}`)).status).toBe(200);
  });
});

// Last: advancing the epoch changes the devnet for everything after it.
describe('expiry', () => {
  it('answers 404 for an expired blob object', async () => {
    const { shortLived } = blobs;
    expect((await call(url, `/v1/blobs/by-object-id/${shortLived.objectId}`)).status).toBe(200);
    const next = t.devnet.ledger.advanceEpoch();
    // The edge learns epochs from Sui (here the devnet's endpoint) within its poll interval.
    const epochNow = async () => ((await call(url, '/status')).json() as { epoch: number }).epoch;
    expect(await waitFor(async () => (await epochNow()) >= next, 10_000)).toBe(true);
    expectError(await call(url, `/v1/blobs/by-object-id/${shortLived.objectId}`), 404, 'BLOB_NOT_FOUND');
    // Longer-lived objects are untouched.
    expect(
      (await call(url, `/v1/blobs/by-object-id/${blobs.data.objectId}`, { method: 'HEAD' })).status,
    ).toBe(200);
  });
});
