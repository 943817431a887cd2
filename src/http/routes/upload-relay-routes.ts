// The official upload relay's API (upload_relay_openapi.yaml): GET /v1/tip-config and
// POST /v1/blob-upload-relay, so @mysten/walrus clients configured with `uploadRelay.host` publish
// through the edge. This file speaks HTTP (query, body limit, status mapping); the relay's work is
// publish/relay/upload-relay.ts, handed in as `relay` (it encodes and checks BLS signatures with
// walrus-wasm, which the Web-standard app must not load: the composition root binds it).
import type { Context, Hono } from 'hono';
import { isValidSuiAddress, isValidTransactionDigest, normalizeSuiAddress } from '@mysten/sui/utils';
import { base64UrlToBytes } from '../../protocol/base64.ts';
import { isBlobId } from '../../protocol/blob-id.ts';
import { concatBytes } from '../../protocol/bytes.ts';
import { tipConfigJson } from '../../publish/relay/relay-tip.ts';
import type { RelayTip } from '../../publish/relay/relay-tip.ts';
import type { RelayOutcome, RelayRequest, UploadRelayEvent } from '../../publish/relay/upload-relay.ts';
import { errorResponse } from '../errors.ts';

export interface UploadRelayRouteDeps {
  /** What GET /v1/tip-config answers (the relay checks the same tip). */
  tip: RelayTip;
  /** The relay's work: `(request) => relayBlob(relayDeps, request)` (publish/relay/upload-relay.ts). */
  relay(request: RelayRequest): Promise<RelayOutcome>;
  /** Bodies beyond this get 413 (PUBLISH_MAX_BLOB_BYTES). */
  maxBodyBytes: number;
  /**
   * Relay requests in progress at once (each holds its body and its slivers in memory); beyond it
   * 429 with Retry-After. Default: no cap of its own (the codec's pool still bounds the CPU).
   */
  maxConcurrent?: number;
  /** Once per POST, for metrics and logs: `uploadRelayMetrics(registry)` (publish/relay) or your own. */
  onRelay?(event: UploadRelayEvent): void;
}

const NONCE_LENGTH = 32;

export function uploadRelayRoutes(app: Hono, deps: UploadRelayRouteDeps): void {
  const tipConfig = tipConfigJson(deps.tip);
  app.get('/v1/tip-config', (c) => c.json(tipConfig, 200, { 'cache-control': 'no-cache' }));

  let inFlight = 0;
  app.post('/v1/blob-upload-relay', async (c) => {
    if (deps.maxConcurrent !== undefined && inFlight >= deps.maxConcurrent) {
      deps.onRelay?.({ outcome: 'TOO_MANY_UPLOADS', bytes: 0, seconds: 0 });
      return errorResponse(c, 429, 'TOO_MANY_UPLOADS', 'the relay is busy; try again shortly', {
        'retry-after': '2',
      });
    }
    inFlight++;
    try {
      return await relayRequest(c);
    } finally {
      inFlight--;
    }
  });

  async function relayRequest(c: Context): Promise<Response> {
    const started = performance.now();
    let bytes = 0;
    const finish = (response: Response, outcome: string) => {
      deps.onRelay?.({ outcome, bytes, seconds: (performance.now() - started) / 1000 });
      return response;
    };
    const refuse = (status: number, reason: string, message: string) =>
      finish(errorResponse(c, status, reason, message), reason);

    const query = parseQuery(c);
    if ('reason' in query) return refuse(400, query.reason, query.message);

    const body = await readBody(c.req.raw, deps.maxBodyBytes).catch(() => undefined);
    if (!body) return refuse(400, 'BODY_UNREADABLE', 'the request body broke off before its end');
    if (!body.ok) {
      bytes = body.received;
      return refuse(
        413,
        'BODY_TOO_LARGE',
        `the blob is larger than this relay's limit of ${deps.maxBodyBytes} bytes`,
      );
    }
    bytes = body.data.length;

    let outcome;
    try {
      outcome = await deps.relay({ ...query, blob: body.data, signal: c.req.raw.signal });
    } catch (error) {
      // The committee could not be read, or the codec failed: nothing was certified, try again.
      return refuse(
        503,
        'RELAY_UNAVAILABLE',
        `the relay cannot upload right now: ${(error as Error).message}`,
      );
    }
    if (!outcome.ok) return refuse(outcome.status, outcome.reason, outcome.message);
    return finish(c.json(outcome.response, 200, { 'cache-control': 'no-store' }), 'ok');
  }
}

interface RelayQuery {
  blobId: string;
  txDigest?: string;
  nonce?: Uint8Array;
  deletableBlobObject?: string;
}

function parseQuery(c: Context): RelayQuery | { reason: string; message: string } {
  const blobId = c.req.query('blob_id');
  if (blobId === undefined || !isBlobId(blobId)) {
    return { reason: 'INVALID_BLOB_ID', message: 'blob_id must be a blob ID (43 characters of base64url)' };
  }
  const query: RelayQuery = { blobId };
  const txId = c.req.query('tx_id');
  if (txId !== undefined) {
    if (!isValidTransactionDigest(txId)) {
      return {
        reason: 'INVALID_TX_ID',
        message: 'tx_id must be a Sui transaction digest (base58, 32 bytes)',
      };
    }
    query.txDigest = txId;
  }
  const nonce = c.req.query('nonce');
  if (nonce !== undefined) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = /^[A-Za-z0-9_-]+$/.test(nonce) ? base64UrlToBytes(nonce) : undefined;
    } catch {
      bytes = undefined;
    }
    if (bytes?.length !== NONCE_LENGTH) {
      return { reason: 'INVALID_NONCE', message: 'nonce must be 32 bytes of base64url without padding' };
    }
    query.nonce = bytes;
  }
  const object = c.req.query('deletable_blob_object');
  if (object !== undefined) {
    const id = normalizeSuiAddress(object);
    if (!/^0x[0-9a-fA-F]{1,64}$/.test(object) || !isValidSuiAddress(id)) {
      return {
        reason: 'INVALID_OBJECT_ID',
        message: 'deletable_blob_object must be a Sui object ID (0x hex)',
      };
    }
    query.deletableBlobObject = id;
  }
  const encoding = c.req.query('encoding_type');
  if (encoding !== undefined && encoding !== 'RS2') {
    return { reason: 'UNSUPPORTED_ENCODING_TYPE', message: 'encoding_type must be RS2' };
  }
  return query;
}

type BodyResult = { ok: true; data: Uint8Array } | { ok: false; received: number };

/** The whole body, refused before reading when Content-Length says it is too long, else as soon as it passes the limit. */
async function readBody(request: Request, maxBytes: number): Promise<BodyResult> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) return { ok: false, received: 0 };
  if (!request.body) return { ok: true, data: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    if (received > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, received };
    }
    chunks.push(value);
  }
  return { ok: true, data: concatBytes(chunks) };
}
