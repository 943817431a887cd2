// Property tests (fast-check) against a running edge: random paths, query strings, methods, bodies and
// conditional/Range headers. Whatever arrives, the edge answers in time, never with a 5xx other than
// 503 BLOB_UNAVAILABLE, every error body is well-formed AIP-193, and on real blobs every byte it sends
// is the byte the Range (or its absence) asked for.
import { encodeQuilt } from '@mysten/walrus';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import {
  aip193Problems,
  parseByteranges,
  startTestEdge,
  unknownBlobId,
  unknownObjectId,
  utf8,
  type TestEdge,
} from './http-helpers.ts';

const NUM_RUNS = 150;
const REQUEST_TIMEOUT_MS = 5000;
const SIZE = 3000;
const data = randomBytes(SIZE, 501);
const patchFiles = [
  { identifier: 'a.txt', contents: utf8('first patch') },
  { identifier: 'dir/b.bin', contents: randomBytes(1500, 502) },
];

let t: TestEdge;
let base: string;
let blob: { blobId: string; objectId: string };
let emptyId: string;
let quiltId: string;
const patchIds: string[] = [];

beforeAll(async () => {
  t = await startTestEdge();
  base = t.edge.url;
  blob = await storeOnDevnet(t.devnet, data, { epochs: 3 });
  ({ blobId: emptyId } = await storeOnDevnet(t.devnet, new Uint8Array(0), { epochs: 3 }));
  const layout = encodeQuilt({ blobs: patchFiles, numShards: 100 });
  ({ blobId: quiltId } = await storeOnDevnet(t.devnet, layout.quilt, { epochs: 3 }));
  for (const p of layout.index.patches)
    patchIds.push(
      formatQuiltPatchId({ quiltId: parseBlobId(quiltId), startIndex: p.startIndex, endIndex: p.endIndex }),
    );
});
afterAll(async () => {
  await t?.stop();
});

// ── Generators ──────────────────────────────────────────────────────────────────────────────────

const B64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const PRINTABLE = [...Array(95).keys()].map((i) => String.fromCharCode(0x20 + i)).concat('\t');
const b64 = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...B64URL), minLength, maxLength });
/** Header-safe text (fetch refuses CR, LF, NUL and non-Latin-1). */
const printable = (maxLength: number) => fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength });
const percentBytes = fc
  .uint8Array({ maxLength: 24 })
  .map((bytes) => Array.from(bytes, (b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join(''));
const known = () => [
  blob.blobId,
  blob.objectId,
  emptyId,
  quiltId,
  ...patchIds,
  unknownBlobId(11),
  unknownObjectId(12),
];
const mutate = (ids: string[]) =>
  fc
    .tuple(
      fc.constantFrom(...ids),
      fc.nat(),
      fc.constantFrom(...B64URL),
      fc.constantFrom('flip', 'cut', 'grow'),
    )
    .map(([id, at, char, how]) => {
      const i = at % id.length;
      if (how === 'cut') return id.slice(0, i);
      if (how === 'grow') return `${id}${char}`;
      return `${id.slice(0, i)}${char}${id.slice(i + 1)}`;
    });
const segment = () =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known()) },
    { weight: 3, arbitrary: mutate(known()) },
    b64(0, 60),
    b64(43, 43),
    b64(50, 50),
    fc.stringMatching(/^0x[0-9a-fA-F]{0,70}$/),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
    fc.string({ unit: 'binary-ascii', maxLength: 20 }).map(encodeURIComponent),
    percentBytes,
    fc.integer({ min: 100, max: 6000 }).map((n) => 'A'.repeat(n)),
    fc.constantFrom(
      '',
      '.',
      '..',
      '%2F',
      '%2e%2e%2f',
      '%00',
      '%',
      '%ZZ',
      '%E0%A4%A',
      '~',
      ';',
      '@',
      ':',
      '%20',
      '+',
    ),
  );
/** IDs of the kind each route takes. */
const idsOfKind = (): Record<string, string[]> => ({
  blob: [blob.blobId, emptyId, quiltId, unknownBlobId(11)],
  object: [blob.objectId, unknownObjectId(12)],
  patch: patchIds,
  quilt: [quiltId, unknownBlobId(13)],
  name: ['a.txt', 'dir/b.bin', 'dir%2Fb.bin', 'missing.txt'],
});
/** A value for a route's slot: mostly one of the right kind (as is or mutated), else anything. */
const slot = (kind: string) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...idsOfKind()[kind]!) },
    { weight: 2, arbitrary: mutate(idsOfKind()[kind]!) },
    { weight: 3, arbitrary: segment() },
  );
