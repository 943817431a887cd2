// The operator's key as the edge loads it (loadOperatorSigner, with a pino logger as main.ts builds
// one): keystore files of the Sui CLI's format and Bech32 `suiprivkey1…` strings give the address the
// Sui SDK's own keypair classes compute; malformed input gives one-line errors; and no form of the
// secret (base64 entry, Bech32, hex, raw base64) shows up in the log or in any error message.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { decodeSuiPrivateKey, type Keypair } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1Keypair } from '@mysten/sui/keypairs/secp256r1';
import { toBase64, toHex } from '@mysten/sui/utils';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadOperatorSigner,
  OperatorKeyError,
  type OperatorKeyConfig,
} from '../../../src/publish/sponsor/operator-key.ts';
import { tempDir } from '../../support/devnet.ts';

const dir = tempDir('operator-key');
afterAll(() => dir.remove());

/** A pino logger (at trace, so nothing is filtered) writing into a string. */
function bufferLogger() {
  let output = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  return { log: pino({ level: 'trace' }, sink), output: () => output };
}

/** Every spelling of a key's secret that could leak. */
function secretForms(keypair: Keypair): string[] {
  const bech32 = keypair.getSecretKey();
  const { secretKey } = decodeSuiPrivateKey(bech32);
  return [bech32, keystoreEntry(keypair), toBase64(secretKey), toHex(secretKey), bech32.slice(10, 40)];
}

function keystoreEntry(keypair: Keypair, flagOverride?: number): string {
  const { secretKey } = decodeSuiPrivateKey(keypair.getSecretKey());
  const flag = flagOverride ?? { ED25519: 0, Secp256k1: 1, Secp256r1: 2 }[keypair.getKeyScheme() as string]!;
  return toBase64(new Uint8Array([flag, ...secretKey]));
}

