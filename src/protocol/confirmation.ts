// Storage confirmations: the message a node signs once it holds all slivers of its shards, and the
// quorum rule a certificate must meet (signers covering more than 2f shards, counted by shard weight).
import { INTENT_APP_ID_STORAGE, INTENT_VERSION, IntentType, StorageConfirmationMessage } from './bcs.ts';
import { encodingParams } from './encoding.ts';

export type Persistence = { kind: 'permanent' } | { kind: 'deletable'; objectId: Uint8Array };

export function confirmationMessage(epoch: number, blobId: Uint8Array, persistence: Persistence): Uint8Array {
  return StorageConfirmationMessage.serialize({
    intent: { type: IntentType.blobCertification, version: INTENT_VERSION, app_id: INTENT_APP_ID_STORAGE },
    epoch,
    contents: {
      blob_id: blobId,
      blob_type:
        persistence.kind === 'permanent'
          ? { Permanent: true }
          : { Deletable: { object_id: persistence.objectId } },
    },
  }).toBytes();
}

export interface ParsedConfirmation {
  intentType: number;
  epoch: number;
  blobId: Uint8Array;
  persistence: Persistence;
}

export function parseConfirmationMessage(bytes: Uint8Array): ParsedConfirmation {
  const message = StorageConfirmationMessage.parse(bytes);
  const type = message.contents.blob_type;
  return {
    intentType: message.intent.type,
    epoch: message.epoch,
    blobId: new Uint8Array(message.contents.blob_id),
    persistence:
      type.$kind === 'Deletable'
        ? { kind: 'deletable', objectId: new Uint8Array(type.Deletable.object_id) }
        : { kind: 'permanent' },
  };
}

/** More than 2f shards: enough weight that a certificate proves availability. */
export function isQuorum(shardWeight: number, n: number): boolean {
  return shardWeight >= 2 * encodingParams(n).f + 1;
}
