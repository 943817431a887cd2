// The devnet chain's events as the Walrus contracts emit them on Sui (`<package>::events::Blob…`), and
// the matching of events against Sui's event filters.
import { sha256 } from '@noble/hashes/sha2.js';
import { bcs } from '@mysten/sui/bcs';
import { normalizeSuiAddress, toBase58 } from '@mysten/sui/utils';
import type { ChainEvent } from '../../network/devnet-chain-client.ts';
import { BlobCertifiedEvent, BlobDeletedEvent, EpochEvent } from '../../network/sui/walrus-events.ts';
import { hexToBytes } from '../../protocol/base64.ts';
import { u256OfBlobId } from '../../protocol/blob-id.ts';
import { moduleMatches, typeMatches } from './move-paths.ts';
import type { SuiIds } from './sui-ids.ts';

/** `events::BlobRegistered` of the Walrus contracts (events.move). */
const BlobRegisteredEvent = bcs.struct('BlobRegistered', {
  epoch: bcs.u32(),
  blob_id: bcs.u256(),
  size: bcs.u64(),
  encoding_type: bcs.u8(),
  end_epoch: bcs.u32(),
  deletable: bcs.bool(),
  object_id: bcs.Address,
});

/** One Move event, with the chain's sequence number it came from (the events' ledger position). */
export interface MoveEvent {
  seq: number;
  packageId: string;
  module: string;
  sender: string;
  eventType: string;
  contents: Uint8Array;
  /** base58, 32 bytes. */
  transactionDigest: string;
  eventIndex: number;
  timestampMs: number;
}

/**
 * A devnet chain event as the Walrus contracts would emit it on Sui (undefined for events they lack);
 * `eventIndex`: its position among its transaction's events.
 */
export function moveEventOf(ids: SuiIds, event: ChainEvent, eventIndex = 0): MoveEvent | undefined {
  const { data } = event;
  let type: string;
  let contents: Uint8Array;
  switch (event.type) {
    case 'BlobRegistered':
      type = 'BlobRegistered';
      contents = BlobRegisteredEvent.serialize({
        epoch: event.epoch,
        blob_id: u256OfBlobId(data.blobId!),
        size: BigInt(data.size ?? 0),
        encoding_type: 1,
        end_epoch: data.endEpoch!,
        deletable: data.deletable ?? false,
        object_id: data.objectId!,
      }).toBytes();
      break;
    case 'BlobCertified':
    case 'BlobExtended': // the contracts announce an extension as a certification with is_extension
      type = 'BlobCertified';
      contents = BlobCertifiedEvent.serialize({
        epoch: event.epoch,
        blob_id: u256OfBlobId(data.blobId!),
        end_epoch: data.endEpoch!,
        deletable: data.deletable ?? false,
        object_id: data.objectId!,
        is_extension: event.type === 'BlobExtended',
      }).toBytes();
      break;
    case 'BlobDeleted':
      type = 'BlobDeleted';
      contents = BlobDeletedEvent.serialize({
        epoch: event.epoch,
        blob_id: u256OfBlobId(data.blobId!),
        end_epoch: data.endEpoch ?? 0,
        object_id: data.objectId!,
        was_certified: true,
      }).toBytes();
      break;
    case 'EpochChangeDone':
      type = 'EpochChangeDone';
      contents = EpochEvent.serialize({ epoch: data.epoch ?? event.epoch }).toBytes();
      break;
    default:
      return undefined;
  }
  return {
    seq: event.seq,
    packageId: ids.packageId,
    module: 'events',
    sender: normalizeSuiAddress('0x0'),
    eventType: `${ids.packageId}::events::${type}`,
    contents,
    transactionDigest: /^[0-9a-f]{64}$/.test(event.txDigest)
      ? toBase58(hexToBytes(event.txDigest))
      : toBase58(sha256(new TextEncoder().encode(`event ${event.seq} ${event.txDigest}`))),
    eventIndex,
    timestampMs: event.timestampMs,
  };
}

/** Whether an event's type matches a type filter (move-paths.ts). */
export function eventTypeMatches(eventType: string, filter: string): boolean {
  return typeMatches(eventType, filter);
}

/** Whether an event was emitted by `addr` or `addr::module` (its package_id and module). */
export function emitModuleMatches(event: MoveEvent, filter: string): boolean {
  return moduleMatches(event.packageId, event.module, filter);
}
