// The upload relay (POST /v1/blob-upload-relay): a client that registered a blob itself sends us the
// bytes; we check its tip (when one is configured), encode the blob, check it is the blob it named,
// send metadata and slivers to the storage nodes and answer the confirmation certificate, which the
// client then certifies on chain. Nothing here signs or pays: the client owns the Blob object.
// As MystenLabs/walrus crates/walrus-upload-relay controller.rs `fan_out` (checked 2026-12-01).
import type { Codec } from '../../codec/codec.ts';
import { bytesToBase64 } from '../../protocol/base64.ts';
import { formatBlobId } from '../../protocol/blob-id.ts';
import { maxBlobSize } from '../../protocol/encoding.ts';
import type { Committee } from '../../network/committee.ts';
import type { NodeTransport } from '../../network/transport/node-transport.ts';
import { distributeBlob, type DistributionOptions, type UploadPersistence } from '../sliver-distributor.ts';
import type { RelayTip } from './relay-tip.ts';
import { checkTip, type TipTransactionSource } from './tip-check.ts';

export interface UploadRelayDeps {
  /** The current committee, in the chain's order (a certificate's signer indices refer to it). */
  committee(signal?: AbortSignal): Promise<Committee>;
  codec: Codec;
  /** How to reach the nodes; default fetch. */
  transport?: NodeTransport;
  /** Reads tip transactions; used only when a tip is required. */
  sui: TipTransactionSource;
  tip: RelayTip;
  /** Tip transactions older than this are refused (default 10 h), or this far ahead of our clock (30 s). */
  tipMaxAgeMs?: number;
  tipMaxFutureMs?: number;
  /**
   * Deadline, grace, retries, observer and background of the distribution (sliver-distributor.ts).
   * The official relay waits for every node before answering (TailHandling::Blocking); pass a
   * `background` to keep uploading to stragglers after the certificate is answered instead.
   */
  distribution?: DistributionOptions;
}

export interface RelayRequest {
  /** As the client named it (base64url). */
  blobId: string;
  /** Base58 digest of the transaction that paid the tip. */
  txDigest?: string;
  /** The 32-byte nonce whose SHA-256 the tip transaction carries. */
  nonce?: Uint8Array;
  /** The deletable Blob object's ID (0x + 64 hex), whose confirmation the nodes sign; else permanent. */
  deletableBlobObject?: string;
  blob: Uint8Array;
  signal?: AbortSignal;
}

/** The official answer, in the encodings the SDK's UploadRelayClient parses. */
export interface RelayResponseJson {
  blob_id: string;
  confirmation_certificate: {
    signers: number[];
    /** BCS confirmation message as a JSON array of bytes (serde's Vec<u8>). */
    serialized_message: number[];
    /** Aggregate BLS signature, standard base64 (fastcrypto's serde form). */
    signature: string;
  };
}

/** What one POST /v1/blob-upload-relay came to, for metrics (upload-relay-metrics.ts) and logs. */
export interface UploadRelayEvent {
  /** `ok`, or the refusal's reason (e.g. INSUFFICIENT_TIP, BODY_TOO_LARGE). */
  outcome: string;
  /** Body bytes read (0 when refused before reading). */
  bytes: number;
  seconds: number;
}

export interface RelayFailure {
  status: 400 | 401 | 402 | 503 | 504;
  reason: string;
  message: string;
}

export type RelayOutcome =
  { ok: true; response: RelayResponseJson; confirmedShards: number } | ({ ok: false } & RelayFailure);

export async function relayBlob(deps: UploadRelayDeps, request: RelayRequest): Promise<RelayOutcome> {
  const committee = await deps.committee(request.signal);
  const n = committee.nShards;
  if (request.blob.length > maxBlobSize(n)) {
    return refuse(
      400,
      'BLOB_TOO_LARGE',
      `the blob is larger than ${maxBlobSize(n)} bytes, the most ${n} shards can store`,
    );
  }
  if (deps.tip.required) {
    if (request.txDigest === undefined || request.nonce === undefined) {
      return refuse(
        400,
        'MISSING_TX_ID_OR_NONCE',
        'The query parameters are missing the transaction ID or the nonce, but the proxy requires them to check the tip payment.',
      );
    }
    const failure = await checkTip({
      sui: deps.sui,
      tip: deps.tip,
      txDigest: request.txDigest,
      nonce: request.nonce,
      blob: request.blob,
      nShards: n,
      maxAgeMs: deps.tipMaxAgeMs,
      maxFutureMs: deps.tipMaxFutureMs,
      signal: request.signal,
    });
    if (failure) return { ok: false, ...failure };
  }

  const encoded = await deps.codec.encode(request.blob, n);
  if (formatBlobId(encoded.blobId) !== request.blobId) {
    return refuse(
      400,
      'BLOB_ID_MISMATCH',
      'the provided blob ID and the blob ID resulting from the blob encoding do not match',
    );
  }
  const persistence: UploadPersistence =
    request.deletableBlobObject === undefined
      ? { kind: 'permanent' }
      : { kind: 'deletable', objectId: request.deletableBlobObject };
  const outcome = await distributeBlob({
    ...deps.distribution,
    encoded,
    blobId: request.blobId,
    committee,
    persistence,
    transport: deps.transport,
    signal: request.signal,
  });
  if (!outcome.ok) return refuse(504, 'INSUFFICIENT_CONFIRMATIONS', outcome.message);
  const { certificate } = outcome;
  return {
    ok: true,
    confirmedShards: outcome.confirmedShards,
    response: {
      blob_id: request.blobId,
      confirmation_certificate: {
        signers: certificate.signers,
        serialized_message: Array.from(certificate.serializedMessage),
        signature: bytesToBase64(certificate.signature),
      },
    },
  };
}

function refuse(status: RelayFailure['status'], reason: string, message: string): RelayOutcome {
  return { ok: false, status, reason, message };
}
