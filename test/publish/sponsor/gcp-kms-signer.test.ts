// The operator's key in Google Cloud KMS (SUI_KMS=gcp), end to end: an edge on a Sui network
// (NETWORK=testnet, its Sui the devnet's) with GCP_KMS_ENDPOINT pointed at a local gRPC stand-in for
// Cloud KMS (test/support/gcp-kms-standin.ts, KeyManagementService from @google-cloud/kms's own
// descriptor, for a real secp256k1 / P-256 key) publishes through PUT /v1/blobs, and the devnet's
// Sui, which checks every signature, executes what @mysten/signers' GcpKmsSigner signed.
// Witnesses: the chain's record (the Blob's owner, its transaction's sender and signature, checked
// here with @mysten/sui/verify) against the address computed from the stand-in's own key, and the
// stand-in's AsymmetricSign counter.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { parseSerializedSignature } from '@mysten/sui/cryptography';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { verifyTransactionSignature } from '@mysten/sui/verify';
import { importSPKI, jwtVerify } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import type { RunningDevnet } from '../../../src/devnet/devnet.ts';
import { createNodeTls } from '../../../src/devnet/node-tls.ts';
import { loadOperatorSigner } from '../../../src/publish/sponsor/operator-key.ts';
import { randomBytes } from '../../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../../support/devnet.ts';
import { blobsOwnedBy as blobsOwned, startTestnetEdgeOnDevnet } from '../../support/publishing.ts';
import { crc32c, startGcpKmsStandin, type GcpKmsStandin } from '../../support/gcp-kms-standin.ts';

let devnet: RunningDevnet;
let kms: GcpKmsStandin;
let sui: SuiGrpcClient;
const dirs: { remove(): void }[] = [];
const silent = pino({ level: 'silent' });

const kmsEnv = (kms: GcpKmsStandin) => ({
  SUI_KMS: 'gcp',
  GCP_KMS_ENDPOINT: kms.endpoint,
  GCP_KMS_KEY_VERSION: kms.versionName,
});
/** The operator-key part of a configuration, through the real config schema. */
const kmsConfig = (env: Record<string, string>) => loadConfig({ LOG_LEVEL: 'silent', ...env });

/** An edge on testnet settings whose Sui is the devnet, paying with the KMS key (no sub-wallets). */
function edgeWithKms(kms: GcpKmsStandin, env: Record<string, string> = {}) {
  const dir = tempDir('gcp-kms-signer');
  dirs.push(dir);
  return startTestnetEdgeOnDevnet(devnet, dir.path, {
    PUBLISHER_AUTH: 'none',
    // The main wallet signs every upload itself, so each upload is a KMS signature.
    PUBLISHER_SUB_WALLETS: '0',
    ...kmsEnv(kms),
    ...env,
  });
}

const blobsOwnedBy = (owner: string) => blobsOwned(devnet, owner);

beforeAll(async () => {
  [devnet, kms] = await Promise.all([startTestDevnet({ nodes: 11, shards: 100 }), startGcpKmsStandin()]);
  sui = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
  await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: kms.publicKey.toSuiAddress() });
}, 60_000);
afterAll(async () => {
  await devnet?.stop();
  await kms?.close();
  for (const dir of dirs) dir.remove();
});

