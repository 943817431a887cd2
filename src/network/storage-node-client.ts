// Talks to one storage node's REST API (DESIGN §2) through a NodeTransport. Failures come back as
// StorageNodeError with the node's HTTP status and AIP-193 reason, or status 0 when the node said nothing.
import { base64ToBytes } from '../protocol/base64.ts';
import { ApiRequestError, readApiErrorBody } from './api-error-body.ts';
import type { SliverType } from '../protocol/sliver-layout.ts';
import { TransportError, fetchTransport, type NodeTransport } from './transport/node-transport.ts';

/** status 0: the node could not be reached or timed out. */
export class StorageNodeError extends ApiRequestError {
  override name = 'StorageNodeError';
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
const OCTETS = { accept: 'application/octet-stream' };
const UPLOAD = { 'content-type': 'application/octet-stream' };

let defaultTransport: NodeTransport | undefined;

export class StorageNodeClient {
  readonly baseUrl: string;
  readonly #transport: NodeTransport;

  constructor(baseUrl: string, transport?: NodeTransport) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#transport = transport ?? (defaultTransport ??= fetchTransport());
  }

  /** BCS BlobMetadataWithId. */
  getMetadata(blobId: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.#call('GET', `/v1/blobs/${blobId}/metadata`, undefined, OCTETS, options);
  }

  async putMetadata(blobId: string, metadata: Uint8Array, options?: RequestOptions): Promise<void> {
    await this.#call('PUT', `/v1/blobs/${blobId}/metadata`, metadata, UPLOAD, options);
  }

  /** BCS SliverData. */
  getSliver(blobId: string, pair: number, type: SliverType, options?: RequestOptions): Promise<Uint8Array> {
    return this.#call('GET', `/v1/blobs/${blobId}/slivers/${pair}/${type}`, undefined, OCTETS, options);
  }

  async putSliver(
    blobId: string,
    pair: number,
    type: SliverType,
    sliver: Uint8Array,
    options?: RequestOptions,
  ) {
    await this.#call('PUT', `/v1/blobs/${blobId}/slivers/${pair}/${type}`, sliver, UPLOAD, options);
  }

  /** The node's view of a blob ID (its BlobStatus), as the node sent it. */
  async getBlobStatus(blobId: string, options?: RequestOptions): Promise<unknown> {
    const body = new TextDecoder().decode(
      await this.#call('GET', `/v1/blobs/${blobId}/status`, undefined, {}, options),
    );
    return (JSON.parse(body) as { success?: { data?: unknown } }).success?.data;
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
    const body = new TextDecoder().decode(await this.#call('GET', path, undefined, {}, options));
    const signed = (JSON.parse(body) as { success: { data: { signed: SignedConfirmation } } }).success.data
      .signed;
    return {
      serializedMessage: base64ToBytes(signed.serializedMessage),
      signature: base64ToBytes(signed.signature),
    };
  }

  async #call(
    method: 'GET' | 'PUT',
    path: string,
    body: Uint8Array | undefined,
    headers: Record<string, string>,
    options: RequestOptions = {},
  ): Promise<Uint8Array> {
    let response;
    try {
      response = await this.#transport.request({
        method,
        url: this.baseUrl + path,
        body,
        headers,
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
    } catch (error) {
      if (error instanceof TransportError)
        throw new StorageNodeError(0, error.kind.toUpperCase(), error.message);
      throw error;
    }
    if (response.status < 200 || response.status >= 300) throw errorFrom(response.status, response.body);
    return response.body;
  }
}

function errorFrom(status: number, body: Uint8Array): StorageNodeError {
  const text = new TextDecoder().decode(body);
  const parsed = readApiErrorBody(text);
  if (!parsed) return new StorageNodeError(status, undefined, text.slice(0, 200) || `HTTP ${status}`);
  return new StorageNodeError(status, parsed.reason, parsed.message ?? text);
}
