// Blob IDs: 32 bytes, shown as unpadded base64url (43 chars), stored on chain as a u256 read
// little-endian, and read big-endian when rotating sliver pairs onto shards.
import { blake2b256 } from './hash.ts';
import { merkleRoot } from './merkle.ts';
import { RS2_ENCODING_TYPE } from './encoding.ts';
import { bytesToBase64Url, base64UrlToBytes } from './base64.ts';

export const BLOB_ID_LENGTH = 32;

/** A blob ID, validated: always exactly 32 bytes. */
export type BlobIdBytes = Uint8Array & { readonly __brand: 'BlobId' };

export class InvalidIdError extends Error {
  override name = 'InvalidIdError';
}

/** Parses the string form strictly: exactly 43 base64url characters that decode to 32 bytes. */
export function parseBlobId(text: string): BlobIdBytes {
  return parseId32(text, 'blob ID');
}

/** True when `text` is a valid blob (or quilt) ID string. */
export function isBlobId(text: string): boolean {
  try {
    parseBlobId(text);
    return true;
  } catch (error) {
    if (error instanceof InvalidIdError) return false;
    throw error;
  }
}

/** Strict parser for any 32-byte ID in unpadded base64url (blob IDs and quilt IDs). */
export function parseId32(text: string, what: string): BlobIdBytes {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) {
    throw new InvalidIdError(`${what} must be 43 unpadded base64url characters encoding 32 bytes`);
  }
  const bytes = base64UrlToBytes(text);
  // 43 chars carry 258 bits: the two spare bits must be zero, or two strings would name one ID.
  if (bytes.length !== BLOB_ID_LENGTH || bytesToBase64Url(bytes) !== text) {
    throw new InvalidIdError(`${what} is not a canonical encoding of 32 bytes`);
  }
  return bytes as BlobIdBytes;
}

export function blobIdFromBytes(bytes: Uint8Array): BlobIdBytes {
  if (bytes.length !== BLOB_ID_LENGTH)
    throw new InvalidIdError(`blob ID must be 32 bytes, got ${bytes.length}`);
  return bytes as BlobIdBytes;
}

export function formatBlobId(bytes: Uint8Array): string {
  return bytesToBase64Url(bytes);
}

/** The on-chain u256: the 32 bytes read little-endian. */
export function blobIdToU256(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

export function blobIdFromU256(value: bigint): BlobIdBytes {
  if (value < 0n || value >> 256n !== 0n) throw new InvalidIdError('u256 out of range');
  const bytes = new Uint8Array(BLOB_ID_LENGTH);
  for (let i = 0; i < BLOB_ID_LENGTH; i++) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytes as BlobIdBytes;
}

/** The on-chain u256 (a bigint, or the decimal string BCS decodes it to) as a base64url blob ID. */
export function formatU256BlobId(value: bigint | string): string {
  return formatBlobId(blobIdFromU256(BigInt(value)));
}

/** A base64url blob ID as the on-chain u256. */
export function u256OfBlobId(blobId: string): bigint {
  return blobIdToU256(parseBlobId(blobId));
}

/** The 32 bytes read big-endian, modulo n: the rotation of sliver pairs onto shards. */
export function blobIdRotation(bytes: Uint8Array, n: number): number {
  let remainder = 0;
  for (const byte of bytes) remainder = (remainder * 256 + byte) % n;
  return remainder;
}

export interface SliverPairHashes {
  primary: Uint8Array;
  secondary: Uint8Array;
}

/** Merkle root over the n leaves primary_hash ‖ secondary_hash. */
export function metadataRootHash(hashes: readonly SliverPairHashes[]): Uint8Array {
  return merkleRoot(
    hashes.map(({ primary, secondary }) => {
      const leaf = new Uint8Array(primary.length + secondary.length);
      leaf.set(primary, 0);
      leaf.set(secondary, primary.length);
      return leaf;
    }),
  );
}

/** Blob ID = Blake2b-256(u8 encoding type ‖ u64 LE unencoded length ‖ root hash). */
export function deriveBlobId(
  rootHash: Uint8Array,
  unencodedLength: bigint | number,
  encodingType = RS2_ENCODING_TYPE,
): BlobIdBytes {
  const header = new Uint8Array(9);
  header[0] = encodingType;
  new DataView(header.buffer).setBigUint64(1, BigInt(unencodedLength), true);
  return blake2b256(header, rootHash) as BlobIdBytes;
}
