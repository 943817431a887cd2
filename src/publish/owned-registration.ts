// A registration found again on chain: when a register transaction's answer is lost (the connection
// dropped after Sui executed it, a timeout while waiting for it), the Blob object exists and was paid
// for, but the publisher never learned its ID. The owner's objects say: an uncertified Blob of this
// blob ID that the signer holds is that registration.
import type { ClientWithCoreApi } from '@mysten/sui/client';
import type { WalrusClient } from '@mysten/walrus';
import { Blob } from '../network/sui/walrus-objects.ts';
import { formatU256BlobId } from '../protocol/blob-id.ts';

export interface OwnedRegistration {
  objectId: string;
  deletable: boolean;
  /** Exclusive. */
  endEpoch: number;
}

/** An uncertified Blob object with this blob ID owned by `owner`, the longest-lived one; or undefined. */
export async function findOwnedRegistration(
  sui: ClientWithCoreApi,
  walrus: Pick<WalrusClient, 'getBlobType'>,
  owner: string,
  blobId: string,
): Promise<OwnedRegistration | undefined> {
  const type = await walrus.getBlobType();
  const found: OwnedRegistration[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof sui.core.listOwnedObjects<{ content: true }>>> =
      await sui.core.listOwnedObjects({ owner, type, cursor, include: { content: true } });
    for (const object of page.objects) {
      const blob = Blob.parse(object.content);
      if (formatU256BlobId(blob.blob_id) !== blobId || blob.certified_epoch !== null) continue;
      found.push({ objectId: object.objectId, deletable: blob.deletable, endEpoch: blob.storage.end_epoch });
    }
    cursor = page.hasNextPage ? page.cursor : null;
  } while (cursor);
  return found.sort((a, b) => b.endEpoch - a.endEpoch)[0];
}
