// Quilt patch IDs: base64url(quiltId[32] ‖ version u8 (=1) ‖ start u16 LE ‖ end u16 LE), 37 bytes.
// start..end (end exclusive) are the secondary sliver (column) indices the patch occupies.
import { InvalidIdError, blobIdFromBytes, formatBlobId, parseId32, type BlobIdBytes } from './blob-id.ts';
import { base64UrlToBytes, bytesToBase64Url } from './base64.ts';

export const QUILT_PATCH_ID_VERSION = 1;
const PATCH_ID_LENGTH = 37;

export interface QuiltPatchId {
  quiltId: BlobIdBytes;
  version: number;
  startIndex: number;
  endIndex: number;
}

export function formatQuiltPatchId({ quiltId, startIndex, endIndex }: Omit<QuiltPatchId, 'version'>): string {
  const bytes = new Uint8Array(PATCH_ID_LENGTH);
  bytes.set(quiltId, 0);
  const view = new DataView(bytes.buffer);
  view.setUint8(32, QUILT_PATCH_ID_VERSION);
  view.setUint16(33, startIndex, true);
  view.setUint16(35, endIndex, true);
  return bytesToBase64Url(bytes);
}

export function parseQuiltPatchId(text: string): QuiltPatchId {
  // 37 bytes → 50 unpadded base64url characters, the last carrying 2 spare bits.
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{50}$/.test(text)) {
    throw new InvalidIdError('quilt patch ID must be 50 unpadded base64url characters encoding 37 bytes');
  }
  const bytes = base64UrlToBytes(text);
  if (bytes.length !== PATCH_ID_LENGTH || bytesToBase64Url(bytes) !== text) {
    throw new InvalidIdError('quilt patch ID is not a canonical encoding of 37 bytes');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const version = view.getUint8(32);
  const startIndex = view.getUint16(33, true);
  const endIndex = view.getUint16(35, true);
  if (version !== QUILT_PATCH_ID_VERSION)
    throw new InvalidIdError(`unsupported quilt patch ID version ${version}`);
  if (endIndex <= startIndex) throw new InvalidIdError('quilt patch ID has an empty column range');
  return { quiltId: blobIdFromBytes(bytes.slice(0, 32)), version, startIndex, endIndex };
}

/** The quilt ID a patch ID names, or undefined when `text` is no valid patch ID. */
export function quiltIdOfPatch(text: string): string | undefined {
  try {
    return formatBlobId(parseQuiltPatchId(text).quiltId);
  } catch (error) {
    if (error instanceof InvalidIdError) return undefined;
    throw error;
  }
}

export function parseQuiltId(text: string): BlobIdBytes {
  return parseId32(text, 'quilt ID');
}