const ROUTES = [
  '/v1/blobs/{blob}',
  '/v1/blobs/{blob}/byte-range',
  '/v1alpha/blobs/{blob}/stream',
  '/v1/blobs/by-object-id/{object}',
  '/v1/blobs/by-quilt-patch-id/{patch}',
  '/v1/blobs/by-quilt-id/{quilt}/{name}',
  '/v1/quilts/{quilt}/patches',
  '/v1alpha/blobs/concat',
  '/v1/admin/blocklist/{blob}',
  '/v1/admin/blocklist',
];
const PREFIXES = ['/v1/blobs/', '/v1/blobs/by-quilt-id/', '/v1/quilts/', '/v1alpha/blobs/', '/v1/', '/'];
const SUFFIXES = ['', '/', '/byte-range', '/stream', '/patches', '/a.txt', '/dir/b.bin', '/x/y.z'];
const routePath = () =>
  fc.constantFrom(...ROUTES).chain((route) => {
    const kinds = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    return fc
      .tuple(...kinds.map(slot))
      .map((values) => values.reduce<string>((p, value, i) => p.replace(`{${kinds[i]}}`, value), route));
  });
const path = () =>
  fc.oneof(
    { weight: 6, arbitrary: routePath() },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...PREFIXES), segment(), fc.constantFrom(...SUFFIXES))
        .map(([prefix, s, suffix]) => `${prefix}${s}${suffix}`),
    },
    { weight: 1, arbitrary: fc.array(segment(), { maxLength: 5 }).map((parts) => `/${parts.join('/')}`) },
  );
const QUERY_KEYS = [
  'start',
  'length',
  'ids',
  'content-type',
  'download',
  'strict_consistency_check',
  'skip_consistency_check',
  'cb',
  '_',
  '',
];
const queryValue = () =>
  fc.oneof(
    fc.constantFrom(
      'true',
      'false',
      '1',
      '0',
      '',
      '-1',
      '1.5',
      'NaN',
      '1e309',
      '9007199254740993',
      'text/html',
    ),
    fc.nat({ max: 2 * SIZE }).map(String),
    fc.array(fc.constantFrom(...known()), { maxLength: 4 }).map((ids) => ids.join(',')),
    fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent),
    percentBytes,
  );
const IMAGE_OPTIONS = ['w', 'h', 'fit', 'format', 'q', 'dpr'];
const query = () =>
  fc
    .array(
      fc.tuple(
        // Image options (src/media/) are known parameters with checks of their own, tested in test/media/.
        fc.oneof(
          fc.constantFrom(...QUERY_KEYS),
          b64(1, 8).filter((key) => !IMAGE_OPTIONS.includes(key)),
        ),
        queryValue(),
      ),
      { maxLength: 5 },
    )
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

// Range headers: structured ones carry the bytes they ask for (an oracle); garbage ones only promise
// a consistent answer.
type Spec =
  { kind: 'ab'; a: string; b: string } | { kind: 'open'; a: string } | { kind: 'suffix'; n: string };
