// The Walrus Move events a cache cares about (contracts/walrus/sources/system/events.move), as BCS:
// a blob certified (it may have a new end epoch), a blob deleted or deny-listed (drop it), and epoch
// changes (expire what ended). Other events are ignored. Type names are matched by their
// `::events::Name` suffix: the package ID is the Walrus package's, read from the System object.
import { bcs } from '@mysten/sui/bcs';
import { formatU256BlobId } from '../../protocol/blob-id.ts';
import { ObjectId } from './walrus-objects.ts';

export const BlobCertifiedEvent = bcs.struct('BlobCertified', {
  epoch: bcs.u32(),
  blob_id: bcs.u256(),
  end_epoch: bcs.u32(),
  deletable: bcs.bool(),
  object_id: ObjectId,
  is_extension: bcs.bool(),
});

export const BlobDeletedEvent = bcs.struct('BlobDeleted', {
  epoch: bcs.u32(),
  blob_id: bcs.u256(),
  end_epoch: bcs.u32(),
  object_id: ObjectId,
  was_certified: bcs.bool(),
});

/** DenyListBlobDeleted and InvalidBlobID: an epoch and a blob ID. */
export const BlobIdEvent = bcs.struct('BlobIdEvent', { epoch: bcs.u32(), blob_id: bcs.u256() });

/** EpochChangeStart and EpochChangeDone. */
export const EpochEvent = bcs.struct('EpochEvent', { epoch: bcs.u32() });

export type WalrusEvent =
  | { kind: 'certified'; blobId: string; endEpoch: number; deletable: boolean }
  | { kind: 'deleted'; blobId: string }
  | { kind: 'epoch'; epoch: number };

/** The event of this Move type, or undefined for events the cache does not follow. */
export function parseWalrusEvent(eventType: string, content: Uint8Array): WalrusEvent | undefined {
  const name = /::events::(\w+)$/.exec(eventType)?.[1];
  switch (name) {
    case 'BlobCertified': {
      const event = BlobCertifiedEvent.parse(content);
      return {
        kind: 'certified',
        blobId: formatU256BlobId(event.blob_id),
        endEpoch: event.end_epoch,
        deletable: event.deletable,
      };
    }
    case 'BlobDeleted':
      return { kind: 'deleted', blobId: formatU256BlobId(BlobDeletedEvent.parse(content).blob_id) };
    // Deny-listed by f+1 nodes, or proven inconsistent: either way no longer to be served.
    case 'DenyListBlobDeleted':
    case 'InvalidBlobID':
      return { kind: 'deleted', blobId: formatU256BlobId(BlobIdEvent.parse(content).blob_id) };
    case 'EpochChangeStart':
    case 'EpochChangeDone':
      return { kind: 'epoch', epoch: EpochEvent.parse(content).epoch };
    default:
      return undefined;
  }
}