/** PUT /v1/blobs through an edge paying with `kms`'s key; the new Blob's ID. */
async function publish(kms: GcpKmsStandin, seed: number): Promise<string> {
  const edge = await edgeWithKms(kms);
  try {
    const response = await fetch(`${edge.url}/v1/blobs?permanent=true`, {
      method: 'PUT',
      body: randomBytes(5_000, seed) as BodyInit,
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { newlyCreated: { blobObject: { id: string } } };
    return json.newlyCreated.blobObject.id;
  } finally {
    await edge.stop();
  }
}

/** Runs `script` (an ES module) in a new Node process with `env` added; its standard output. */
function runNode(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--input-type=module', '--eval', script],
      { env: { ...process.env, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

/** The chain's record of a Blob: its owner, and the sender and signature of the transaction that made it. */
async function chainRecord(blobObjectId: string) {
  const [object] = (
    await sui.core.getObjects({ objectIds: [blobObjectId], include: { previousTransaction: true } })
  ).objects;
  if (!object || object instanceof Error) throw new Error('the blob object is not on chain');
  const { Transaction: tx } = await sui.core.getTransaction({
    digest: object.previousTransaction!,
    include: { transaction: true, bcs: true },
  });
  expect(tx!.signatures).toHaveLength(1);
  return {
    owner: (object.owner as { AddressOwner?: string }).AddressOwner,
    sender: tx!.transaction.sender,
    signature: parseSerializedSignature(tx!.signatures[0]!),
    // Checked here too, independently of the devnet's own check: who signed these bytes.
    signedBy: (await verifyTransactionSignature(tx!.bcs, tx!.signatures[0]!)).toSuiAddress(),
  };
}

describe('the gRPC stand-in for Cloud KMS', () => {
  it('checksums with CRC32C (Castagnoli), as Cloud KMS does', () => {
    // The standard check value of CRC-32C (RFC 3720 B.4 and every CRC catalogue).
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});

describe('operator key in Google Cloud KMS (SUI_KMS=gcp, GCP_KMS_ENDPOINT)', () => {
  it('the signer is the KMS key: its address is the one computed from the key itself', async () => {
    const signer = await loadOperatorSigner(kmsConfig(kmsEnv(kms)), silent);
    expect(signer!.getKeyScheme()).toBe('Secp256k1');
    expect(signer!.toSuiAddress()).toBe(kms.publicKey.toSuiAddress());
    expect(kms.counts.GetPublicKey).toBeGreaterThanOrEqual(1);
    expect(kms.counts.refused).toBe(0);
    // A plaintext endpoint gets no Google credentials (none exist here, and none are looked for).
    expect(kms.authorizations).toEqual([]);
  });

  it('an unknown key version stops the edge at startup with what KMS said and where', async () => {
    const unknown = kms.versionName.replace(/cryptoKeyVersions\/1$/, 'cryptoKeyVersions/9');
    const refusedBefore = kms.counts.refused;
    const config = kmsConfig({ ...kmsEnv(kms), GCP_KMS_KEY_VERSION: unknown });
    await expect(loadOperatorSigner(config, silent)).rejects.toThrow(
      new RegExp(
        `^SUI_KMS=gcp: cannot read the public key of ${unknown} at http://127\\.0\\.0\\.1:\\d+: ` +
          `5 NOT_FOUND: CryptoKeyVersion ${unknown} not found\\.$`,
      ),
    );
    expect(kms.counts.refused).toBe(refusedBefore + 1);
    // Through the edge's own start-up, the same refusal: no edge.
    await expect(edgeWithKms(kms, { GCP_KMS_KEY_VERSION: unknown })).rejects.toThrow(/5 NOT_FOUND/);
  });

  it('an endpoint nobody answers stops start-up within the KMS call deadline, not the library default', async () => {
    const gone = await startGcpKmsStandin();
    await gone.close();
    const started = Date.now();
    await expect(loadOperatorSigner(kmsConfig(kmsEnv(gone)), silent)).rejects.toThrow(
      new RegExp(
        `^SUI_KMS=gcp: cannot read the public key of ${gone.versionName} at ${gone.endpoint}: ` +
          'Total timeout of API google.cloud.kms.v1.KeyManagementService exceeded 10000 milliseconds ' +
          'retrying error Error: 14 UNAVAILABLE: No connection established\\.[^\\n]*$',
      ),
    );
    // 10 s of retries (the last back-off may overshoot a little); @google-cloud/kms alone allows 60 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  /**
   * The Google way, for a process of its own (both are read at start-up): a service account key file
   * for GOOGLE_APPLICATION_CREDENTIALS, and for GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (@grpc/grpc-js's
   * trust store, which replaces Node's when set) the stand-in's certificate, as an operator would
   * trust a private CA. With a service account, google-auth-library signs its own JWT (no token
   * exchange over the network), which the stand-in receives as a Bearer token.
   */
  function googleEnvironment(trusted: { cert: string }) {
    const account = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dir = tempDir('gcp-service-account');
    dirs.push(dir);
    const email = 'edge-operator@standin-project.iam.gserviceaccount.com';
    const keyFile = join(dir.path, 'service-account.json');
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        project_id: 'standin-project',
        private_key_id: 'standin-key-1',
        private_key: account.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        client_email: email,
        client_id: '100000000000000000001',
        token_uri: 'https://oauth2.googleapis.com/token',
      }),
    );
    const caFile = join(dir.path, 'standin-ca.pem');
    writeFileSync(caFile, trusted.cert);
    const env = { GOOGLE_APPLICATION_CREDENTIALS: keyFile, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: caFile };
    return { account, email, env };
  }

  /** In a new process: the operator signer from `env`, which signs `message`; its address and signature. */
  async function signInChild(message: string, env: Record<string, string>) {
    const configModule = import.meta.resolve('../../../src/config.ts');
    const operatorKeyModule = import.meta.resolve('../../../src/publish/sponsor/operator-key.ts');
    const child = await runNode(
      `const { loadConfig } = await import(${JSON.stringify(configModule)});
       const { loadOperatorSigner } = await import(${JSON.stringify(operatorKeyModule)});
       const { pino } = await import('pino');
       const signer = await loadOperatorSigner(loadConfig(process.env), pino({ level: 'silent' }));
       const bytes = new TextEncoder().encode(${JSON.stringify(message)});
       const { signature } = await signer.signPersonalMessage(bytes);
       console.log(JSON.stringify({ address: signer.toSuiAddress(), signature }));
       process.exit(0);`,
      env,
    );
    return JSON.parse(child) as { address: string; signature: string };
  }

  it('a TLS endpoint (host:port) is called over TLS with Google credentials: a service account JWT', async () => {
    // At an IP address, as here, the edge sends no TLS server name (src/publish/sponsor/grpc-ip-tls.ts:
    // Bun refuses one, Node warns); the certificate is still checked against that IP (next test).
    const identity = await createNodeTls('127.0.0.1');
    const tlsKms = await startGcpKmsStandin('secp256k1', { tls: identity });
    const google = googleEnvironment(identity);
    try {
      expect(tlsKms.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
      const message = 'over TLS';
      const { address, signature } = await signInChild(message, { ...kmsEnv(tlsKms), ...google.env });
      expect(address).toBe(tlsKms.publicKey.toSuiAddress());
      expect(await tlsKms.publicKey.verifyPersonalMessage(new TextEncoder().encode(message), signature)).toBe(
        true,
      );
      expect(tlsKms.counts).toEqual({ GetPublicKey: 1, AsymmetricSign: 1, refused: 0 });

      // Both calls carried the service account's token, signed with its key.
      expect(tlsKms.authorizations).toHaveLength(2);
      const publicKey = await importSPKI(
        google.account.publicKey.export({ type: 'spki', format: 'pem' }) as string,
        'RS256',
      );
      for (const authorization of tlsKms.authorizations) {
        const token = /^Bearer (.+)$/.exec(authorization)![1]!;
        const { payload, protectedHeader } = await jwtVerify(token, publicKey);
        expect(protectedHeader.kid).toBe('standin-key-1');
        expect(payload.iss).toBe(google.email);
        expect(payload.sub).toBe(google.email);
      }
    } finally {
      await tlsKms.close();
    }
  }, 30_000);

  it('a TLS endpoint at an IP address is held to its certificate: one for another IP ends start-up', async () => {
    // A certificate the trust store accepts, but made for 127.0.0.2, presented at 127.0.0.1: refused
    // for its names, within the KMS call deadline, and the stand-in never answers a call.
    const identity = await createNodeTls('127.0.0.2');
    const tlsKms = await startGcpKmsStandin('secp256k1', { tls: identity });
    const google = googleEnvironment(identity);
    try {
      await expect(signInChild('not sent', { ...kmsEnv(tlsKms), ...google.env })).rejects.toThrow(
        /SUI_KMS=gcp: cannot read the public key of .* at 127\.0\.0\.1:\d+: .*14 UNAVAILABLE: .*Hostname\/IP does not match certificate's altnames/,
      );
      expect(tlsKms.counts).toEqual({ GetPublicKey: 0, AsymmetricSign: 0, refused: 0 });
      expect(tlsKms.authorizations).toEqual([]);
    } finally {
      await tlsKms.close();
    }
  }, 40_000);

  it('a broken Google credentials file stops start-up without quoting it', async () => {
    const dir = tempDir('gcp-service-account');
    dirs.push(dir);
    const keyFile = join(dir.path, 'service-account.json');
    // A PEM where the JSON should be: JSON.parse's own message would quote its start.
    writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n');
    process.env['GOOGLE_APPLICATION_CREDENTIALS'] = keyFile;
    try {
      // A TLS endpoint: Google credentials are looked up (before anything is sent, so none answers).
      const failure = loadOperatorSigner(
        kmsConfig({ ...kmsEnv(kms), GCP_KMS_ENDPOINT: '127.0.0.1:9' }),
        silent,
      ).catch((error: Error) => error.message);
      expect(await failure).toBe(
        `SUI_KMS=gcp: cannot read the public key of ${kms.versionName} at 127.0.0.1:9: ` +
          'the Google credentials file (GOOGLE_APPLICATION_CREDENTIALS) is not valid JSON',
      );
    } finally {
      delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
    }
  });

  it('GCP_KMS_ENDPOINT with a path or a foreign scheme is refused by the configuration', () => {
    for (const endpoint of ['http://127.0.0.1:1/v1', 'grpc://127.0.0.1:1', 'host:port'])
      expect(() => kmsConfig({ ...kmsEnv(kms), GCP_KMS_ENDPOINT: endpoint })).toThrow(
        /^invalid configuration: GCP_KMS_ENDPOINT: host\[:port\], https:\/\/host\[:port\] or http:\/\/host:port/,
      );
  });

  it('PUT /v1/blobs is paid and signed by the KMS key, and the devnet Sui accepted its signatures', async () => {
    const address = kms.publicKey.toSuiAddress();
    const signsBefore = kms.counts.AsymmetricSign;
    const refusedBefore = kms.counts.refused;
    const record = await chainRecord(await publish(kms, 7201));

    // The chain's record: the Blob is the KMS address's, made by a transaction it sent and signed.
    expect(record.owner).toBe(address);
    expect(record.sender).toBe(address);
    if (record.signature.signatureScheme !== 'Secp256k1')
      throw new Error(`a ${record.signature.signatureScheme} signature`);
    expect(record.signature.publicKey).toEqual(kms.publicKey.toRawBytes());
    expect(record.signedBy).toBe(address);

    // Register and certify: each a transaction the KMS signed.
    expect(kms.counts.AsymmetricSign - signsBefore).toBeGreaterThanOrEqual(2);
    expect(kms.counts.refused).toBe(refusedBefore);
    expect(kms.authorizations).toEqual([]);
  });

  it('a KMS answering with another key: the devnet refuses the transaction and nothing is stored', async () => {
    const address = kms.publicKey.toSuiAddress();
    const edge = await edgeWithKms(kms);
    const blobsBefore = await blobsOwnedBy(address);
    const signsBefore = kms.counts.AsymmetricSign;
    kms.signWithOtherKey(true);
    try {
      const response = await fetch(`${edge.url}/v1/blobs?permanent=true`, {
        method: 'PUT',
        body: randomBytes(5_000, 7202) as BodyInit,
      });
      expect(response.status).toBeGreaterThanOrEqual(500);
      // The devnet's own refusal, passed on by the publisher.
      expect(await response.text()).toContain(
        `Invalid user signature: the signature does not verify for ${address}`,
      );
      expect(kms.counts.AsymmetricSign).toBeGreaterThan(signsBefore);
      expect(await blobsOwnedBy(address)).toBe(blobsBefore);
    } finally {
      kms.signWithOtherKey(false);
      await edge.stop();
    }
  });

  it('a P-256 key (EC_SIGN_P256_SHA256) signs as Secp256r1, and the devnet accepts it too', async () => {
    const r1 = await startGcpKmsStandin('p256');
    try {
      const address = r1.publicKey.toSuiAddress();
      const signer = await loadOperatorSigner(kmsConfig(kmsEnv(r1)), silent);
      expect(signer!.getKeyScheme()).toBe('Secp256r1');
      expect(signer!.toSuiAddress()).toBe(address);
      await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: address });
      const record = await chainRecord(await publish(r1, 7203));
      expect(record.owner).toBe(address);
      expect(record.sender).toBe(address);
      expect(record.signature.signatureScheme).toBe('Secp256r1');
      expect(record.signedBy).toBe(address);
      expect(r1.counts.AsymmetricSign).toBeGreaterThanOrEqual(2);
      expect(r1.counts.refused).toBe(0);
    } finally {
      await r1.close();
    }
  });
});