const num = fc.oneof(
  fc.nat({ max: SIZE + 10 }).map(String),
  fc.constantFrom(String(SIZE - 1), String(SIZE), String(SIZE + 1), '0', '99999999999999999999', '007'),
);
const spec: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(num, num)
      .map(([a, b]) =>
        Number(a) <= Number(b) ? { kind: 'ab' as const, a, b } : { kind: 'ab' as const, a: b, b: a },
      ),
  },
  { weight: 1, arbitrary: fc.tuple(num, num).map(([a, b]) => ({ kind: 'ab' as const, a, b })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat({ max: SIZE }), fc.nat({ max: 64 }))
      .map(([a, span]) => ({ kind: 'ab' as const, a: String(a), b: String(a + span) })),
  },
  { weight: 2, arbitrary: num.map((a) => ({ kind: 'open' as const, a })) },
  { weight: 2, arbitrary: num.map((n) => ({ kind: 'suffix' as const, n })) },
);
const specText = (s: Spec) => (s.kind === 'ab' ? `${s.a}-${s.b}` : s.kind === 'open' ? `${s.a}-` : `-${s.n}`);
interface RangeHeader {
  header?: string;
  /** Structured and valid: the specs it holds; undefined: ignore-or-garbage. */
  specs?: Spec[];
}
const rangeHeader: fc.Arbitrary<RangeHeader> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({}) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('bytes', 'BYTES', 'Bytes'),
        fc.constantFrom('=', ' = '),
        fc.oneof(
          { weight: 6, arbitrary: fc.array(spec, { minLength: 1, maxLength: 4 }) },
          { weight: 1, arbitrary: fc.array(spec, { minLength: 5, maxLength: 18 }) },
        ),
        fc.constantFrom(',', ', ', ' , '),
      )
      .map(([unit, eq, specs, sep]) => ({ header: `${unit}${eq}${specs.map(specText).join(sep)}`, specs })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(printable(40), fc.array(spec, { maxLength: 3 })).map(([junk, specs]) => ({
      header: `${junk}${specs.map(specText).join(',')}`,
    })),
  },
);
const etagHeader = (etag: () => string) =>
  fc
    .oneof(
      { weight: 10, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constantFrom('$ETAG', 'W/$ETAG', '*', '"other", $ETAG') },
      { weight: 1, arbitrary: fc.constantFrom('"stale"', 'W/"stale"', 'Wed, 21 Oct 2015 07:28:00 GMT') },
      { weight: 1, arbitrary: printable(50) },
    )
    .map((value) => value?.replaceAll('$ETAG', `"${etag()}"`));

/** The union of the byte ranges a valid, structured header asks for, merged; undefined = whole body. */
function expectedCoverage(specs: Spec[], size: number): [number, number][] | undefined {
  if (specs.length > 16) return undefined;
  const ranges: [number, number][] = [];
  for (const s of specs) {
    if (s.kind === 'ab') {
      if (Number(s.b) < Number(s.a)) return undefined;
      if (Number(s.a) < size) ranges.push([Number(s.a), Math.min(size, Number(s.b) + 1)]);
    } else if (s.kind === 'open') {
      if (Number(s.a) < size) ranges.push([Number(s.a), size]);
    } else if (Number(s.n) > 0 && size > 0) {
      ranges.push([Math.max(0, size - Number(s.n)), size]);
    }
  }
  return merge(ranges);
}

