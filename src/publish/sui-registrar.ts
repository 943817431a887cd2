// Registering and certifying blobs with Sui transactions, built by the official @mysten/walrus SDK
// (reserve_space + register_blob, then certify_blob) and signed by the operator's key: what
// `walrus-edge put` uses on a devnet's Sui endpoint today, and the publisher next.
import type { Signer } from '@mysten/sui/cryptography';
import type { WalrusClient } from '@mysten/walrus';
import { formatU256BlobId } from '../protocol/blob-id.ts';
import type { BlobRegistrar } from './blob-writer.ts';

/** A Blob object as Sui holds it after the step that answered it. */
export interface SuiBlobRecord {
  objectId: string;
  registeredEpoch: number;
  certifiedEpoch: number | null;
  endEpoch: number;
  deletable: boolean;
  /** The transaction that registered (then certified) it. */
  digest: string;
}

export function suiRegistrar(walrus: WalrusClient, signer: Signer): BlobRegistrar<SuiBlobRecord> {
  const record = (
    blob: Awaited<ReturnType<WalrusClient['getBlobObject']>>,
    digest: string,
  ): SuiBlobRecord => ({
    objectId: blob.id,
    registeredEpoch: blob.registered_epoch,
    certifiedEpoch: blob.certified_epoch,
    endEpoch: blob.storage.end_epoch,
    deletable: blob.deletable,
    digest,
  });
  return {
    async register({ blobId, rootHash, size, epochs, deletable }) {
      const { blob, digest } = await walrus.executeRegisterBlobTransaction({
        blobId,
        rootHash,
        size,
        epochs,
        deletable,
        signer,
        owner: signer.toSuiAddress(),
      });
      // The chain derives the ID from what we registered: a mismatch means we encoded differently.
      const onChain = formatU256BlobId(blob.blob_id);
      if (onChain !== blobId)
        throw new Error(`Sui registered blob ID ${onChain}, the encoder made ${blobId}`);
      return { objectId: blob.id, record: record(blob, digest) };
    },
    async certify({ blobId, objectId, deletable, certificate }) {
      const { digest } = await walrus.executeCertifyBlobTransaction({
        blobId,
        blobObjectId: objectId,
        deletable,
        certificate,
        signer,
      });
      return record(await walrus.getBlobObject(objectId), digest);
    },
  };
}
