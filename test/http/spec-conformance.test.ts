// Status codes and error bodies against the official aggregator OpenAPI document
// (../shared/walrus-reference/aggregator_openapi.yaml): for each official path and method exercised, the
// status we send must be one the spec lists for it (206 and 304 are our documented extensions), and every
// error body must validate against the spec's `Status` schema and carry an ErrorInfo. Our own /v1/api must
// then describe every official operation, its path parameters, and every status we were seen to send.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeQuilt } from '@mysten/walrus';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId, parseQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { storeOnDevnet } from '../support/devnet.ts';
import {
  ADMIN_TOKEN,
  aip193Problems,
  call,
  faultAll,
  startTestEdge,
  unknownBlobId,
  unknownObjectId,
  utf8,
  type Answer,
  type TestEdge,
} from './http-helpers.ts';

// ── The spec and a small JSON Schema validator for what it uses ─────────────────────────────────

type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const SPEC_PATH = fileURLToPath(
  new URL('../../../shared/walrus-reference/aggregator_openapi.yaml', import.meta.url),
);
const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as OpenApi;

function resolveRef(ref: string): Schema {
  const match = /^#\/components\/schemas\/(.+)$/.exec(ref);
  const schema = match ? spec.components.schemas[match[1]!] : undefined;
  if (!schema) throw new Error(`unresolvable $ref ${ref}`);
  return schema;
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

/** JSON Schema (the subset the spec uses: $ref, type, required, properties, items, allOf, oneOf, ...). */
function validate(schema: Schema, value: unknown, at = '$'): string[] {
  if (typeof schema.$ref === 'string') return validate(resolveRef(schema.$ref), value, at);
  const problems: string[] = [];
  for (const sub of (schema.allOf as Schema[] | undefined) ?? []) problems.push(...validate(sub, value, at));
  if (schema.oneOf) {
    const matching = (schema.oneOf as Schema[]).filter((sub) => validate(sub, value, at).length === 0).length;
    if (matching !== 1) problems.push(`${at} matches ${matching} of its oneOf schemas, not exactly one`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => hasType(type, value))) return [...problems, `${at} is not ${types.join('|')}`];
  }
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum)
    problems.push(`${at} is below ${schema.minimum}`);
  if (hasType('object', value)) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!(key in object)) problems.push(`${at}.${key} is required`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, item] of Object.entries(object)) {
      if (properties[key]) problems.push(...validate(properties[key], item, `${at}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${at}.${key} is not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        problems.push(...validate(schema.additionalProperties as Schema, item, `${at}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((item, i) => problems.push(...validate(schema.items as Schema, item, `${at}[${i}]`)));
  return problems;
}

const OUR_EXTENSIONS = ['206', '304'];

function operation(op: string): Operation {
  const [method, path] = op.split(' ') as [string, string];
  const found = spec.paths[path]?.[method];
  if (!found) throw new Error(`the official spec has no ${op}`);
  return found;
}

// ── The edge and its data ───────────────────────────────────────────────────────────────────────

const N_SHARDS = 100;
const MAX_BLOB_SIZE = 20_000;
let t: TestEdge;
let base: string;
const data = randomBytes(5000, 401);
let blob: { blobId: string; objectId: string };
let doomed: { objectId: string };
let quiltId: string;
let patchId: string;
let blockedQuilt: { blobId: string; objectId: string; patchId: string };
let bigQuilt: { blobId: string; objectId: string; patchId: string };
const observed = new Map<string, Set<string>>();

async function storeQuilt(files: { identifier: string; contents: Uint8Array }[]) {
  const layout = encodeQuilt({ blobs: files, numShards: N_SHARDS });
  const stored = await storeOnDevnet(t.devnet, layout.quilt, { epochs: 3 });
  const first = layout.index.patches[0]!;
  return {
    ...stored,
    patchId: formatQuiltPatchId({
      quiltId: parseBlobId(stored.blobId),
      startIndex: first.startIndex,
      endIndex: first.endIndex,
    }),
  };
}

beforeAll(async () => {
  t = await startTestEdge({ MAX_BLOB_SIZE: String(MAX_BLOB_SIZE) });
  base = t.edge.url;
  blob = await storeOnDevnet(t.devnet, data, { epochs: 3 });
  const deletable = await storeOnDevnet(t.devnet, randomBytes(300, 402), { epochs: 3, deletable: true });
  await deletable.chain.deleteBlob(deletable.objectId, deletable.sender);
  doomed = deletable;
  const quilt = await storeQuilt([
    { identifier: 'a.txt', contents: utf8('first patch') },
    { identifier: 'b/c.bin', contents: randomBytes(2000, 403) },
  ]);
  quiltId = quilt.blobId;
  patchId = quilt.patchId;
  blockedQuilt = await storeQuilt([{ identifier: 'x.txt', contents: utf8('blocked patch') }]);
  bigQuilt = await storeQuilt([{ identifier: 'big.bin', contents: randomBytes(MAX_BLOB_SIZE + 5000, 404) }]);
  for (const id of [blockedQuilt.blobId, blockedQuilt.objectId]) {
    const put = await call(base, `/v1/admin/blocklist/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(put.status).toBe(200);
  }
});
afterAll(async () => {
  await t?.stop();
});

// ── Cases ───────────────────────────────────────────────────────────────────────────────────────

interface Case {
  /** `method path` as the official spec names it. */
  op: string;
  name: string;
  request: () => { path: string; method?: string; headers?: Record<string, string>; body?: string };
  status: number;
  /**
   * The path parameter breaks the spec's own parameter schema: the official server's extractor then
   * answers 400 before any documented handler runs, so 400 is allowed even where the spec lists none.
   */
  malformedPathParam?: boolean;
}

const GET_BLOB = 'get /v1/blobs/{blob_id}';
const BY_OBJECT = 'get /v1/blobs/by-object-id/{blob_object_id}';
const BY_IDENTIFIER = 'get /v1/blobs/by-quilt-id/{quilt_id}/{identifier}';
const BY_PATCH = 'get /v1/blobs/by-quilt-patch-id/{quilt_patch_id}';
const PATCHES = 'get /v1/quilts/{quilt_id}/patches';
const BYTE_RANGE = 'get /v1/blobs/{blob_id}/byte-range';
const CONCAT_GET = 'get /v1alpha/blobs/concat';
const CONCAT_POST = 'post /v1alpha/blobs/concat';
const BOTH_FLAGS = 'strict_consistency_check=true&skip_consistency_check=true';
const json = (value: unknown) => ({
  path: '/v1alpha/blobs/concat',
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: typeof value === 'string' ? value : JSON.stringify(value),
});

const at = (path: string, headers?: Record<string, string>) => ({ path, headers });
const patchAt = (quilt: string, startIndex: number, endIndex: number) =>
  `/v1/blobs/by-quilt-patch-id/${formatQuiltPatchId({ quiltId: parseBlobId(quilt), startIndex, endIndex })}`;
const MALFORMED = { malformedPathParam: true };

// One case a line: operation, what is asked, the status we send.
// prettier-ignore
const CASES: Case[] = [
  { op: GET_BLOB, name: 'a stored blob', request: () => at(`/v1/blobs/${blob.blobId}`), status: 200 },
  { op: GET_BLOB, name: 'with the official flags', request: () => at(`/v1/blobs/${blob.blobId}?strict_consistency_check=true`), status: 200 },
  { op: GET_BLOB, name: 'a Range', request: () => at(`/v1/blobs/${blob.blobId}`, { range: 'bytes=0-' }), status: 206 },
  { op: GET_BLOB, name: 'If-None-Match', request: () => at(`/v1/blobs/${blob.blobId}`, { 'if-none-match': `"${blob.blobId}"` }), status: 304 },
  { op: GET_BLOB, name: 'an unsatisfiable Range', request: () => at(`/v1/blobs/${blob.blobId}`, { range: 'bytes=5000-' }), status: 416 },
  { op: GET_BLOB, name: 'an unknown blob', request: () => at(`/v1/blobs/${unknownBlobId(1)}`), status: 404 },
  { op: GET_BLOB, name: 'contradictory consistency flags', request: () => at(`/v1/blobs/${blob.blobId}?${BOTH_FLAGS}`), status: 400 },
  { op: GET_BLOB, name: 'a malformed blob ID', request: () => at('/v1/blobs/not-a-blob-id'), status: 400, ...MALFORMED },
  { op: GET_BLOB, name: 'a blob over MAX_BLOB_SIZE', request: () => at(`/v1/blobs/${bigQuilt.blobId}`), status: 403 },
  { op: GET_BLOB, name: 'a blocked blob', request: () => at(`/v1/blobs/${blockedQuilt.blobId}`), status: 451 },

  { op: BY_OBJECT, name: 'a live object', request: () => at(`/v1/blobs/by-object-id/${blob.objectId}`), status: 200 },
  { op: BY_OBJECT, name: 'a Range', request: () => at(`/v1/blobs/by-object-id/${blob.objectId}`, { range: 'bytes=-1' }), status: 206 },
  { op: BY_OBJECT, name: 'If-None-Match', request: () => at(`/v1/blobs/by-object-id/${blob.objectId}`, { 'if-none-match': `"${blob.blobId}"` }), status: 304 },
  { op: BY_OBJECT, name: 'an unsatisfiable Range', request: () => at(`/v1/blobs/by-object-id/${blob.objectId}`, { range: 'bytes=9000-' }), status: 416 },
  { op: BY_OBJECT, name: 'an unknown object', request: () => at(`/v1/blobs/by-object-id/${unknownObjectId(2)}`), status: 404 },
  { op: BY_OBJECT, name: 'a deleted object', request: () => at(`/v1/blobs/by-object-id/${doomed.objectId}`), status: 404 },
  { op: BY_OBJECT, name: 'contradictory consistency flags', request: () => at(`/v1/blobs/by-object-id/${blob.objectId}?${BOTH_FLAGS}`), status: 400 },
  { op: BY_OBJECT, name: 'a malformed object ID', request: () => at('/v1/blobs/by-object-id/0x12'), status: 400, ...MALFORMED },
  { op: BY_OBJECT, name: 'an object over MAX_BLOB_SIZE', request: () => at(`/v1/blobs/by-object-id/${bigQuilt.objectId}`), status: 403 },
  { op: BY_OBJECT, name: 'a blocked object', request: () => at(`/v1/blobs/by-object-id/${blockedQuilt.objectId}`), status: 451 },

  { op: BY_IDENTIFIER, name: 'a patch', request: () => at(`/v1/blobs/by-quilt-id/${quiltId}/a.txt`), status: 200 },
  { op: BY_IDENTIFIER, name: 'a patch in a folder', request: () => at(`/v1/blobs/by-quilt-id/${quiltId}/b/c.bin`), status: 200 },
  { op: BY_IDENTIFIER, name: 'a Range', request: () => at(`/v1/blobs/by-quilt-id/${quiltId}/a.txt`, { range: 'bytes=0-4' }), status: 206 },
  { op: BY_IDENTIFIER, name: 'If-None-Match', request: () => at(`/v1/blobs/by-quilt-id/${quiltId}/a.txt`, { 'if-none-match': `"${patchId}"` }), status: 304 },
  { op: BY_IDENTIFIER, name: 'an unsatisfiable Range', request: () => at(`/v1/blobs/by-quilt-id/${quiltId}/a.txt`, { range: 'bytes=100-' }), status: 416 },
  { op: BY_IDENTIFIER, name: 'an unknown identifier', request: () => at(`/v1/blobs/by-quilt-id/${quiltId}/zzz`), status: 404 },
  { op: BY_IDENTIFIER, name: 'an unknown quilt', request: () => at(`/v1/blobs/by-quilt-id/${unknownBlobId(3)}/a.txt`), status: 404 },
  { op: BY_IDENTIFIER, name: 'a quilt over MAX_BLOB_SIZE', request: () => at(`/v1/blobs/by-quilt-id/${bigQuilt.blobId}/big.bin`), status: 403 },
  { op: BY_IDENTIFIER, name: 'a blocked quilt', request: () => at(`/v1/blobs/by-quilt-id/${blockedQuilt.blobId}/x.txt`), status: 451 },
  { op: BY_IDENTIFIER, name: 'a malformed quilt ID', request: () => at('/v1/blobs/by-quilt-id/short/a.txt'), status: 400, ...MALFORMED },

  { op: BY_PATCH, name: 'a patch', request: () => at(`/v1/blobs/by-quilt-patch-id/${patchId}`), status: 200 },
  { op: BY_PATCH, name: 'If-None-Match', request: () => at(`/v1/blobs/by-quilt-patch-id/${patchId}`, { 'if-none-match': `"${patchId}"` }), status: 304 },
  { op: BY_PATCH, name: 'an unsatisfiable Range', request: () => at(`/v1/blobs/by-quilt-patch-id/${patchId}`, { range: 'bytes=-0' }), status: 416 },
  { op: BY_PATCH, name: 'a patch of an unknown quilt', request: () => at(patchAt(unknownBlobId(4), 1, 2)), status: 404 },
  { op: BY_PATCH, name: 'columns past the quilt', request: () => at(patchAt(quiltId, 500, 600)), status: 404 },
  { op: BY_PATCH, name: 'a patch of a quilt over MAX_BLOB_SIZE', request: () => at(`/v1/blobs/by-quilt-patch-id/${bigQuilt.patchId}`), status: 403 },
  { op: BY_PATCH, name: 'a patch of a blocked quilt', request: () => at(`/v1/blobs/by-quilt-patch-id/${blockedQuilt.patchId}`), status: 451 },
  { op: BY_PATCH, name: 'a malformed patch ID', request: () => at('/v1/blobs/by-quilt-patch-id/abc'), status: 400, ...MALFORMED },

  { op: PATCHES, name: 'a quilt', request: () => at(`/v1/quilts/${quiltId}/patches`), status: 200 },
  { op: PATCHES, name: 'an unknown quilt', request: () => at(`/v1/quilts/${unknownBlobId(5)}/patches`), status: 404 },
  { op: PATCHES, name: 'a blob that is no quilt', request: () => at(`/v1/quilts/${blob.blobId}/patches`), status: 404 },
  { op: PATCHES, name: 'a quilt over MAX_BLOB_SIZE', request: () => at(`/v1/quilts/${bigQuilt.blobId}/patches`), status: 403 },
  { op: PATCHES, name: 'a blocked quilt', request: () => at(`/v1/quilts/${blockedQuilt.blobId}/patches`), status: 451 },
  { op: PATCHES, name: 'a malformed quilt ID', request: () => at('/v1/quilts/%20/patches'), status: 400, ...MALFORMED },

  { op: BYTE_RANGE, name: 'a range', request: () => at(`/v1/blobs/${blob.blobId}/byte-range?start=10&length=20`), status: 200 },
  { op: BYTE_RANGE, name: 'length 0', request: () => at(`/v1/blobs/${blob.blobId}/byte-range?start=0&length=0`), status: 400 },
  { op: BYTE_RANGE, name: 'no parameters', request: () => at(`/v1/blobs/${blob.blobId}/byte-range`), status: 400 },
  { op: BYTE_RANGE, name: 'a range past the end', request: () => at(`/v1/blobs/${blob.blobId}/byte-range?start=4990&length=20`), status: 400 },
  { op: BYTE_RANGE, name: 'a malformed blob ID', request: () => at('/v1/blobs/zz/byte-range?start=0&length=1'), status: 400 },
  { op: BYTE_RANGE, name: 'an unknown blob', request: () => at(`/v1/blobs/${unknownBlobId(6)}/byte-range?start=0&length=1`), status: 404 },
  { op: BYTE_RANGE, name: 'a blob over MAX_BLOB_SIZE', request: () => at(`/v1/blobs/${bigQuilt.blobId}/byte-range?start=0&length=1`), status: 403 },
  { op: BYTE_RANGE, name: 'a blocked blob', request: () => at(`/v1/blobs/${blockedQuilt.blobId}/byte-range?start=0&length=1`), status: 451 },

  { op: CONCAT_GET, name: 'two blobs', request: () => at(`/v1alpha/blobs/concat?ids=${blob.blobId},${blob.objectId}`), status: 200 },
  { op: CONCAT_GET, name: 'no IDs', request: () => at('/v1alpha/blobs/concat?ids='), status: 400 },
  { op: CONCAT_GET, name: 'contradictory flags', request: () => at(`/v1alpha/blobs/concat?ids=${blob.blobId}&${BOTH_FLAGS}`), status: 400 },
  { op: CONCAT_GET, name: 'a malformed ID', request: () => at('/v1alpha/blobs/concat?ids=bogus'), status: 400 },
  { op: CONCAT_GET, name: 'an unknown blob', request: () => at(`/v1alpha/blobs/concat?ids=${unknownBlobId(7)}`), status: 404 },
  { op: CONCAT_GET, name: 'a deleted object', request: () => at(`/v1alpha/blobs/concat?ids=${doomed.objectId}`), status: 404 },
  { op: CONCAT_GET, name: 'a blob over MAX_BLOB_SIZE', request: () => at(`/v1alpha/blobs/concat?ids=${blob.blobId},${bigQuilt.blobId}`), status: 403 },
  { op: CONCAT_GET, name: 'a blocked blob', request: () => at(`/v1alpha/blobs/concat?ids=${blockedQuilt.blobId}`), status: 451 },

  { op: CONCAT_POST, name: 'two blobs', request: () => json({ ids: [blob.objectId, blob.blobId] }), status: 200 },
  { op: CONCAT_POST, name: 'flags set to null or false', request: () => json({ ids: [blob.blobId], skip_consistency_check: null, strict_consistency_check: false }), status: 200 },
  { op: CONCAT_POST, name: 'a body that is not JSON', request: () => json('{ids'), status: 400 },
  { op: CONCAT_POST, name: 'no IDs', request: () => json({ ids: [] }), status: 400 },
  { op: CONCAT_POST, name: 'an unknown blob', request: () => json({ ids: [unknownBlobId(8)] }), status: 404 },
  { op: CONCAT_POST, name: 'a blob over MAX_BLOB_SIZE', request: () => json({ ids: [bigQuilt.objectId] }), status: 403 },
  { op: CONCAT_POST, name: 'a blocked object', request: () => json({ ids: [blockedQuilt.objectId] }), status: 451 },
];

function checkAgainstSpec(c: Pick<Case, 'op' | 'malformedPathParam'>, answer: Answer): void {
  const op = operation(c.op);
  const allowed = [...Object.keys(op.responses), ...OUR_EXTENSIONS, ...(c.malformedPathParam ? ['400'] : [])];
  expect(allowed, `${c.op} answered ${answer.status}`).toContain(String(answer.status));
  const seen = observed.get(c.op) ?? new Set<string>();
  seen.add(String(answer.status));
  observed.set(c.op, seen);
  if (answer.status < 400) return;
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  const body = answer.json();
  const declared = op.responses[String(answer.status)]?.content?.['application/json']?.schema ?? {
    $ref: '#/components/schemas/Status',
  };
  expect(validate(declared, body)).toEqual([]);
  expect(aip193Problems(body, answer.status)).toEqual([]);
}

describe('the official spec file', () => {
  it('is the aggregator API with the operations these tests exercise', () => {
    expect(spec.paths).toBeTypeOf('object');
    for (const op of new Set(CASES.map((c) => c.op))) expect(operation(op).operationId).toBeTruthy();
  });

  it('has a Status schema the validator really enforces (error, status, code, message, details)', () => {
    const status = { $ref: '#/components/schemas/Status' };
    const good = {
      error: { status: 'NOT_FOUND', code: 404, message: 'x', details: [{ '@type': 'ErrorInfo' }] },
    };
    expect(validate(status, good)).toEqual([]);
    expect(validate(status, {})).not.toEqual([]);
    expect(validate(status, { error: { status: 'NOT_FOUND', code: 404, details: [] } })).not.toEqual([]);
    expect(validate(status, { error: { code: 404, message: 'x', details: [] } })).not.toEqual([]);
    expect(validate(status, { error: { status: 'X', code: -1, message: 'x', details: [] } })).not.toEqual([]);
    expect(validate(status, { error: { status: 'X', code: 4.5, message: 'x', details: [] } })).not.toEqual(
      [],
    );
    expect(validate(status, { error: { status: 'X', code: 404, message: 'x', details: {} } })).not.toEqual(
      [],
    );
    expect(
      aip193Problems({ error: { status: 'NOT_FOUND', code: 404, message: 'x', details: [] } }, 404),
    ).not.toEqual([]);
  });

  it('uses the patch ID format we implement (its examples parse as quilt patch IDs)', () => {
    const text = JSON.stringify(spec.paths['/v1/quilts/{quilt_id}/patches']);
    const examples = [...text.matchAll(/\\"patch_id\\": \\"([A-Za-z0-9_-]+)\\"/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const parsed = parseQuiltPatchId(example);
      expect(parsed.endIndex).toBeGreaterThan(parsed.startIndex);
    }
  });
});

describe('status codes and error bodies against the official spec', () => {
  it.each(CASES)('$op: $name → $status', async (c) => {
    const { path, ...init } = c.request();
    const answer = await call(base, path, init);
    expect(answer.status, answer.text().slice(0, 300)).toBe(c.status);
    checkAgainstSpec(c, answer);
  });

  it('lists patches in the shape of the spec (QuiltPatchItem: identifier, patch_id, tags)', async () => {
    const answer = await call(base, `/v1/quilts/${quiltId}/patches`);
    const schema = operation(PATCHES).responses['200']!.content!['application/json']!.schema;
    // The spec renders QuiltPatchId as the Rust struct, but documents and exemplifies patch_id as the
    // URL-safe base64 string; check that, and everything else with the spec's own schema.
    const item = resolveRef('#/components/schemas/QuiltPatchItem');
    const asSent = {
      ...schema,
      items: { ...item, properties: { ...(item.properties as object), patch_id: { type: 'string' } } },
    };
    const list = answer.json() as { patch_id: string }[];
    expect(validate(asSent, list)).toEqual([]);
    expect(list.map((p) => p.patch_id)).toContain(patchId);
    for (const p of list) expect(() => parseQuiltPatchId(p.patch_id)).not.toThrow();
    // The unmodified spec schema would reject a patch_id that is not a string at all.
    expect(validate(asSent, [{ identifier: 'a', patch_id: 7, tags: {} }])).not.toEqual([]);
    expect(validate(schema, [{ identifier: 'a', tags: {} }])).not.toEqual([]);
  });

  it('answers 503 where the spec lists it when the storage nodes are down', async () => {
    // Blobs this edge has never read: cached ones are (rightly) served from memory.
    const fresh = await storeOnDevnet(t.devnet, randomBytes(7_000, 95));
    const freshObject = await storeOnDevnet(t.devnet, randomBytes(7_000, 97));
    const freshQuilt = await storeQuilt([{ identifier: 'a.txt', contents: utf8('never read') }]);
    await faultAll(t.devnet, 'down');
    try {
      for (const [op, path] of [
        [GET_BLOB, `/v1/blobs/${fresh.blobId}`],
        [BY_OBJECT, `/v1/blobs/by-object-id/${freshObject.objectId}`],
        [BY_IDENTIFIER, `/v1/blobs/by-quilt-id/${freshQuilt.blobId}/a.txt`],
        [BY_PATCH, `/v1/blobs/by-quilt-patch-id/${freshQuilt.patchId}`],
        [PATCHES, `/v1/quilts/${freshQuilt.blobId}/patches`],
      ] as const) {
        const answer = await call(base, path);
        expect(answer.status, path).toBe(503);
        checkAgainstSpec({ op }, answer);
      }
    } finally {
      await faultAll(t.devnet, 'ok');
    }
  });
});

describe('our /v1/api document', () => {
  it('describes every official operation with its path parameters and every status we sent', async () => {
    const ours = (await call(base, '/v1/api')).json() as OpenApi;
    expect(ours.openapi).toMatch(/^3\.1\./);
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const method of Object.keys(methods)) {
        const op = ours.paths[path]?.[method];
        expect(op, `${method} ${path}`).toBeDefined();
        const declared = new Set((op!.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g))
          expect([...declared], `${method} ${path} declares {${name}}`).toContain(name);
        const sent = observed.get(`${method} ${path}`);
        if (sent)
          for (const status of sent)
            expect(Object.keys(op!.responses), `${method} ${path}`).toContain(status);
      }
    }
    // Every official operation was exercised above.
    const official = Object.entries(spec.paths).flatMap(([path, m]) =>
      Object.keys(m).map((k) => `${k} ${path}`),
    );
    expect([...observed.keys()].sort()).toEqual(official.sort());
  });
});
