// HTTP client for the devnet chain (src/devnet/chain/server.ts). The edge and the CLI use it; a Sui
// client with the same role comes with the mainnet/testnet work.
import { bytesToBase64 } from '../protocol/base64.ts';
import { ApiRequestError, readApiErrorBody } from './api-error-body.ts';
import type { Committee } from './committee.ts';

// The chain's records as they travel (src/devnet/chain keeps them in this form too).

export interface ChainAccount {
  address: string;
  /** FROST (1 WAL = 10^9 FROST), decimal string. */
  wal: string;
  /** MIST (1 SUI = 10^9 MIST), decimal string. */
  sui: string;
}

export interface ChainBlobObject {
  /** Sui-style object ID, 0x + 64 hex. */
  id: string;
  owner: string;
  registeredEpoch: number;
  /** base64url blob ID */
  blobId: string;
  /** the same ID as the on-chain u256, decimal */
  blobIdU256: string;
  size: number;
  encodingType: number;
  certifiedEpoch: number | null;
  storage: { id: string; startEpoch: number; endEpoch: number; storageSize: number };
  deletable: boolean;
  deleted: boolean;
  attributes: Record<string, string>;
}

export type ChainEventType =
  'BlobRegistered' | 'BlobCertified' | 'BlobDeleted' | 'BlobExtended' | 'EpochChangeDone';

export interface ChainEvent {
  seq: number;
  type: ChainEventType;
  epoch: number;
  txDigest: string;
  timestampMs: number;
  /** What the event is about; which fields are set depends on `type`. */
  data: {
    blobId?: string;
    objectId?: string;
    size?: number;
    endEpoch?: number;
    epoch?: number;
    deletable?: boolean;
    wasCertified?: boolean;
  };
}

export class ChainRequestError extends ApiRequestError {
  override name = 'ChainRequestError';
}

export class DevnetChainClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  state() {
    return this.#call<{ epoch: number; epochStartedAtMs: number; params: Record<string, unknown> }>(
      'GET',
      '/v1/state',
    );
  }

  committee() {
    return this.#call<Committee>('GET', '/v1/committee');
  }

  fundAccount(address?: string) {
    return this.#call<ChainAccount>('POST', '/v1/accounts', address ? { address } : {});
  }

  account(address: string) {
    return this.#call<ChainAccount>('GET', `/v1/accounts/${address}`);
  }

  quote(size: number, epochs: number) {
    return this.#call<{ units: number; storage: string; write: string; total: string }>(
      'GET',
      `/v1/quote?size=${size}&epochs=${epochs}`,
    );
  }

  registerBlob(input: {
    sender: string;
    rootHash: Uint8Array;
    size: number;
    epochs: number;
    deletable: boolean;
  }) {
    return this.#call<ChainBlobObject>('POST', '/v1/blobs', {
      ...input,
      rootHash: bytesToBase64(input.rootHash),
    });
  }

  certifyBlob(
    objectId: string,
    certificate: { signers: number[]; serializedMessage: Uint8Array; signature: Uint8Array },
  ) {
    return this.#call<ChainBlobObject>('POST', `/v1/blobs/${objectId}/certify`, {
      signers: certificate.signers,
      serializedMessage: bytesToBase64(certificate.serializedMessage),
      signature: bytesToBase64(certificate.signature),
    });
  }

  blob(objectId: string) {
    return this.#call<ChainBlobObject>('GET', `/v1/blobs/${objectId}`);
  }

  blobsById(blobId: string) {
    return this.#call<{ blobId: string; status: unknown; objects: ChainBlobObject[] }>(
      'GET',
      `/v1/blob-ids/${blobId}`,
    );
  }

  deleteBlob(objectId: string, sender: string) {
    return this.#call<ChainBlobObject>('POST', `/v1/blobs/${objectId}/delete`, { sender });
  }

  extendBlob(objectId: string, sender: string, epochs: number) {
    return this.#call<ChainBlobObject>('POST', `/v1/blobs/${objectId}/extend`, { sender, epochs });
  }

  setAttributes(objectId: string, sender: string, set: Record<string, string>, remove: string[] = []) {
    return this.#call<ChainBlobObject>('PUT', `/v1/blobs/${objectId}/attributes`, { sender, set, remove });
  }

  /** Events with a sequence number above `after`, oldest first. */
  events(after: number, limit = 1000) {
    return this.#call<{ events: ChainEvent[] }>('GET', `/v1/events?after=${after}&limit=${limit}`);
  }

  advanceEpoch() {
    return this.#call<{ epoch: number }>('POST', '/v1/epoch/advance');
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const send = () =>
      fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    // A kept-alive connection the chain closed just as it was reused (timers run late on a busy
    // machine) is reset before the request is read: the one case worth sending it again.
    const response = await send().catch((error: Error) => {
      if ((error.cause as { code?: string } | undefined)?.code !== 'ECONNRESET') throw error;
      return send();
    });
    const text = await response.text();
    if (!response.ok) {
      // Not AIP-193: the raw text is the message.
      const parsed = readApiErrorBody(text);
      throw new ChainRequestError(
        response.status,
        parsed?.reason,
        `${method} ${path}: ${response.status} ${parsed?.message ?? text}`,
      );
    }
    return JSON.parse(text) as T;
  }
}
