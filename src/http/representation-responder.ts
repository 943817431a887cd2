// The read routes' answer when representations are on (src/media/): the body's type is settled first
// (a transform needs it, and so does the choice of an encoding), the representations pick the bytes,
// and blob-responder.ts serves whatever was picked with the same HTTP semantics — ETag/304, Range,
// HEAD — under the picked bytes' own strong ETag.
import type { Context } from 'hono';
import { readAllBytes } from '../protocol/bytes.ts';
import { bytesHandle, isFailure } from '../read/blob-source.ts';
import { failure } from '../read/read-errors.ts';
import {
  explicitTypeOf,
  respondWithBody,
  sniffedTypeOf,
  type BlobResponseOptions,
} from './blob-responder.ts';
import { errorResponse, readFailureResponse } from './errors.ts';
import type { Representations } from './representations.ts';

export async function respondWithRepresentation(
  c: Context,
  options: BlobResponseOptions,
  representations: Representations | undefined,
): Promise<Response> {
  if (!representations) return respondWithBody(c, options);
  const query = c.req.query();
  const checked = representations.check(query);
  if ('invalid' in checked) return errorResponse(c, 400, 'INVALID_IMAGE_OPTIONS', checked.invalid);
  const { handle } = options;
  const signal = c.req.raw.signal;

  // The type: declared, from the name, or sniffed before. Otherwise sniffed now when that is cheap
  // (the bytes are local) or needed (a transform); a first read from the nodes without transform
  // options leaves it to the responder, which sniffs the bytes it streams anyway and adds the Vary
  // the type needs — the next request finds the type known.
  let contentType = explicitTypeOf(c, options) ?? options.sniffedTypes?.get(options.etag);
  if (contentType === undefined && (checked.transform || handle.origin !== 'MISS')) {
    const sniffed = await sniffedTypeOf(options, signal);
    if (typeof sniffed !== 'string') return readFailureResponse(c, sniffed);
    contentType = sniffed;
  }
  if (contentType === undefined) return respondWithBody(c, { ...options, varyFor: representations.varyFor });

  const chosen = await representations.choose(
    {
      query,
      accept: c.req.header('accept'),
      acceptEncoding: c.req.header('accept-encoding'),
      ranged: c.req.header('range') !== undefined,
    },
    {
      etag: options.etag,
      contentType,
      size: handle.size,
      bytes: async () => {
        const stream = await handle.read(undefined, signal);
        if (isFailure(stream)) return stream;
        return readAllBytes(stream).catch((error: Error) =>
          failure('unavailable', `the blob could not be read whole: ${error.message}`),
        );
      },
    },
  );
  switch (chosen.kind) {
    case 'stored':
      return respondWithBody(c, {
        ...options,
        declaredType: contentType,
        headers: { ...options.headers, ...chosen.headers },
      });
    case 'variant':
      return respondWithBody(c, {
        ...options,
        handle: bytesHandle(handle.blobId, chosen.bytes, handle.nShards, chosen.origin, chosen.ageSeconds),
        etag: chosen.etag,
        declaredType: chosen.contentType,
        // A variant is no longer the stored bytes: no sniffed type is kept under its ETag.
        sniffedTypes: undefined,
        headers: { ...options.headers, ...chosen.headers },
      });
    case 'refused':
      return errorResponse(c, chosen.status, chosen.reason, chosen.message, chosen.headers);
    case 'failed':
      return readFailureResponse(c, chosen.failure);
  }
}
