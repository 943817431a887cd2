// Receipts are signed on every paid upload's critical path. @mysten/sui's Ed25519Keypair signs in
// JavaScript (noble, ≈2 ms a signature here); the same key through node:crypto's native Ed25519 takes
// a few microseconds and gives the very same bytes (Ed25519 signatures are deterministic), so the
// receipt verifies with @mysten/sui/verify exactly as before. Other signers (KMS) are left as they are.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { Signer, decodeSuiPrivateKey, type PublicKey } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';

/** PKCS#8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

class NativeEd25519Signer extends Signer {
  readonly #key: KeyObject;
  readonly #publicKey: PublicKey;

  constructor(keypair: Ed25519Keypair) {
    super();
    const seed = decodeSuiPrivateKey(keypair.getSecretKey()).secretKey;
    const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + seed.length);
    der.set(PKCS8_ED25519_PREFIX);
    der.set(seed, PKCS8_ED25519_PREFIX.length);
    this.#key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
    this.#publicKey = keypair.getPublicKey();
  }

  async sign(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(sign(null, bytes, this.#key));
  }

  getKeyScheme() {
    return 'ED25519' as const;
  }

  getPublicKey(): PublicKey {
    return this.#publicKey;
  }
}

/** `signer`, signing natively when it is an in-memory Ed25519 key. */
export function nativeWhereFaster(signer: Signer): Signer {
  return signer instanceof Ed25519Keypair ? new NativeEd25519Signer(signer) : signer;
}
