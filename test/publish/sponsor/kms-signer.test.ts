// The operator's key in AWS KMS (SUI_KMS=aws), end to end: an edge on a Sui network (NETWORK=testnet,
// its Sui the devnet's) with AWS_KMS_ENDPOINT pointed at a local KMS stand-in (test/support/
// kms-standin.ts, the KMS JSON protocol for a real secp256k1 key) publishes through PUT /v1/blobs, and
// the devnet's Sui, which checks every signature, executes what @mysten/signers' AwsKmsSigner signed.
// Witnesses: the chain's record (the Blob's owner, its transaction's sender and Secp256k1 signature,
// checked here with @mysten/sui/verify) against the address computed from the stand-in's own key,
// and the stand-in's Sign counter.
import { parseSerializedSignature } from '@mysten/sui/cryptography';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { verifyTransactionSignature } from '@mysten/sui/verify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../../src/devnet/devnet.ts';
import { loadOperatorSigner } from '../../../src/publish/sponsor/operator-key.ts';
import { randomBytes } from '../../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../../support/devnet.ts';
import { blobsOwnedBy as blobsOwned, startTestnetEdgeOnDevnet } from '../../support/publishing.ts';
import { startKmsStandin, type KmsStandin } from '../../support/kms-standin.ts';

let devnet: RunningDevnet;
let kms: KmsStandin;
let sui: SuiGrpcClient;
const dirs: { remove(): void }[] = [];

const kmsEnv = (kms: KmsStandin) => ({
  SUI_KMS: 'aws',
  AWS_KMS_ENDPOINT: kms.url,
  AWS_KMS_KEY_ID: kms.keyId,
  AWS_REGION: kms.region,
  AWS_ACCESS_KEY_ID: kms.accessKeyId,
  AWS_SECRET_ACCESS_KEY: kms.secretAccessKey,
});

/** An edge on testnet settings whose Sui is the devnet, paying with the KMS key (no sub-wallets). */
function edgeWithKms(kms: KmsStandin) {
  const dir = tempDir('kms-signer');
  dirs.push(dir);
  return startTestnetEdgeOnDevnet(devnet, dir.path, {
    PUBLISHER_AUTH: 'none',
    // The main wallet signs every upload itself, so each upload is a KMS signature.
    PUBLISHER_SUB_WALLETS: '0',
    ...kmsEnv(kms),
  });
}

const blobsOwnedBy = (owner: string) => blobsOwned(devnet, owner);

beforeAll(async () => {
  [devnet, kms] = await Promise.all([startTestDevnet({ nodes: 11, shards: 100 }), startKmsStandin()]);
  sui = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
  await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: kms.publicKey.toSuiAddress() });
}, 60_000);
afterAll(async () => {
  await devnet?.stop();
  await kms?.close();
  for (const dir of dirs) dir.remove();
});

