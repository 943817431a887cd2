// BLS12-381 min-pk (48-byte G1 public keys, 96-byte G2 signatures), the scheme of storage-node
// confirmations and certificates. @noble/curves' longSignatures is that scheme with the standard DST
// BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_, which the official verifier accepts (DESIGN §7).
import { bls12_381 } from '@noble/curves/bls12-381.js';

const scheme = bls12_381.longSignatures;

export interface BlsKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateBlsKeyPair(seed?: Uint8Array): BlsKeyPair {
  const { secretKey, publicKey } = scheme.keygen(seed);
  return { secretKey, publicKey: publicKey.toBytes(true) };
}

export function blsPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return scheme.getPublicKey(secretKey).toBytes(true);
}

export function blsSign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return scheme.sign(scheme.hash(message), secretKey).toBytes(true);
}

export function blsAggregateSignatures(signatures: Uint8Array[]): Uint8Array {
  return scheme.aggregateSignatures(signatures).toBytes(true);
}

/** Verifies one signature (possibly an aggregate) by the given public keys over one message. */
export function blsVerifyAggregate(
  signature: Uint8Array,
  message: Uint8Array,
  publicKeys: Uint8Array[],
): boolean {
  if (publicKeys.length === 0) return false;
  try {
    const aggregateKey = scheme.aggregatePublicKeys(publicKeys);
    return scheme.verify(signature, scheme.hash(message), aggregateKey);
  } catch {
    // Malformed points are an invalid signature, not a crash.
    return false;
  }
}
