// Blob objects on chain (by object ID): which blob they store, whether they still live, and their
// attributes (e.g. content-type), for the aggregator's by-object-id route. The devnet answers over its
// HTTP API; a Sui implementation reads Blob objects and their `metadata` dynamic field the same way.
import { ChainRequestError, type DevnetChainClient } from './devnet-chain-client.ts';

export interface BlobObjectInfo {
  objectId: string;
  blobId: string;
  /** Certified, not deleted, and not past its end epoch. */
  live: boolean;
  endEpoch: number;
  attributes: Record<string, string>;
}

export interface BlobObjectSource {
  /** Undefined when no such object exists. */
  get(objectId: string, signal?: AbortSignal): Promise<BlobObjectInfo | undefined>;
}

export function devnetBlobObjects(chain: DevnetChainClient): BlobObjectSource {
  return {
    async get(objectId) {
      let blob;
      try {
        blob = await chain.blob(objectId);
      } catch (error) {
        if (error instanceof ChainRequestError && error.status === 404) return undefined;
        throw error;
      }
      const { epoch } = await chain.state();
      return {
        objectId: blob.id,
        blobId: blob.blobId,
        live: !blob.deleted && blob.certifiedEpoch !== null && blob.storage.endEpoch > epoch,
        endEpoch: blob.storage.endEpoch,
        attributes: blob.attributes,
      };
    },
  };
}
