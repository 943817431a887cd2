// singleSignerSponsor, the sponsor of tests and `walrus-edge put`: one upload at a time, and a lease
// asking for another wallet is refused at once.
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { describe, expect, it } from 'vitest';
import { singleSignerSponsor } from '../../../src/publish/sponsor/sponsor.ts';

describe('singleSignerSponsor', () => {
  it('leases its one signer to one upload at a time', async () => {
    const signer = new Ed25519Keypair();
    const sponsor = singleSignerSponsor(signer);
    const first = await sponsor.lease();
    let second = false;
    const next = sponsor.lease().then((lease) => ((second = true), lease));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second).toBe(false);
    first.release();
    first.release();
    expect((await next).address).toBe(signer.toSuiAddress());
  });

  it('takes a lease for its own address (any spelling) and refuses another', async () => {
    const signer = new Ed25519Keypair();
    const sponsor = singleSignerSponsor(signer);
    const own = await sponsor.lease(undefined, {
      address: signer.toSuiAddress().toUpperCase().replace('0X', '0x'),
    });
    expect(own.address).toBe(signer.toSuiAddress());
    own.release();
    await expect(sponsor.lease(undefined, { address: '0x1' })).rejects.toThrow(/signs only as 0x/);
  });
});