/** PUT /v1/blobs through an edge paying with `kms`'s key; the new Blob's owner on chain. */
async function publishAndOwner(kms: KmsStandin, seed: number): Promise<string | undefined> {
  const edge = await edgeWithKms(kms);
  try {
    const response = await fetch(`${edge.url}/v1/blobs?permanent=true`, {
      method: 'PUT',
      body: randomBytes(5_000, seed) as BodyInit,
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { newlyCreated: { blobObject: { id: string } } };
    const [object] = (await sui.core.getObjects({ objectIds: [json.newlyCreated.blobObject.id] })).objects;
    if (!object || object instanceof Error) throw new Error('the blob object is not on chain');
    return (object.owner as { AddressOwner?: string }).AddressOwner;
  } finally {
    await edge.stop();
  }
}

describe('operator key in AWS KMS (SUI_KMS=aws, AWS_KMS_ENDPOINT)', () => {
  it('temporary credentials: AWS_SESSION_TOKEN goes with every KMS request, SigV4-signed', async () => {
    const token = 'FwoGZXIvYXdzEXAMPLE-session-token';
    const signer = await loadOperatorSigner(
      { ...kmsEnv(kms), AWS_SESSION_TOKEN: token } as Parameters<typeof loadOperatorSigner>[0],
      pino({ level: 'silent' }),
    );
    expect(kms.lastSecurityToken()).toBe(token);
    await signer!.signPersonalMessage(new TextEncoder().encode('a session'));
    expect(kms.lastSecurityToken()).toBe(token);
  });

  it('the signer is the KMS key: its address is the one computed from the key itself', async () => {
    const signer = await loadOperatorSigner(
      kmsEnv(kms) as Parameters<typeof loadOperatorSigner>[0],
      pino({ level: 'silent' }),
    );
    expect(signer!.getKeyScheme()).toBe('Secp256k1');
    expect(signer!.toSuiAddress()).toBe(kms.publicKey.toSuiAddress());
    expect(kms.counts.refused).toBe(0);
  });

  it('an unknown key ID stops the edge at startup with what KMS said, and no credential', async () => {
    const config = { ...kmsEnv(kms), AWS_KMS_KEY_ID: 'alias/no-such-key' } as Parameters<
      typeof loadOperatorSigner
    >[0];
    const failure = loadOperatorSigner(config, pino({ level: 'silent' }));
    await expect(failure).rejects.toThrow(
      /^SUI_KMS=aws: cannot read the public key of alias\/no-such-key at http:\/\/127\.0\.0\.1:\d+\/: GetPublicKey: 400 NotFoundException: Key 'alias\/no-such-key' does not exist$/,
    );
    const message = await failure.catch((error: Error) => error.message);
    expect(message).not.toContain(kms.secretAccessKey);
  });

  it('PUT /v1/blobs is paid and signed by the KMS key, and the devnet Sui accepted its signatures', async () => {
    const address = kms.publicKey.toSuiAddress();
    const signsBefore = kms.counts.Sign;
    const refusedBefore = kms.counts.refused;
    const edge = await edgeWithKms(kms);
    try {
      const response = await fetch(`${edge.url}/v1/blobs?permanent=true`, {
        method: 'PUT',
        body: randomBytes(5_000, 7101) as BodyInit,
      });
      expect(response.status).toBe(200);
      const json = (await response.json()) as { newlyCreated: { blobObject: { id: string } } };

      // The chain's record: the Blob is the KMS address's, made by a transaction it sent and signed.
      const [object] = (
        await sui.core.getObjects({
          objectIds: [json.newlyCreated.blobObject.id],
          include: { previousTransaction: true },
        })
      ).objects;
      if (!object || object instanceof Error) throw new Error('the blob object is not on chain');
      expect((object.owner as { AddressOwner?: string }).AddressOwner).toBe(address);
      const { Transaction: tx } = await sui.core.getTransaction({
        digest: object.previousTransaction!,
        include: { transaction: true, bcs: true },
      });
      expect(tx!.transaction.sender).toBe(address);
      expect(tx!.signatures).toHaveLength(1);
      const signature = parseSerializedSignature(tx!.signatures[0]!);
      if (signature.signatureScheme !== 'Secp256k1')
        throw new Error(`a ${signature.signatureScheme} signature`);
      expect(signature.publicKey).toEqual(kms.publicKey.toRawBytes());
      // Checked here too, independently of the devnet's own check.
      expect((await verifyTransactionSignature(tx!.bcs, tx!.signatures[0]!)).toSuiAddress()).toBe(address);

      // Register and certify: each a transaction the KMS signed.
      expect(kms.counts.Sign - signsBefore).toBeGreaterThanOrEqual(2);
      expect(kms.counts.refused).toBe(refusedBefore);
    } finally {
      await edge.stop();
    }
  });

  it('a KMS answering with another key: the devnet refuses the transaction and nothing is stored', async () => {
    const address = kms.publicKey.toSuiAddress();
    const edge = await edgeWithKms(kms);
    const blobsBefore = await blobsOwnedBy(address);
    const signsBefore = kms.counts.Sign;
    kms.signWithOtherKey(true);
    try {
      const response = await fetch(`${edge.url}/v1/blobs?permanent=true`, {
        method: 'PUT',
        body: randomBytes(5_000, 7102) as BodyInit,
      });
      expect(response.status).toBeGreaterThanOrEqual(500);
      // The devnet's own refusal, passed on by the publisher.
      expect(await response.text()).toContain(
        `Invalid user signature: the signature does not verify for ${address}`,
      );
      expect(kms.counts.Sign).toBeGreaterThan(signsBefore);
      expect(await blobsOwnedBy(address)).toBe(blobsBefore);
    } finally {
      kms.signWithOtherKey(false);
      await edge.stop();
    }
  });

  it('a P-256 key (ECC_NIST_P256) signs as Secp256r1, and the devnet accepts it too', async () => {
    const r1 = await startKmsStandin('p256');
    try {
      const signer = await loadOperatorSigner(
        kmsEnv(r1) as Parameters<typeof loadOperatorSigner>[0],
        pino({ level: 'silent' }),
      );
      expect(signer!.getKeyScheme()).toBe('Secp256r1');
      expect(signer!.toSuiAddress()).toBe(r1.publicKey.toSuiAddress());
      await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: r1.publicKey.toSuiAddress() });
      expect(await publishAndOwner(r1, 7103)).toBe(r1.publicKey.toSuiAddress());
      expect(r1.counts.Sign).toBeGreaterThanOrEqual(2);
      expect(r1.counts.refused).toBe(0);
    } finally {
      await r1.close();
    }
  });
});
