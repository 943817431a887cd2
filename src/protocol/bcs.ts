// The BCS wire types shared by storage nodes, readers and writers (walrus-core), with @mysten/bcs.
// IDs are kept as raw 32-byte arrays here; the string forms live in blob-id.ts.
import { bcs } from '@mysten/bcs';

export const Bytes32 = bcs.bytes(32);

export const MerkleNode = bcs.enum('MerkleNode', {
  Empty: null,
  Digest: Bytes32,
});

export const SliverPairMetadata = bcs.struct('SliverPairMetadata', {
  primary_hash: MerkleNode,
  secondary_hash: MerkleNode,
});

/** Variant index 1 (RS2) is the encoding type byte 1 in blob IDs. */
export const EncodingTypeBcs = bcs.enum('EncodingType', {
  RedStuff: null,
  RS2: null,
});

export const BlobMetadataV1 = bcs.struct('BlobMetadataV1', {
  encoding_type: EncodingTypeBcs,
  unencoded_length: bcs.u64(),
  hashes: bcs.vector(SliverPairMetadata),
});

export const BlobMetadata = bcs.enum('BlobMetadata', { V1: BlobMetadataV1 });

export const BlobMetadataWithId = bcs.struct('BlobMetadataWithId', {
  blob_id: Bytes32,
  metadata: BlobMetadata,
});

export const SliverData = bcs.struct('SliverData', {
  symbols: bcs.struct('Symbols', { data: bcs.byteVector(), symbol_size: bcs.u16() }),
  index: bcs.u16(),
});

/** Intent of a protocol message: [type, version 0, app id 3 (storage)]. */
export const IntentType = {
  proofOfPossession: 0,
  blobCertification: 1,
  invalidBlobId: 2,
  syncShard: 3,
} as const;
export const INTENT_VERSION = 0;
export const INTENT_APP_ID_STORAGE = 3;

export const Intent = bcs.struct('Intent', { type: bcs.u8(), version: bcs.u8(), app_id: bcs.u8() });

export const BlobPersistenceType = bcs.enum('BlobPersistenceType', {
  Permanent: null,
  Deletable: bcs.struct('Deletable', { object_id: Bytes32 }),
});

export const StorageConfirmationMessage = bcs.struct('ProtocolMessage<StorageConfirmation>', {
  intent: Intent,
  epoch: bcs.u32(),
  contents: bcs.struct('StorageConfirmationBody', { blob_id: Bytes32, blob_type: BlobPersistenceType }),
});

/** A quorum certificate as the publisher and upload relay pass it around. `signers` are committee member indices. */
export const ConfirmationCertificate = bcs.struct('Certificate', {
  signers: bcs.vector(bcs.u16()),
  serialized_message: bcs.byteVector(),
  signature: bcs.byteVector(),
});

export const QuiltPatchV1 = bcs.struct('QuiltPatchV1', {
  end_index: bcs.u16(),
  identifier: bcs.string(),
  tags: bcs.map(bcs.string(), bcs.string()),
});

export const QuiltIndexV1 = bcs.struct('QuiltIndexV1', { patches: bcs.vector(QuiltPatchV1) });

export type BlobMetadataValue = typeof BlobMetadata.$inferType;
export type SliverDataValue = typeof SliverData.$inferType;

/**
 * Zero-copy reading of BCS SliverData (ULEB128 length ‖ data ‖ u16 symbol size ‖ u16 index): `data` is
 * a view into `bytes`. The reader holds hundreds of slivers at once; parsing with a copy doubles that.
 * Undefined when the framing is not exactly one SliverData.
 */
export function sliverDataView(
  bytes: Uint8Array,
): { data: Uint8Array; symbolSize: number; index: number } | undefined {
  let length = 0;
  let shift = 0;
  let offset = 0;
  for (;;) {
    if (offset >= bytes.length || shift > 28) return undefined;
    const byte = bytes[offset++]!;
    length |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  if (offset + length + 4 !== bytes.length) return undefined;
  const tail = offset + length;
  return {
    data: bytes.subarray(offset, tail),
    symbolSize: bytes[tail]! | (bytes[tail + 1]! << 8),
    index: bytes[tail + 2]! | (bytes[tail + 3]! << 8),
  };
}
