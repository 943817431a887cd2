// The official publisher API: PUT /v1/blobs (the body is the blob) and PUT /v1/quilts (multipart, one
// part per file named by its identifier, optional `_metadata` with tags). In order: parameters →
// Content-Length against the edge's limit (413) → authorizer (from headers and query alone) → the
// grant's limits → a slot among the uploads allowed at once (else 429) → the body, never read past its
// limit → the publisher → one mapping of its outcome to the official JSON (camelCase, as the official
// publisher serializes it) or an AIP-193 error.
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { grantBodyRefusal, type PublishAuthorizer } from '../../publish/publish-auth.ts';
import type { QuiltOutcome, StoreOutcome } from '../../publish/publish-outcome.ts';
import type { Publisher, QuiltFile, StoreOptions } from '../../publish/publisher.ts';
import type { ReconstructionLimiter } from '../../read/limiter.ts';
import { errorResponse } from '../errors.ts';
import { declaredLength, declaredTooLarge, readBodyWithin } from '../limited-body.ts';
import { grantRefusal, publishParams } from '../publish-params.ts';

export type UploadRoute = 'blob' | 'quilt';

/** What the routes report (publish-metrics.ts records it); no blob IDs. */
export interface PublishRecorder {
  upload(route: UploadRoute, outcome: string, bytes: number, seconds: number): void;
}

export interface PublishDeps {
  publisher: Publisher;
  authorize: PublishAuthorizer;
  maxBlobBytes: number;
  maxQuiltBytes: number;
  /** PUBLISH_MAX_CONCURRENT uploads at once, PUBLISH_MAX_QUEUED waiting (read/limiter.ts). */
  uploads: ReconstructionLimiter;
  recorder?: PublishRecorder;
}

/** Seconds a client refused for load should wait: an upload takes a few seconds at least. */
const RETRY_AFTER_SECONDS = '5';

const QuiltMetadata = z.array(
  z.object({ identifier: z.string().min(1), tags: z.record(z.string(), z.string()).optional() }),
);

export function publishRoutes(app: Hono, deps: PublishDeps): void {
  app.put('/v1/blobs', (c) =>
    upload(c, deps, 'blob', deps.maxBlobBytes, async (bytes, options) => {
      const outcome = await deps.publisher.storeBlob(bytes, options);
      return { outcome, body: outcomeBody(outcome) };
    }),
  );
  app.put('/v1/quilts', (c) =>
    upload(c, deps, 'quilt', deps.maxQuiltBytes, async (bytes: Uint8Array<ArrayBuffer>, options) => {
      const files = await quiltFiles(c.req.header('content-type'), bytes);
      if (typeof files === 'string') return { outcome: { kind: 'invalid', message: files } };
      const outcome = await deps.publisher.storeQuilt(files, options);
      return { outcome, body: quiltBody(outcome) };
    }),
  );
}

type Stored = { outcome: QuiltOutcome | StoreOutcome; body?: unknown };

async function upload(
  c: Context,
  deps: PublishDeps,
  route: UploadRoute,
  edgeLimit: number,
  store: (bytes: Uint8Array<ArrayBuffer>, options: StoreOptions) => Promise<Stored>,
): Promise<Response> {
  const started = performance.now();
  let bytesRead = 0;
  const finish = (outcome: string, response: Response) => {
    deps.recorder?.upload(route, outcome, bytesRead, (performance.now() - started) / 1000);
    return response;
  };
  const request = c.req.raw;
  const parsed = publishParams(new URL(request.url).searchParams);
  if (!parsed.ok) return finish('bad-request', errorResponse(c, 400, parsed.reason, parsed.message));
  const params = parsed.params;
  const tooLarge = () =>
    finish(
      'too-large',
      errorResponse(
        c,
        413,
        'PAYLOAD_TOO_LARGE',
        `the body is larger than this publisher takes (${edgeLimit} bytes)`,
      ),
    );
  // Refused before a byte is read, before a token is spent, before waiting for a slot.
  if (declaredTooLarge(request, edgeLimit)) return tooLarge();

  const decision = await deps.authorize(request);
  if (!decision.ok)
    return finish(
      'refused-by-authorizer',
      errorResponse(c, decision.status, decision.reason, decision.message),
    );
  const grant = decision.grant;
  const refusal = grantRefusal(grant, params);
  if (refusal) return finish('outside-grant', errorResponse(c, 400, refusal.reason, refusal.message));
  // The edge's own limit is a 413; the grant's (a token's size / max_size) the official 400 INVALID_SIZE.
  const grantLimit = grant.exactSize ?? grant.maxSize;
  const limit = Math.min(edgeLimit, grantLimit ?? Infinity);
  const grantRefused = (received: number, complete: boolean) => {
    const refused = grantBodyRefusal(grant, received, complete);
    return (
      refused && finish('outside-grant', errorResponse(c, refused.status, refused.reason, refused.message))
    );
  };
  const declared = declaredLength(request);
  if (declared !== undefined) {
    const refused = grantRefused(declared, true);
    if (refused) return refused;
  }

  const release = await deps.uploads.acquire(request.signal);
  if (!release)
    return finish(
      'busy',
      errorResponse(c, 429, 'TOO_MANY_UPLOADS', 'too many uploads in progress; retry later', {
        'retry-after': RETRY_AFTER_SECONDS,
      }),
    );
  try {
    const body = await readBodyWithin(request, limit);
    if (!body.ok) {
      if (body.kind === 'too-large') return limit < edgeLimit ? grantRefused(limit + 1, false)! : tooLarge();
      return finish('aborted', errorResponse(c, 400, 'BODY_INCOMPLETE', 'the request body ended early'));
    }
    bytesRead = body.bytes.length;
    const short = grantRefused(bytesRead, true);
    if (short) return short;
    const { outcome, body: json } = await store(body.bytes, {
      epochs: params.epochs,
      deletable: params.deletable,
      sendObjectTo: params.sendObjectTo,
      share: params.share,
      force: params.force,
      signal: request.signal,
    });
    return finish(outcome.kind, json === undefined ? failureResponse(c, outcome) : c.json(json));
  } finally {
    release();
  }
}

