// Talks to one storage node's REST API (DESIGN §2). Plain fetch for now: the reconstruction issue adds
// per-node pools, hedging and scores on top of this same surface.
import { base64ToBytes } from '../protocol/base64.ts';
import type { SliverType } from '../protocol/sliver-layout.ts';

export class StorageNodeError extends Error {
  override name = 'StorageNodeError';
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, reason: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export interface SignedConfirmation {
  /** standard base64, as nodes send it */
  serializedMessage: string;
  signature: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class StorageNodeClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async getMetadata(blobId: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.#bytes('GET', `/v1/blobs/${blobId}/metadata`, undefined, options);
  }

  async putMetadata(blobId: string, metadata: Uint8Array, options?: RequestOptions): Promise<void> {
    await this.#bytes('PUT', `/v1/blobs/${blobId}/metadata`, metadata, options);
  }

  async getSliver(
    blobId: string,
    pair: number,
    type: SliverType,
    options?: RequestOptions,
  ): Promise<Uint8Array> {
    return this.#bytes('GET', `/v1/blobs/${blobId}/slivers/${pair}/${type}`, undefined, options);
  }

  async putSliver(
    blobId: string,
    pair: number,
    type: SliverType,
    sliver: Uint8Array,
    options?: RequestOptions,
  ) {
    await this.#bytes('PUT', `/v1/blobs/${blobId}/slivers/${pair}/${type}`, sliver, options);
  }

  async getConfirmation(
    blobId: string,
    persistence: { kind: 'permanent' } | { kind: 'deletable'; objectId: string },
    options?: RequestOptions,
  ): Promise<{ serializedMessage: Uint8Array; signature: Uint8Array }> {
    const path =
      persistence.kind === 'permanent'
        ? `/v1/blobs/${blobId}/confirmation/permanent`
        : `/v1/blobs/${blobId}/confirmation/deletable/${persistence.objectId}`;
    const body = new TextDecoder().decode(await this.#bytes('GET', path, undefined, options));
    const signed = (JSON.parse(body) as { success: { data: { signed: SignedConfirmation } } }).success.data
      .signed;
    return {
      serializedMessage: base64ToBytes(signed.serializedMessage),
      signature: base64ToBytes(signed.signature),
    };
  }

  async #bytes(method: string, path: string, body: Uint8Array | undefined, options: RequestOptions = {}) {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const response = await fetch(this.baseUrl + path, {
      method,
      body: body as Uint8Array<ArrayBuffer> | undefined,
      headers: body ? { 'content-type': 'application/octet-stream' } : { accept: 'application/octet-stream' },
      signal,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) throw errorFrom(response.status, bytes);
    return bytes;
  }
}

function errorFrom(status: number, body: Uint8Array): StorageNodeError {
  const text = new TextDecoder().decode(body);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; details?: { reason?: string }[] } };
    return new StorageNodeError(status, parsed.error?.details?.[0]?.reason, parsed.error?.message ?? text);
  } catch {
    return new StorageNodeError(status, undefined, text.slice(0, 200) || `HTTP ${status}`);
  }
}
