import { describe, expect, it } from 'vitest';
import {
  InvalidIdError,
  blobIdFromU256,
  blobIdRotation,
  blobIdToU256,
  deriveBlobId,
  formatBlobId,
  metadataRootHash,
  parseBlobId,
} from '../../src/protocol/blob-id.ts';
import { BlobMetadata, BlobMetadataWithId } from '../../src/protocol/bcs.ts';
import { oracleEncode, randomBytes } from './oracle.ts';

type OracleHash = { primary_hash: { Digest: number[] }; secondary_hash: { Digest: number[] } };

function oracleHashes(hashes: unknown[]) {
  return (hashes as OracleHash[]).map((h) => ({
    primary: new Uint8Array(h.primary_hash.Digest),
    secondary: new Uint8Array(h.secondary_hash.Digest),
  }));
}

describe('blob IDs', () => {
  it('matches the official vector: "some other string" at n=1000', () => {
    const encoded = oracleEncode(new TextEncoder().encode('some other string'), 1000);
    const root = metadataRootHash(oracleHashes(encoded.metadata.V1.hashes));
    expect(formatBlobId(deriveBlobId(root, 17))).toBe('M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk');
  });

  for (const n of [7, 10, 100, 1000]) {
    it(`derives the same root hash and blob ID as walrus-wasm for random blobs at n=${n}`, () => {
      for (const [i, length] of [0, 1, 1000, 65_537].entries()) {
        const data = randomBytes(length, n * 31 + i);
        const encoded = oracleEncode(data, n);
        const root = metadataRootHash(oracleHashes(encoded.metadata.V1.hashes));
        expect(root).toEqual(encoded.rootHash);
        expect(deriveBlobId(root, length)).toEqual(encoded.blobId);
      }
    });
  }

  it('round-trips string ⇄ bytes ⇄ on-chain u256 (little-endian)', () => {
    const bytes = randomBytes(32, 7);
    const text = formatBlobId(bytes);
    expect(text).toHaveLength(43);
    expect(parseBlobId(text)).toEqual(bytes);
    const u256 = blobIdToU256(bytes);
    expect(u256 & 0xffn).toBe(BigInt(bytes[0]!));
    expect(blobIdFromU256(u256)).toEqual(bytes);
  });

  it('reads the ID big-endian for the shard rotation', () => {
    const bytes = new Uint8Array(32);
    bytes[31] = 5; // big-endian value 5
    expect(blobIdRotation(bytes, 1000)).toBe(5);
    bytes[30] = 1; // 256 + 5
    expect(blobIdRotation(bytes, 1000)).toBe(261);
  });

  it.each([
    ['too short', 'M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BU'],
    ['padded', 'M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk='],
    ['standard base64 alphabet', 'M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK+W7/4BUk'],
    ['non-canonical trailing bits', 'M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUl'],
    ['empty', ''],
  ])('rejects a blob ID that is %s', (_why, text) => {
    expect(() => parseBlobId(text)).toThrow(InvalidIdError);
  });
});

describe('metadata BCS', () => {
  for (const n of [7, 100]) {
    it(`serializes metadata to bytes that re-derive the wasm blob ID at n=${n}`, () => {
      const data = randomBytes(5000, n);
      const encoded = oracleEncode(data, n);
      const hashes = oracleHashes(encoded.metadata.V1.hashes);
      const bytes = BlobMetadataWithId.serialize({
        blob_id: encoded.blobId,
        metadata: {
          V1: {
            encoding_type: { RS2: true },
            unencoded_length: BigInt(data.length),
            hashes: hashes.map((h) => ({
              primary_hash: { Digest: h.primary },
              secondary_hash: { Digest: h.secondary },
            })),
          },
        },
      }).toBytes();
      // 32 id + 1 variant + 1 encoding + 8 length + ULEB(n) + n * 2 * (1 + 32)
      expect(bytes.length).toBe(32 + 1 + 1 + 8 + (n < 128 ? 1 : 2) + n * 66);
      const parsed = BlobMetadataWithId.parse(bytes);
      const parsedHashes = parsed.metadata.V1.hashes.map((h) => ({
        primary: new Uint8Array(h.primary_hash.Digest!),
        secondary: new Uint8Array(h.secondary_hash.Digest!),
      }));
      expect(
        deriveBlobId(metadataRootHash(parsedHashes), BigInt(parsed.metadata.V1.unencoded_length)),
      ).toEqual(encoded.blobId);
      expect(BlobMetadata.serialize(parsed.metadata).toBytes()).toEqual(bytes.slice(32));
    });
  }
});
