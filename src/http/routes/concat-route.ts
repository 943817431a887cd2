// GET|POST /v1alpha/blobs/concat: several blobs (by blob ID or object ID) streamed back to back, one at a
// time, each through the read stack. Every ID is resolved and opened before the first byte, so a bad ID is
// a clean error.
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { isBlobId } from '../../protocol/blob-id.ts';
import { isFailure, type BlobHandle } from '../../read/blob-source.ts';
import { consistencyFrom, lookupObject, type AggregatorDeps } from '../aggregator-deps.ts';
import type { ReadFailure } from '../../read/read-errors.ts';
import { backToBack } from '../back-to-back.ts';
import { errorResponse, readFailureResponse } from '../errors.ts';

const MAX_IDS = 100;
const Body = z.object({
  ids: z.array(z.string()).min(1).max(MAX_IDS),
  strict_consistency_check: z.boolean().nullable().optional(),
  skip_consistency_check: z.boolean().nullable().optional(),
});

export function concatRoute(app: Hono, deps: AggregatorDeps): void {
  app.get('/v1alpha/blobs/concat', (c) => {
    const ids = (c.req.query('ids') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return concat(
      c,
      deps,
      ids,
      c.req.query('strict_consistency_check'),
      c.req.query('skip_consistency_check'),
    );
  });
  app.post('/v1alpha/blobs/concat', async (c) => {
    const parsed = Body.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return errorResponse(c, 400, 'INVALID_REQUEST', `expected {"ids": [...]} with 1 to ${MAX_IDS} IDs`);
    const { ids, strict_consistency_check: strict, skip_consistency_check: skip } = parsed.data;
    return concat(c, deps, ids, strict ? 'true' : undefined, skip ? 'true' : undefined);
  });
}

async function concat(
  c: Context,
  deps: AggregatorDeps,
  ids: string[],
  strict?: string,
  skip?: string,
): Promise<Response> {
  if (ids.length === 0 || ids.length > MAX_IDS)
    return errorResponse(c, 400, 'INVALID_REQUEST', `ids takes 1 to ${MAX_IDS} IDs`);
  const choice = consistencyFrom(strict, skip);
  if (!choice.ok) return errorResponse(c, 400, 'INVALID_CONSISTENCY_OPTIONS', choice.message);
  const signal = c.req.raw.signal;
  const handles: BlobHandle[] = [];
  for (const id of ids) {
    const blobId = await resolve(deps, id, signal);
    if (blobId !== null && typeof blobId === 'object') return readFailureResponse(c, blobId);
    if (blobId === undefined)
      return errorResponse(c, 404, 'BLOB_NOT_FOUND', `${id} is neither a blob ID nor a live blob object`);
    if (blobId === null)
      return errorResponse(c, 400, 'INVALID_BLOB_ID', `${id} is neither a blob ID nor an object ID`);
    const handle = await deps.blobs.open({
      target: { kind: 'blob', blobId },
      consistency: choice.consistency,
      signal,
      via: blobId === id ? [] : [id.toLowerCase()],
    });
    if (isFailure(handle)) return readFailureResponse(c, handle);
    handles.push(handle);
  }
  const total = handles.reduce((sum, handle) => sum + handle.size, 0);
  const body = backToBack(handles.map((handle) => () => handle.read(undefined, signal)));
  return new Response(body, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(total),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
  });
}
/** A blob ID as is; an object ID through the chain (undefined if dead); null if neither. */
async function resolve(
  deps: AggregatorDeps,
  id: string,
  signal: AbortSignal,
): Promise<string | undefined | null | ReadFailure> {
  if (/^0x[0-9a-fA-F]{64}$/.test(id)) {
    if (!deps.objects) return undefined;
    const object = await lookupObject(deps.objects, id.toLowerCase(), signal);
    if (object && isFailure(object)) return object;
    return object?.live ? object.blobId : undefined;
  }
  return isBlobId(id) ? id : null;
}
