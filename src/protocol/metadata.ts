// Blob metadata as nodes store it: parse BCS, check that it derives to the claimed blob ID.
import { BlobMetadata } from './bcs.ts';
import { deriveBlobId, metadataRootHash, type SliverPairHashes } from './blob-id.ts';
import { RS2_ENCODING_TYPE } from './encoding.ts';

export interface ParsedMetadata {
  encodingType: number;
  unencodedLength: number;
  hashes: SliverPairHashes[];
}

export class InvalidMetadataError extends Error {
  override name = 'InvalidMetadataError';
}

const EMPTY = new Uint8Array(32);

/** Parses BCS BlobMetadata; throws InvalidMetadataError for malformed bytes or an unknown encoding. */
export function parseMetadata(bytes: Uint8Array): ParsedMetadata {
  let parsed: typeof BlobMetadata.$inferType;
  try {
    parsed = BlobMetadata.parse(bytes);
  } catch (error) {
    throw new InvalidMetadataError(`metadata is not valid BCS: ${(error as Error).message}`);
  }
  const v1 = parsed.V1;
  if (v1.encoding_type.$kind !== 'RS2') throw new InvalidMetadataError('only RS2 encoding is supported');
  const length = BigInt(v1.unencoded_length);
  if (length > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InvalidMetadataError('unencoded length out of range');
  return {
    encodingType: RS2_ENCODING_TYPE,
    unencodedLength: Number(length),
    hashes: v1.hashes.map((pair) => ({
      primary: pair.primary_hash.Digest ? new Uint8Array(pair.primary_hash.Digest) : EMPTY,
      secondary: pair.secondary_hash.Digest ? new Uint8Array(pair.secondary_hash.Digest) : EMPTY,
    })),
  };
}

/** True when the metadata commits to exactly this blob ID (hash count n included). */
export function metadataMatchesBlobId(metadata: ParsedMetadata, blobId: Uint8Array, n: number): boolean {
  if (metadata.hashes.length !== n) return false;
  const derived = deriveBlobId(
    metadataRootHash(metadata.hashes),
    metadata.unencodedLength,
    metadata.encodingType,
  );
  return derived.length === blobId.length && derived.every((byte, i) => byte === blobId[i]);
}
