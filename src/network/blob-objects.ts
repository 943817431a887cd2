// Blob objects on chain (by object ID): which blob they store, whether they still live, and their
// attributes (e.g. content-type), for the aggregator's by-object-id route: the `Blob` object on Sui
// and its `metadata` dynamic field (the devnet serves them over its own Sui endpoint).
import type { SuiObjectReader } from './committees/sui-committee.ts';
import { Blob, BlobMetadataField, blobMetadataFieldId } from './sui/walrus-objects.ts';
import { formatU256BlobId } from '../protocol/blob-id.ts';

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

/**
 * Blob objects on Sui: the `Blob` object and its `metadata` dynamic field in one read. An object that
 * does not exist (deleted, burned, never was) or is not a Walrus Blob reads as undefined.
 */
export function suiBlobObjects(options: {
  client: SuiObjectReader;
  /** The network's current epoch (for `live`). */
  epoch(): Promise<number>;
}): BlobObjectSource {
  return {
    async get(objectId, signal) {
      const { objects } = await options.client.core.getObjects({
        objectIds: [objectId, blobMetadataFieldId(objectId)],
        include: { content: true },
        signal,
      });
      const [object, field] = objects;
      if (!object || object instanceof Error || !/::blob::Blob$/.test(object.type)) return undefined;
      const blob = Blob.parse(object.content);
      const attributes =
        field && !(field instanceof Error)
          ? Object.fromEntries(
              BlobMetadataField.parse(field.content).value.metadata.contents.map((e) => [e.key, e.value]),
            )
          : {};
      const epoch = await options.epoch();
      return {
        objectId: blob.id,
        blobId: formatU256BlobId(blob.blob_id),
        live: blob.certified_epoch !== null && blob.storage.end_epoch > epoch,
        endEpoch: blob.storage.end_epoch,
        attributes,
      };
    },
  };
}
