// Registering and certifying blobs with Sui transactions, built by the official @mysten/walrus SDK
// (reserve_space + register_blob in one transaction, then certify_blob) and signed by the operator's
// key: what `walrus-edge put` and the publisher use. The publisher's certify may also hand the Blob
// object on in the same transaction — transferred to the client's address, or wrapped as a shared blob
// (walrus::shared_blob::new, which the SDK has no builder for).
import type { Signer } from '@mysten/sui/cryptography';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { Transaction } from '@mysten/sui/transactions';
import type { WalrusClient } from '@mysten/walrus';
import { bcs } from '@mysten/sui/bcs';
import { formatU256BlobId } from '../protocol/blob-id.ts';
import { Balance, Blob, ObjectId } from '../network/sui/walrus-objects.ts';
import type { BlobCertificate, BlobRegistrar } from './blob-writer.ts';

/** A Blob object as Sui holds it after the step that answered it. */
export interface SuiBlobRecord {
  objectId: string;
  /** The blob ID (base64url), as the chain derived it. */
  blobId: string;
  size: number;
  encodingType: number;
  registeredEpoch: number;
  certifiedEpoch: number | null;
  storage: { id: string; startEpoch: number; endEpoch: number; storageSize: number };
  endEpoch: number;
  deletable: boolean;
  /** The transaction that registered (then certified) it. */
  digest: string;
}

/** A Blob as the SDK and our own BCS parse it (snake_case, as Move names the fields). */
type SdkBlob = Pick<
  typeof Blob.$inferType,
  | 'id'
  | 'registered_epoch'
  | 'blob_id'
  | 'size'
  | 'encoding_type'
  | 'certified_epoch'
  | 'storage'
  | 'deletable'
>;

/** The SDK's parsed Blob object as the edge reports it. */
export function blobRecord(blob: SdkBlob, digest: string): SuiBlobRecord {
  return {
    objectId: blob.id,
    blobId: formatU256BlobId(blob.blob_id),
    size: Number(blob.size),
    encodingType: blob.encoding_type,
    registeredEpoch: blob.registered_epoch,
    certifiedEpoch: blob.certified_epoch,
    storage: {
      id: blob.storage.id,
      startEpoch: blob.storage.start_epoch,
      endEpoch: blob.storage.end_epoch,
      storageSize: Number(blob.storage.storage_size),
    },
    endEpoch: blob.storage.end_epoch,
    deletable: blob.deletable,
    digest,
  };
}

/** Where a certified Blob object goes: stays with the signer, to an address, or into a shared blob. */
export type BlobDestination = { kind: 'keep' } | { kind: 'send'; to: string } | { kind: 'share' };

export interface CertifyInput {
  blobId: string;
  objectId: string;
  deletable: boolean;
  certificate: BlobCertificate;
  destination: BlobDestination;
}

export interface SuiRegistrar extends BlobRegistrar<SuiBlobRecord> {
  /**
   * Certifies and places the object in one transaction; `sharedObjectId` is the SharedBlob's,
   * `gasMist` what the transaction cost its payer (from its effects: no read back needed).
   */
  certifyAndPlace(
    input: CertifyInput,
  ): Promise<{ blob: SuiBlobRecord; sharedObjectId?: string; gasMist: bigint }>;
}

export function suiRegistrar(walrus: WalrusClient, signer: Signer, sui?: ClientWithCoreApi): SuiRegistrar {
  const certifyOnly = async ({
    blobId,
    objectId,
    deletable,
    certificate,
  }: Omit<CertifyInput, 'destination'>) => {
    const { digest } = await walrus.executeCertifyBlobTransaction({
      blobId,
      blobObjectId: objectId,
      deletable,
      certificate,
      signer,
    });
    return blobRecord(await walrus.getBlobObject(objectId), digest);
  };
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
      return { objectId: blob.id, record: blobRecord(blob, digest) };
    },
    certify: certifyOnly,
    async certifyAndPlace(input) {
      const { destination } = input;
      if (!sui) throw new Error('certifying through the publisher needs the Sui client');
      const transaction = walrus.certifyBlobTransaction({
        transaction: new Transaction(),
        blobId: input.blobId,
        blobObjectId: input.objectId,
        deletable: input.deletable,
        certificate: input.certificate,
      });
      if (destination.kind === 'send') {
        transaction.transferObjects([transaction.object(input.objectId)], destination.to);
      } else if (destination.kind === 'share') {
        // `<walrus package>::blob::Blob` names the package that defines shared_blob too.
        const walrusPackage = (await walrus.getBlobType()).split('::')[0]!;
        transaction.moveCall({
          target: `${walrusPackage}::shared_blob::new`,
          arguments: [transaction.object(input.objectId)],
        });
      }
      transaction.setSenderIfNotSet(signer.toSuiAddress());
      const result = await signer.signAndExecuteTransaction({ transaction, client: sui });
      if (result.FailedTransaction)
        throw new Error(
          `certify blob failed (${result.FailedTransaction.digest}): ${result.FailedTransaction.status.error?.message}`,
        );
      const { digest, effects } = result.Transaction;
      const gas = effects.gasUsed;
      const net = BigInt(gas.computationCost) + BigInt(gas.storageCost) - BigInt(gas.storageRebate);
      const gasMist = net > 0n ? net : 0n;
      await sui.core.waitForTransaction({ digest });
      if (destination.kind !== 'share')
        return { blob: blobRecord(await walrus.getBlobObject(input.objectId), digest), gasMist };
      // A shared blob wraps the Blob object (it is no longer an object of its own): read it inside.
      const created = effects.changedObjects
        .filter((object) => object.idOperation === 'Created')
        .map((object) => object.objectId);
      const { objects } = await sui.core.getObjects({ objectIds: created, include: { content: true } });
      const shared = objects.find(
        (object) => !(object instanceof Error) && object.type.endsWith('::shared_blob::SharedBlob'),
      );
      if (!shared || shared instanceof Error)
        throw new Error(`certify blob (${digest}) created no SharedBlob`);
      const inner = SharedBlob.parse(shared.content).blob;
      return { blob: blobRecord(inner, digest), sharedObjectId: shared.objectId, gasMist };
    },
  };
}

/** `walrus::shared_blob::SharedBlob`: a Blob anyone may extend, with the WAL funds for it. */
const SharedBlob = bcs.struct('SharedBlob', { id: ObjectId, blob: Blob, funds: Balance });