function merge(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

// ── Checks shared by the properties ─────────────────────────────────────────────────────────────

interface Sent {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

async function send(url: string, init: RequestInit): Promise<Sent> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new Error(`${init.method ?? 'GET'} ${url.slice(0, 300)}: no answer (${String(error)})`, {
      cause: error,
    });
  }
  return {
    status: response.status,
    headers: response.headers,
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

/** The edge's promises for any answer: no 5xx but 503 BLOB_UNAVAILABLE, errors as AIP-193, no traces. */
async function checkAnyAnswer(url: string, method: string, sent: Sent): Promise<void> {
  const context = `${method} ${url.slice(0, 200)} → ${sent.status}`;
  const text = new TextDecoder().decode(sent.body);
  expect(text, context).not.toMatch(/\n\s+at .+:\d+:\d+/);
  if (sent.status >= 500) {
    expect(sent.status, context).toBe(503);
    const get = method === 'GET' ? sent : await send(url, { method: 'GET' });
    if (get.status === 503) {
      const body = JSON.parse(new TextDecoder().decode(get.body)) as {
        error: { details: { reason: string }[] };
      };
      expect(body.error.details[0]!.reason, context).toBe('BLOB_UNAVAILABLE');
    }
  }
  // Node itself answers 431 (headers or URL too large) before the app sees the request.
  if (sent.status >= 400 && sent.status !== 431 && method !== 'HEAD') {
    expect(sent.headers.get('content-type'), context).toMatch(/^application\/json/);
    expect(aip193Problems(JSON.parse(text), sent.status), context).toEqual([]);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

// ── Properties ──────────────────────────────────────────────────────────────────────────────────

/** Statuses each property saw: a property whose generators never reach an outcome proves nothing about it. */
const seen = { any: new Set<number>(), ranges: new Set<number>(), query: new Set<number>() };

describe('fuzzing the edge (fast-check)', () => {
  it('answers any method, path, query, header and body in time, without a 500, with AIP-193 errors', async () => {
    const request = fc.record({
      method: fc.constantFrom(
        ...'GET GET GET GET GET GET HEAD HEAD POST PUT DELETE OPTIONS PATCH'.split(' '),
      ),
      path: path(),
      query: query(),
      range: fc.option(
        fc.oneof(
          rangeHeader.map((r) => r.header ?? 'bytes=0-'),
          printable(40),
        ),
        { nil: undefined },
      ),
      ifNoneMatch: fc.option(printable(60), { nil: undefined }),
      ifRange: fc.option(printable(60), { nil: undefined }),
      accept: fc.option(
        fc.oneof(fc.constantFrom('application/json', '*/*', 'image/*', 'text/html'), printable(40)),
        {
          nil: undefined,
        },
      ),
      authorization: fc.option(
        printable(60).map((s) => `Bearer ${s}`),
        { nil: undefined },
      ),
      body: fc.option(
        fc.oneof(
          printable(200),
          fc.json(),
          fc
            .array(fc.oneof(fc.constantFrom(...known()), b64(0, 60)), { maxLength: 5 })
            .map((ids) => JSON.stringify({ ids })),
        ),
        { nil: undefined },
      ),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.range !== undefined) headers.range = r.range;
        if (r.ifNoneMatch !== undefined) headers['if-none-match'] = r.ifNoneMatch;
        if (r.ifRange !== undefined) headers['if-range'] = r.ifRange;
        if (r.accept !== undefined) headers.accept = r.accept;
        if (r.authorization !== undefined) headers.authorization = r.authorization;
        const withBody = r.body !== undefined && !['GET', 'HEAD', 'OPTIONS'].includes(r.method);
        if (withBody) headers['content-type'] = 'application/json';
        const url = `${base}${r.path}${r.query}`;
        const sent = await send(url, { method: r.method, headers, body: withBody ? r.body : undefined });
        await checkAnyAnswer(url, r.method, sent);
        seen.any.add(sent.status);
      }),
      { numRuns: NUM_RUNS },
    );
    expect([...seen.any]).toEqual(expect.arrayContaining([200, 400, 404]));
  });

  it('serves exactly the bytes a Range asks for, honouring If-Range and If-None-Match', async () => {
    const targets = [
      { path: () => `/v1/blobs/${blob.blobId}`, etag: () => blob.blobId, bytes: data },
      { path: () => `/v1/blobs/by-object-id/${blob.objectId}`, etag: () => blob.blobId, bytes: data },
      { path: () => `/v1alpha/blobs/${blob.blobId}/stream`, etag: () => blob.blobId, bytes: data },
      { path: () => `/v1/blobs/${emptyId}`, etag: () => emptyId, bytes: new Uint8Array(0) },
      {
        path: () => `/v1/blobs/by-quilt-patch-id/${patchIds[1]}`,
        etag: () => patchIds[1]!,
        bytes: patchFiles[1]!.contents,
      },
      {
        path: () => `/v1/blobs/by-quilt-id/${quiltId}/dir/b.bin`,
        etag: () => patchIds[1]!,
        bytes: patchFiles[1]!.contents,
      },
    ];
    const request = fc.constantFrom(...targets).chain((target) =>
      fc.record({
        target: fc.constant(target),
        method: fc.constantFrom('GET', 'GET', 'HEAD'),
        range: rangeHeader,
        ifRange: etagHeader(target.etag),
        ifNoneMatch: etagHeader(target.etag),
        accept: fc.option(printable(30), { nil: undefined }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const etag = `"${r.target.etag()}"`;
        const original = r.target.bytes;
        const size = original.length;
        const headers: Record<string, string> = {};
        if (r.range.header !== undefined) headers.range = r.range.header;
        if (r.ifRange !== undefined) headers['if-range'] = r.ifRange;
        if (r.ifNoneMatch !== undefined) headers['if-none-match'] = r.ifNoneMatch;
        if (r.accept !== undefined) headers.accept = r.accept;
        const url = `${base}${r.target.path()}`;
        const sent = await send(url, { method: r.method, headers });
        await checkAnyAnswer(url, r.method, sent);
        const context = `${r.method} ${r.target.path()} ${JSON.stringify(headers)} → ${sent.status}`;
        seen.ranges.add(sent.status);
        const head = r.method === 'HEAD';
        if (head) expect(sent.body.length, context).toBe(0);

        const inm = r.ifNoneMatch?.trim();
        const notModified =
          inm !== undefined &&
          inm !== '' &&
          (inm === '*' || inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag));
        if (notModified) {
          expect(sent.status, context).toBe(304);
          expect(sent.headers.get('etag'), context).toBe(etag);
          return;
        }
        const rangeApplies =
          r.range.header !== undefined && (r.ifRange === undefined || r.ifRange.trim() === etag);
        const coverage = r.range.specs && rangeApplies ? expectedCoverage(r.range.specs, size) : undefined;
        if (!rangeApplies || (r.range.specs && coverage === undefined)) {
          expect(sent.status, context).toBe(200);
        } else if (coverage?.length === 0) {
          expect(sent.status, context).toBe(416);
        } else if (coverage) {
          expect(sent.status, context).toBe(206);
        } else {
          expect([200, 206, 416], context).toContain(sent.status);
        }
        expect(sent.headers.get('etag'), context).toBe(etag);

        if (sent.status === 200) {
          expect(sent.headers.get('content-length'), context).toBe(String(size));
          expect(sent.headers.get('content-range'), context).toBeNull();
          if (!head) expect(sameBytes(sent.body, original), context).toBe(true);
        } else if (sent.status === 416) {
          expect(sent.headers.get('content-range'), context).toBe(`bytes */${size}`);
        } else if (sent.status === 206) {
          const contentType = sent.headers.get('content-type') ?? '';
          let got: [number, number][];
          if (contentType.startsWith('multipart/byteranges')) {
            if (head) return;
            expect(sent.headers.get('content-length'), context).toBe(String(sent.body.length));
            const parts = parseByteranges(contentType, sent.body);
            expect(parts.length, context).toBeGreaterThan(1);
            for (const part of parts) {
              expect(part.size, context).toBe(size);
              expect(sameBytes(part.bytes, original.subarray(part.start, part.last + 1)), context).toBe(true);
            }
            got = parts.map((p) => [p.start, p.last + 1]);
          } else {
            const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(sent.headers.get('content-range') ?? '');
            expect(match, context).not.toBeNull();
            const [start, last, total] = [Number(match![1]), Number(match![2]), Number(match![3])];
            expect(total, context).toBe(size);
            expect(sent.headers.get('content-length'), context).toBe(String(last - start + 1));
            if (!head) expect(sameBytes(sent.body, original.subarray(start, last + 1)), context).toBe(true);
            got = [[start, last + 1]];
          }
          // Parts ascend without overlapping, and cover exactly what was asked for.
          for (let i = 1; i < got.length; i++)
            expect(got[i]![0], context).toBeGreaterThan(got[i - 1]![1] - 1);
          if (coverage) expect(merge(got), context).toEqual(coverage);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect([...seen.ranges]).toEqual(expect.arrayContaining([200, 206, 304, 416]));
  });

  it('ignores unknown query parameters and checks only the ones it knows', async () => {
    const targets = [
      `/v1/blobs/${'$BLOB'}`,
      `/v1/blobs/by-object-id/${'$OBJECT'}`,
      `/v1alpha/blobs/${'$BLOB'}/stream`,
    ];
    const flag = (value: string | null) =>
      value === null || value === '' || value === 'false' || value === '0'
        ? false
        : value === 'true' || value === '1'
          ? true
          : 'invalid';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), query(), async (target, q) => {
        const path = target.replace('$BLOB', blob.blobId).replace('$OBJECT', blob.objectId);
        const url = `${base}${path}${q}`;
        const sent = await send(url, { method: 'GET' });
        await checkAnyAnswer(url, 'GET', sent);
        const params = new URLSearchParams(q);
        const strict = params.getAll('strict_consistency_check');
        const skip = params.getAll('skip_consistency_check');
        const context = `${path}${q} → ${sent.status}`;
        seen.query.add(sent.status);
        if (strict.length > 1 || skip.length > 1) {
          expect([200, 400], context).toContain(sent.status);
        } else {
          const s = flag(params.get('strict_consistency_check'));
          const k = flag(params.get('skip_consistency_check'));
          expect(sent.status, context).toBe(s === 'invalid' || k === 'invalid' || (s && k) ? 400 : 200);
        }
        if (sent.status === 200) {
          expect(sameBytes(sent.body, data), context).toBe(true);
          expect(sent.headers.get('x-content-type-options'), context).toBe('nosniff');
          if (params.has('download'))
            expect(sent.headers.get('content-disposition'), context).toMatch(/^attachment(;|$)/);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect([...seen.query]).toEqual(expect.arrayContaining([200, 400]));
  });
});