/** The official BlobStoreResult of a success, or undefined for a failure. */
function outcomeBody(outcome: StoreOutcome): unknown {
  switch (outcome.kind) {
    case 'newly-created': {
      const blob = outcome.blobObject;
      return {
        newlyCreated: {
          blobObject: {
            id: blob.objectId,
            registeredEpoch: blob.registeredEpoch,
            blobId: blob.blobId,
            size: blob.size,
            encodingType: 'RS2',
            certifiedEpoch: blob.certifiedEpoch,
            storage: blob.storage,
            deletable: blob.deletable,
          },
          resourceOperation: outcome.resourceOperation,
          // u64 FROST: a JSON number, as the official publisher sends it (exact up to 2^53).
          cost: Number(outcome.cost),
          ...(outcome.sharedBlobObject ? { sharedBlobObject: outcome.sharedBlobObject } : {}),
        },
      };
    }
    case 'already-certified':
      return {
        alreadyCertified: {
          blobId: outcome.blobId,
          ...(outcome.event ? { event: outcome.event } : { object: outcome.object }),
          endEpoch: outcome.endEpoch,
        },
      };
    default:
      return undefined;
  }
}

function quiltBody(outcome: QuiltOutcome): unknown {
  if (outcome.kind !== 'newly-created' && outcome.kind !== 'already-certified') return undefined;
  return { blobStoreResult: outcomeBody(outcome), storedQuiltBlobs: outcome.patches };
}

/** Every failure of an upload, mapped once (DESIGN §5). */
function failureResponse(c: Context, outcome: Stored['outcome']): Response {
  switch (outcome.kind) {
    case 'invalid':
      return errorResponse(c, 400, 'INVALID_ARGUMENT', outcome.message);
    case 'too-large':
      return errorResponse(
        c,
        413,
        'PAYLOAD_TOO_LARGE',
        `${outcome.size} bytes are more than a blob on this network can hold (${outcome.max})`,
      );
    case 'insufficient-confirmations':
      return errorResponse(
        c,
        504,
        'INSUFFICIENT_CONFIRMATIONS',
        `${outcome.message}; the blob stays registered and the next upload of it is not charged again`,
      );
    case 'chain-failed':
      return errorResponse(c, 500, 'INTERNAL', `the ${outcome.phase} transaction failed: ${outcome.message}`);
    case 'unavailable':
      return errorResponse(c, 503, 'PUBLISHER_UNAVAILABLE', outcome.message, { 'retry-after': '2' });
    case 'aborted':
      return errorResponse(c, 499, 'CANCELLED', 'the request was cancelled');
    case 'newly-created':
    case 'already-certified':
      // Successes have a body; reaching here would be a bug in this file.
      return errorResponse(c, 500, 'INTERNAL', 'internal error');
  }
}

/**
 * The files of a quilt upload: every part but `_metadata` is a file, named by its identifier (a file
 * part or a plain value alike, as the official publisher reads them); `_metadata` gives their tags.
 * A string is what is wrong with the form.
 */
async function quiltFiles(
  contentType: string | undefined,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<QuiltFile[] | string> {
  if (!contentType?.toLowerCase().startsWith('multipart/form-data'))
    return 'PUT /v1/quilts takes multipart/form-data';
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return 'the multipart body could not be parsed';
  }
  const tags = new Map<string, Record<string, string>>();
  const metadata = form.get('_metadata');
  if (metadata !== null) {
    let entries;
    try {
      const text = typeof metadata === 'string' ? metadata : await metadata.text();
      entries = QuiltMetadata.parse(JSON.parse(text));
    } catch {
      return '_metadata must be a JSON array of {"identifier": string, "tags": {string: string}}';
    }
    for (const entry of entries) tags.set(entry.identifier, entry.tags ?? {});
  }
  const files: QuiltFile[] = [];
  const seen = new Set<string>();
  for (const [identifier, value] of form.entries()) {
    if (identifier === '_metadata') continue;
    if (identifier.length === 0) return 'every file part needs a name (its identifier)';
    if (seen.has(identifier)) return `the identifier ${JSON.stringify(identifier)} appears twice`;
    seen.add(identifier);
    const contents =
      typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer());
    files.push({ identifier, contents, tags: tags.get(identifier) ?? {} });
  }
  if (files.length === 0) return 'a quilt needs at least one file';
  for (const identifier of tags.keys())
    if (!seen.has(identifier)) return `_metadata names ${JSON.stringify(identifier)}, which no part carries`;
  return files;
}
