// The native Ed25519 path for receipts must sign exactly as @mysten/sui's own keypair does: the same
// signature bytes for the same message, verified by @mysten/sui/verify for the keypair's address.
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { verifyPersonalMessageSignature } from '@mysten/sui/verify';
import { describe, expect, it } from 'vitest';
import { nativeWhereFaster } from '../../../src/publish/payments/native-ed25519.ts';

describe('native Ed25519 signing of personal messages', () => {
  it('gives the keypair’s own signature for every message, which verifies for its address', async () => {
    for (let i = 0; i < 5; i++) {
      const keypair = new Ed25519Keypair();
      const native = nativeWhereFaster(keypair);
      expect(native).not.toBe(keypair);
      expect(native.toSuiAddress()).toBe(keypair.toSuiAddress());
      const message = crypto.getRandomValues(new Uint8Array(1 + i * 97));
      const ours = await native.signPersonalMessage(message);
      expect(ours.signature).toBe((await keypair.signPersonalMessage(message)).signature);
      await verifyPersonalMessageSignature(message, ours.signature, { address: keypair.toSuiAddress() });
      // Another message does not verify with it.
      await expect(
        verifyPersonalMessageSignature(Uint8Array.of(...message, 1), ours.signature, {
          address: keypair.toSuiAddress(),
        }),
      ).rejects.toThrow();
    }
  });

  it('leaves other signers as they are', () => {
    const keypair = new Secp256k1Keypair();
    expect(nativeWhereFaster(keypair)).toBe(keypair);
  });
});