let files = 0;
function keystore(content: string): string {
  const path = join(dir.path, `sui-${files++}.keystore`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** Loads like the edge does, logging a failure like main.ts's startup handler would. */
async function load(config: OperatorKeyConfig) {
  const { log, output } = bufferLogger();
  try {
    const signer = await loadOperatorSigner(config, log);
    return { signer, error: undefined, output: output() };
  } catch (error) {
    log.fatal({ err: error }, 'cannot start');
    return { signer: undefined, error: error as Error, output: output() };
  }
}

function expectNoSecret(texts: string[], secrets: string[]) {
  for (const text of texts)
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
    }
}

describe('operator key from a keystore file', () => {
  const ed = new Ed25519Keypair();
  const k1 = new Secp256k1Keypair();
  const r1 = new Secp256r1Keypair();
  const path = () => keystore(JSON.stringify([keystoreEntry(ed), keystoreEntry(k1), keystoreEntry(r1)]));

  it('takes the first key by default, and logs its address but no secret', async () => {
    const { signer, error, output } = await load({ SUI_KEYSTORE_FILE: path() });
    expect(error).toBeUndefined();
    expect(signer!.toSuiAddress()).toBe(ed.toSuiAddress());
    expect(output).toContain(ed.toSuiAddress());
    expectNoSecret([output], [...secretForms(ed), ...secretForms(k1), ...secretForms(r1)]);
  });

  it('picks SUI_KEYSTORE_ADDRESS among Ed25519, Secp256k1 and Secp256r1 keys', async () => {
    for (const keypair of [ed, k1, r1]) {
      const { signer, output } = await load({
        SUI_KEYSTORE_FILE: path(),
        SUI_KEYSTORE_ADDRESS: keypair.toSuiAddress(),
      });
      expect(signer!.toSuiAddress()).toBe(keypair.toSuiAddress());
      expect(signer!.getKeyScheme()).toBe(keypair.getKeyScheme());
      expectNoSecret([output], secretForms(keypair));
    }
  });

  it('the loaded signer signs as the key does', async () => {
    const { signer } = await load({ SUI_KEYSTORE_FILE: path(), SUI_KEYSTORE_ADDRESS: k1.toSuiAddress() });
    const message = new TextEncoder().encode('walrus-edge');
    const { signature } = await signer!.signPersonalMessage(message);
    expect(await k1.getPublicKey().verifyPersonalMessage(message, signature)).toBe(true);
  });

  it('malformed keystores give clear one-line errors with no key material', async () => {
    const secrets = secretForms(ed);
    const entry = keystoreEntry(ed);
    const cases: [string, RegExp, Partial<OperatorKeyConfig>?][] = [
      // Truncated JSON whose parser error would quote the key.
      [`["${entry}"`, /not JSON/],
      [`{"key":"${entry}"}`, /non-empty JSON array/],
      ['[]', /non-empty JSON array/],
      [JSON.stringify([entry + '!!']), /entry 0 is not a base64 string/],
      [JSON.stringify([keystoreEntry(ed), 42]), /entry 1 is not a base64 string/],
      [JSON.stringify([entry.slice(0, 20)]), /entry 0 is \d+ bytes, expected 33/],
      [
        JSON.stringify([
          toBase64(new Uint8Array([0, ...decodeSuiPrivateKey(ed.getSecretKey()).secretKey, 7])),
        ]),
        /34 bytes/,
      ],
      [JSON.stringify([keystoreEntry(ed, 3)]), /key scheme flag 3; supported: 0 Ed25519/],
      // A Secp256k1 "key" outside the curve order.
      [
        JSON.stringify([toBase64(new Uint8Array([1, ...new Array(32).fill(0xff)]))]),
        /not a valid Secp256k1 private key/,
      ],
      [
        JSON.stringify([entry]),
        /holds no key for SUI_KEYSTORE_ADDRESS 0x0+ab/,
        { SUI_KEYSTORE_ADDRESS: '0xab' },
      ],
      [
        JSON.stringify([entry]),
        /SUI_KEYSTORE_ADDRESS is not a 0x… Sui address/,
        { SUI_KEYSTORE_ADDRESS: entry },
      ],
    ];
    for (const [content, reason, extra] of cases) {
      const { error, output } = await load({ SUI_KEYSTORE_FILE: keystore(content), ...extra });
      expect(error, content).toBeInstanceOf(OperatorKeyError);
      expect(error!.message).toMatch(reason);
      expect(error!.message).not.toContain('\n');
      expect(error!.cause).toBeUndefined();
      expectNoSecret([error!.message, String(error!.stack), output], secrets);
    }
    const absent = await load({ SUI_KEYSTORE_FILE: join(dir.path, 'nope.keystore') });
    expect(absent.error!.message).toMatch(/nope\.keystore: cannot read it \(ENOENT\)/);
  });
});

describe('operator key from SUI_PRIVATE_KEY (Bech32)', () => {
  it('gives the address of each scheme, with no secret in the log', async () => {
    for (const keypair of [new Ed25519Keypair(), new Secp256k1Keypair(), new Secp256r1Keypair()]) {
      const { signer, output } = await load({ SUI_PRIVATE_KEY: keypair.getSecretKey() });
      expect(signer!.toSuiAddress()).toBe(keypair.toSuiAddress());
      expect(output).toContain(keypair.toSuiAddress());
      expectNoSecret([output], secretForms(keypair));
    }
  });

  it('a malformed suiprivkey gives a clear error with no key material', async () => {
    const keypair = new Ed25519Keypair();
    const bech32 = keypair.getSecretKey();
    const flip = (text: string, at: number) =>
      text.slice(0, at) + (text[at] === 'q' ? 'p' : 'q') + text.slice(at + 1);
    for (const bad of [
      flip(bech32, 20),
      bech32.slice(0, -3),
      bech32.replace('suiprivkey', 'suiprivkez'),
      'hello',
    ]) {
      const { error, output } = await load({ SUI_PRIVATE_KEY: bad });
      expect(error).toBeInstanceOf(OperatorKeyError);
      expect(error!.message).toBe('SUI_PRIVATE_KEY is not a valid Bech32 suiprivkey1… private key');
      expectNoSecret([error!.message, String(error!.stack), output], [...secretForms(keypair), bad]);
    }
  });
});

describe('operator key configuration', () => {
  it('no key configured: null (the caller decides what pays)', async () => {
    expect((await load({})).signer).toBeNull();
  });

  it('two key sources at once are refused', async () => {
    const keypair = new Ed25519Keypair();
    const { error } = await load({
      SUI_PRIVATE_KEY: keypair.getSecretKey(),
      SUI_KEYSTORE_FILE: keystore(JSON.stringify([keystoreEntry(keypair)])),
    });
    expect(error!.message).toMatch(/configured twice \(SUI_KEYSTORE_FILE and SUI_PRIVATE_KEY\)/);
    expect((await load({ SUI_KEYSTORE_ADDRESS: keypair.toSuiAddress() })).error!.message).toMatch(
      /SUI_KEYSTORE_FILE is not/,
    );
  });

  // The configuration in front of the KMS calls (signatures through an AWS KMS stand-in are in
  // kms-signer.test.ts; Google Cloud KMS is not reachable from here and not tested).
  it('SUI_KMS=aws names what is missing, never the secret it has', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const { error, output } = await load({
      SUI_KMS: 'aws',
      AWS_REGION: 'eu-west-1',
      AWS_SECRET_ACCESS_KEY: secret,
    });
    expect(error).toBeInstanceOf(OperatorKeyError);
    expect(error!.message).toBe('SUI_KMS=aws needs AWS_KMS_KEY_ID, AWS_ACCESS_KEY_ID');
    expectNoSecret([error!.message, output], [secret]);
  });

  it('SUI_KMS=gcp needs a full key version name', async () => {
    expect((await load({ SUI_KMS: 'gcp' })).error!.message).toBe('SUI_KMS=gcp needs GCP_KMS_KEY_VERSION');
    expect((await load({ SUI_KMS: 'gcp', GCP_KMS_KEY_VERSION: 'my-key' })).error!.message).toMatch(
      /GCP_KMS_KEY_VERSION must be projects\/P\/locations\/L/,
    );
  });
});
