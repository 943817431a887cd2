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
import { apiError } from '../../protocol/status.ts';
import { bytesToHex } from '../../protocol/base64.ts';
import type { PaidUploads, Rendered } from '../../publish/payments/paid-uploads.ts';
import type { SignedReceipt } from '../../publish/payments/receipt.ts';
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
  /** Paid publishing: uploads whose grant names a payer go through it (PUBLISHER_AUTH=api-key). */
  payments?: PaidUploads;
}

/** Seconds a client refused for load should wait: an upload takes a few seconds at least. */
const RETRY_AFTER_SECONDS = '5';

const QuiltMetadata = z.array(
  z.object({ identifier: z.string().min(1), tags: z.record(z.string(), z.string()).optional() }),
);

export function publishRoutes(app: Hono, deps: PublishDeps): void {
  app.put('/v1/blobs', (c) =>
    upload(c, deps, 'blob', deps.maxBlobBytes, (bytes, options) => deps.publisher.storeBlob(bytes, options)),
  );
  app.put('/v1/quilts', (c) =>
    upload(c, deps, 'quilt', deps.maxQuiltBytes, async (bytes: Uint8Array<ArrayBuffer>, options) => {
      const files = await quiltFiles(c.req.header('content-type'), bytes);
      if (typeof files === 'string') return { kind: 'invalid', message: files };
      return deps.publisher.storeQuilt(files, options);
    }),
  );
}

type Stored = QuiltOutcome | StoreOutcome;

/** The official JSON of a success (with the receipt of a paid one beside it), or the AIP-193 error. */
function rendered(route: UploadRoute, outcome: Stored, receipt?: SignedReceipt): Rendered {
  const body = route === 'quilt' ? quiltBody(outcome as QuiltOutcome) : outcomeBody(outcome as StoreOutcome);
  if (body !== undefined) return { status: 200, body: receipt ? { ...(body as object), receipt } : body };
  const failure = uploadFailure(outcome);
  return {
    status: failure.status,
    body: apiError(failure.status, failure.reason, failure.message),
    headers: failure.headers,
  };
}

async function upload(
  c: Context,
  deps: PublishDeps,
  route: UploadRoute,
  edgeLimit: number,
  store: (bytes: Uint8Array<ArrayBuffer>, options: StoreOptions) => Promise<Stored>,
): Promise<Response> {
  const send = (answer: Rendered) =>
    c.json(answer.body as object, answer.status as 200, {
      ...(answer.status >= 400 ? { 'cache-control': answer.status >= 500 ? 'no-store' : 'no-cache' } : {}),
      ...answer.headers,
    });
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
      errorResponse(
        c,
        decision.status,
        decision.reason,
        decision.message,
        decision.retryAfterSeconds ? { 'retry-after': String(decision.retryAfterSeconds) } : {},
      ),
    );
  const grant = decision.grant;
  // An account's own size cap is a 413, as the edge's limit.
  if (grant.capBytes !== undefined && grant.capBytes < edgeLimit) edgeLimit = grant.capBytes;
  if (declaredTooLarge(request, edgeLimit)) return tooLarge();
  const payer = grant.payer;
  if (payer && !deps.payments)
    return finish(
      'refused-by-authorizer',
      errorResponse(c, 503, 'PAYMENTS_UNAVAILABLE', 'paid publishing is not set up'),
    );
  const idempotencyKey = c.req.header('idempotency-key');
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey))
    return finish(
      'bad-request',
      errorResponse(
        c,
        400,
        'INVALID_IDEMPOTENCY_KEY',
        'Idempotency-Key must be 1 to 255 visible ASCII characters',
      ),
    );
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
    const options: StoreOptions = {
      epochs: params.epochs,
      deletable: params.deletable,
      sendObjectTo: params.sendObjectTo,
      share: params.share,
      force: params.force,
      signal: request.signal,
    };
    if (!payer) {
      const outcome = await store(body.bytes, options);
      return finish(outcome.kind, send(rendered(route, outcome)));
    }
    let kind = 'refused-payment';
    const answer = await deps.payments!.pay(
      {
        payer,
        size: bytesRead,
        epochs: params.epochs,
        idempotencyKey,
        fingerprint:
          idempotencyKey === undefined ? '' : await uploadFingerprint(route, request.url, body.bytes),
        signal: request.signal,
      },
      (progress) => store(body.bytes, { ...options, progress }),
      (outcome, receipt) => {
        kind = outcome.kind;
        return rendered(route, outcome, receipt);
      },
    );
    return finish(kind, send(answer));
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
function uploadFailure(outcome: Stored): {
  status: number;
  reason: string;
  message: string;
  headers?: Record<string, string>;
} {
  switch (outcome.kind) {
    case 'invalid':
      return { status: 400, reason: 'INVALID_ARGUMENT', message: outcome.message };
    case 'too-large':
      return {
        status: 413,
        reason: 'PAYLOAD_TOO_LARGE',
        message: `${outcome.size} bytes are more than a blob on this network can hold (${outcome.max})`,
      };
    case 'insufficient-confirmations':
      return {
        status: 504,
        reason: 'INSUFFICIENT_CONFIRMATIONS',
        message: `${outcome.message}; the blob stays registered and the next upload of it is not charged again`,
      };
    case 'chain-failed':
      // The sponsor's wallet ran dry: the operator must top it up; the client is not at fault.
      if (SPONSOR_SHORT.test(outcome.message))
        return {
          status: 503,
          reason: 'SPONSOR_INSUFFICIENT_FUNDS',
          message: `the operator's Sui account cannot pay for the ${outcome.phase} transaction: ${outcome.message}`,
          headers: { 'retry-after': '60' },
        };
      return {
        status: 500,
        reason: 'INTERNAL',
        message: `the ${outcome.phase} transaction failed: ${outcome.message}`,
      };
    case 'unavailable':
      return {
        status: 503,
        reason: 'PUBLISHER_UNAVAILABLE',
        message: outcome.message,
        headers: { 'retry-after': '2' },
      };
    case 'aborted':
      return { status: 499, reason: 'CANCELLED', message: 'the request was cancelled' };
    case 'newly-created':
    case 'already-certified':
      // Successes have a body; reaching here would be a bug in this file.
      return { status: 500, reason: 'INTERNAL', message: 'internal error' };
  }
}

/** What Sui and the SDK say when a wallet lacks the WAL or the SUI (gas) a transaction needs. */
const SPONSOR_SHORT = /insufficient|not enough|balance.*(low|short)|InsufficientGas|InsufficientCoinBalance/i;

/** Tells copies of one upload from other requests: the route, its parameters, the body (SHA-256). */
async function uploadFingerprint(route: UploadRoute, url: string, body: Uint8Array): Promise<string> {
  const query = [...new URL(url).searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const head = new TextEncoder().encode(`${route}\n${JSON.stringify(query)}\n`);
  const whole = new Uint8Array(head.length + body.length);
  whole.set(head);
  whole.set(body, head.length);
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', whole)));
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
