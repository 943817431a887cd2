// The operator's signer, the key that pays the network: from a Sui CLI keystore file, a Bech32
// `suiprivkey1…` string, or a cloud KMS (@mysten/signers) where the key never leaves the provider.
//
// Key material never reaches a log or an error message: every message below is written here, from
// public facts only (file path, entry index, length, flag, address), and no library error that could
// quote its input (JSON.parse, bech32, the curve libraries all do) is passed on, not even as `cause`.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { decodeSuiPrivateKey, type PublicKey, type Signer } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair, Secp256k1PublicKey } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1Keypair, Secp256r1PublicKey } from '@mysten/sui/keypairs/secp256r1';
import { fromBase64, fromHex, normalizeSuiAddress } from '@mysten/sui/utils';
import type { AwsKmsSignerOptions } from '@mysten/signers/aws';
import { AwsClient } from 'aws4fetch';
import type { BaseLogger } from 'pino';
import type { EdgeConfig } from '../../config.ts';
import { ipTlsChannelOption } from './grpc-ip-tls.ts';

export type OperatorKeyConfig = Pick<
  EdgeConfig,
  | 'SUI_KEYSTORE_FILE'
  | 'SUI_KEYSTORE_ADDRESS'
  | 'SUI_PRIVATE_KEY'
  | 'SUI_KMS'
  | 'AWS_KMS_KEY_ID'
  | 'AWS_REGION'
  | 'AWS_ACCESS_KEY_ID'
  | 'AWS_SECRET_ACCESS_KEY'
  | 'AWS_SESSION_TOKEN'
  | 'AWS_KMS_ENDPOINT'
  | 'GCP_KMS_KEY_VERSION'
  | 'GCP_KMS_ENDPOINT'
>;

/** A configuration problem with the operator's key; the message is one line and safe to log. */
export class OperatorKeyError extends Error {
  override name = 'OperatorKeyError';
}

/** Where a signer came from, for the startup log line. */
export type OperatorKeySource = 'keystore' | 'private-key' | 'aws-kms' | 'gcp-kms';

/**
 * The operator's signer as configured, or null when no key is configured (the caller decides:
 * on the devnet the directory's own wallet pays; elsewhere publishing is off). Logs where the key
 * came from and its address, never the key. Throws OperatorKeyError.
 */
export async function loadOperatorSigner(config: OperatorKeyConfig, log: BaseLogger): Promise<Signer | null> {
  const chosen = (
    [
      ['SUI_KEYSTORE_FILE', config.SUI_KEYSTORE_FILE],
      ['SUI_PRIVATE_KEY', config.SUI_PRIVATE_KEY],
      ['SUI_KMS', config.SUI_KMS],
    ] as const
  ).filter(([, value]) => value !== undefined);
  if (chosen.length > 1)
    throw new OperatorKeyError(
      `the operator key is configured twice (${chosen.map(([name]) => name).join(' and ')}): set only one`,
    );
  if (config.SUI_KEYSTORE_ADDRESS !== undefined && config.SUI_KEYSTORE_FILE === undefined)
    throw new OperatorKeyError('SUI_KEYSTORE_ADDRESS is set but SUI_KEYSTORE_FILE is not');

  let source: OperatorKeySource;
  let signer: Signer;
  if (config.SUI_KEYSTORE_FILE !== undefined) {
    source = 'keystore';
    signer = keystoreSigner(config.SUI_KEYSTORE_FILE, config.SUI_KEYSTORE_ADDRESS);
  } else if (config.SUI_PRIVATE_KEY !== undefined) {
    source = 'private-key';
    signer = bech32Signer(config.SUI_PRIVATE_KEY);
  } else if (config.SUI_KMS === 'aws') {
    source = 'aws-kms';
    signer = await awsKmsSigner(config);
  } else if (config.SUI_KMS === 'gcp') {
    source = 'gcp-kms';
    signer = await gcpKmsSigner(config);
  } else return null;
  log.info({ source, address: signer.toSuiAddress(), scheme: signer.getKeyScheme() }, 'operator key loaded');
  return signer;
}

const KEYPAIR_BY_FLAG = [Ed25519Keypair, Secp256k1Keypair, Secp256r1Keypair] as const;
const SCHEME_BY_FLAG = ['Ed25519', 'Secp256k1', 'Secp256r1'] as const;

/**
 * The key of `address` (default: the first) in a Sui CLI keystore (`sui.keystore`): a JSON array of
 * base64 strings, each a flag byte (0 Ed25519, 1 Secp256k1, 2 Secp256r1) followed by the 32-byte key.
 */
export function keystoreSigner(path: string, address?: string): Signer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new OperatorKeyError(`SUI_KEYSTORE_FILE ${path}: cannot read it (${code})`);
  }
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    throw new OperatorKeyError(
      `SUI_KEYSTORE_FILE ${path}: not JSON (a Sui keystore is a JSON array of base64 keys)`,
    );
  }
  if (!Array.isArray(entries) || entries.length === 0)
    throw new OperatorKeyError(`SUI_KEYSTORE_FILE ${path}: expected a non-empty JSON array of base64 keys`);
  const signers = entries.map((entry, index) => keystoreEntry(path, index, entry));
  if (address === undefined) return signers[0]!;
  const wanted = normalizeAddress(address);
  const match = signers.find((signer) => signer.toSuiAddress() === wanted);
  if (!match)
    throw new OperatorKeyError(
      `SUI_KEYSTORE_FILE ${path} holds no key for SUI_KEYSTORE_ADDRESS ${wanted} (it holds ${signers
        .map((signer) => signer.toSuiAddress())
        .join(', ')})`,
    );
  return match;
}

function keystoreEntry(path: string, index: number, entry: unknown): Signer {
  const where = `SUI_KEYSTORE_FILE ${path}: entry ${index}`;
  if (typeof entry !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry))
    throw new OperatorKeyError(`${where} is not a base64 string`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(entry);
  } catch {
    throw new OperatorKeyError(`${where} is not a base64 string`);
  }
  if (bytes.length !== 33)
    throw new OperatorKeyError(`${where} is ${bytes.length} bytes, expected 33 (flag byte and 32-byte key)`);
  return keypair(bytes[0]!, bytes.subarray(1), where);
}

/** The signer of a Bech32 `suiprivkey1…` private key (what `sui keytool export` prints). */
export function bech32Signer(value: string): Signer {
  let parsed: ReturnType<typeof decodeSuiPrivateKey>;
  try {
    parsed = decodeSuiPrivateKey(value.trim());
  } catch {
    throw new OperatorKeyError('SUI_PRIVATE_KEY is not a valid Bech32 suiprivkey1… private key');
  }
  const flag = SCHEME_BY_FLAG.findIndex((scheme) => scheme.toUpperCase() === parsed.scheme?.toUpperCase());
  return keypair(flag < 0 ? -1 : flag, parsed.secretKey, 'SUI_PRIVATE_KEY', parsed.scheme ?? 'unknown');
}

function keypair(flag: number, secret: Uint8Array, where: string, schemeName = `flag ${flag}`): Signer {
  const Keypair = KEYPAIR_BY_FLAG[flag];
  if (!Keypair)
    throw new OperatorKeyError(
      `${where} has key scheme ${schemeName}; supported: 0 Ed25519, 1 Secp256k1, 2 Secp256r1`,
    );
  if (secret.length !== 32)
    throw new OperatorKeyError(`${where}: the key is ${secret.length} bytes, expected 32`);
  try {
    return Keypair.fromSecretKey(secret);
  } catch {
    throw new OperatorKeyError(`${where} is not a valid ${SCHEME_BY_FLAG[flag]} private key`);
  }
}

function normalizeAddress(address: string): string {
  if (!/^0x[0-9a-fA-F]{1,64}$/.test(address))
    // Not echoed: a key pasted into the wrong variable must not end up in the log.
    throw new OperatorKeyError('SUI_KEYSTORE_ADDRESS is not a 0x… Sui address (0x and up to 64 hex digits)');
  return normalizeSuiAddress(address);
}

// ── KMS ───────────────────────────────────────────────────────────────────────────────────────────
// AWS: @mysten/signers 1.0.2 hardcodes the KMS endpoint — AwsKmsSigner.fromKeyId builds an
// AwsKmsClient whose runCommand POSTs to `https://kms.${region}.amazonaws.com/`
// (node_modules/@mysten/signers/dist/aws/aws-client.mjs line 32; src/aws/aws-client.ts line 93),
// with no endpoint option (AwsClientOptions is aws4fetch's: keys, region, retries), and AwsKmsClient is not
// exported. AwsKmsSigner's public constructor takes `{kmsKeyId, client, publicKey}` and calls only
// `client.runCommand('Sign', …)`, so the edge brings its own client: the same KMS JSON 1.1 protocol,
// SigV4-signed by aws4fetch (the library @mysten/signers inlines), posted to AWS_KMS_ENDPOINT or the
// regional default. Signing itself (RAW message, ECDSA_SHA_256, DER → compact, low-S) stays the
// library's. Proven end to end against a local stand-in: test/publish/sponsor/kms-signer.test.ts.
//
// GCP: the same shape. GcpKmsSigner.fromVersionName constructs `new KeyManagementServiceClient()`
// with no options (dist/gcp/gcp-kms-client.mjs lines 70 and 79; src/gcp/gcp-kms-client.ts lines 101
// and 119), so its endpoint would always be Google's. Its public constructor takes
// `{versionName, client, publicKey}` and calls only `client.asymmetricSign({name, data})`, so the
// edge makes the client (@google-cloud/kms, the one the library is typed against) with the endpoint
// of GCP_KMS_ENDPOINT, reads the public key itself, and leaves signing to the library (Cloud KMS
// hashes `data` with SHA-256 for EC_SIGN_*_SHA256 keys; DER → compact, low-S is the library's).
// Proven end to end against a local gRPC stand-in: test/publish/sponsor/gcp-kms-signer.test.ts.

function missing(config: OperatorKeyConfig, names: readonly (keyof OperatorKeyConfig)[]): string[] {
  return names.filter((name) => config[name] === undefined);
}

/** What AWS KMS's GetPublicKey answers (the fields used here). */
interface AwsPublicKeyAnswer {
  PublicKey?: string;
  KeySpec?: string;
}

/** The one method AwsKmsSigner calls on its client. */
type AwsKmsTransport = Pick<AwsKmsSignerOptions['client'], 'runCommand'>;

/** An AWS KMS JSON 1.1 client for `endpoint`, SigV4-signed for service kms in `region`. */
function awsKmsTransport(
  endpoint: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): AwsKmsTransport & { getPublicKey(keyId: string): Promise<AwsPublicKeyAnswer> } {
  const aws = new AwsClient({ ...credentials, service: 'kms', region });
  const run = async (command: string, body: object): Promise<unknown> => {
    const response = await aws.fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `TrentService.${command}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${command}: ${response.status} ${awsErrorSummary(text)}`);
    return JSON.parse(text) as unknown;
  };
  return {
    runCommand: run as AwsKmsTransport['runCommand'],
    getPublicKey: async (keyId) => (await run('GetPublicKey', { KeyId: keyId })) as AwsPublicKeyAnswer,
  };
}

/** AWS's error body `{"__type": "…#NotFoundException", "message": "…"}` as one line. */
function awsErrorSummary(text: string): string {
  try {
    const body = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
    return [body.__type?.split('#').pop(), body.message ?? body.Message].filter(Boolean).join(': ');
  } catch {
    return text.slice(0, 200);
  }
}

// A DER SubjectPublicKeyInfo of an EC key is a fixed header (algorithm id-ecPublicKey and the curve's
// OID) followed by the uncompressed point 04‖x‖y, so the curve's header is checked byte for byte.
const SPKI_HEADER = {
  secp256k1: '3056301006072a8648ce3d020106052b8104000a034200',
  p256: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
} as const;
type KmsCurve = keyof typeof SPKI_HEADER;

/** The curves Sui signs with, by their AWS KMS key spec and their Cloud KMS algorithm. */
const AWS_KEY_SPECS: Record<string, KmsCurve> = { ECC_SECG_P256K1: 'secp256k1', ECC_NIST_P256: 'p256' };
const GCP_ALGORITHMS: Record<string, KmsCurve> = {
  EC_SIGN_SECP256K1_SHA256: 'secp256k1',
  EC_SIGN_P256_SHA256: 'p256',
};

function publicKeyFromSpki(curve: KmsCurve, spki: Uint8Array): PublicKey {
  const header = fromHex(SPKI_HEADER[curve]);
  const point = spki.subarray(header.length);
  if (spki.length !== header.length + 65 || !header.every((byte, i) => spki[i] === byte) || point[0] !== 4)
    throw new Error(`the public key is not a DER SubjectPublicKeyInfo of a ${curve} point`);
  // Compressed: the parity of y, then x.
  const compressed = new Uint8Array([2 + (point[64]! & 1), ...point.subarray(1, 33)]);
  return curve === 'secp256k1' ? new Secp256k1PublicKey(compressed) : new Secp256r1PublicKey(compressed);
}

async function awsKmsSigner(config: OperatorKeyConfig): Promise<Signer> {
  const absent = missing(config, [
    'AWS_KMS_KEY_ID',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ]);
  if (absent.length > 0) throw new OperatorKeyError(`SUI_KMS=aws needs ${absent.join(', ')}`);
  const keyId = config.AWS_KMS_KEY_ID!;
  const endpoint = config.AWS_KMS_ENDPOINT ?? `https://kms.${config.AWS_REGION!}.amazonaws.com/`;
  const { AwsKmsSigner } = await import('@mysten/signers/aws');
  try {
    const client = awsKmsTransport(endpoint, config.AWS_REGION!, {
      accessKeyId: config.AWS_ACCESS_KEY_ID!,
      secretAccessKey: config.AWS_SECRET_ACCESS_KEY!,
      sessionToken: config.AWS_SESSION_TOKEN,
    });
    const answer = await client.getPublicKey(keyId);
    if (!answer.PublicKey) throw new Error('GetPublicKey answered no PublicKey');
    const curve = AWS_KEY_SPECS[answer.KeySpec ?? ''];
    if (!curve)
      throw new Error(`key spec ${answer.KeySpec ?? 'missing'}: Sui needs ECC_SECG_P256K1 or ECC_NIST_P256`);
    const publicKey = publicKeyFromSpki(curve, fromBase64(answer.PublicKey));
    // The library's type is its unexported AwsKmsClient; it calls runCommand only.
    return new AwsKmsSigner({ kmsKeyId: keyId, client: client as AwsKmsSignerOptions['client'], publicKey });
  } catch (error) {
    // AWS's own answers (AccessDenied, NotFound…) name the key ID, never the credentials.
    throw new OperatorKeyError(
      `SUI_KMS=aws: cannot read the public key of ${keyId} at ${endpoint}: ${oneLine(error)}`,
    );
  }
}

const GCP_VERSION_NAME =
  /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/[^/]+$/;

/** Where Cloud KMS is reached: GCP_KMS_ENDPOINT (validated in config.ts), or Google's. */
interface GcpKmsEndpoint {
  /** Unset: @google-cloud/kms's own default (cloudkms.googleapis.com:443, its mTLS variant included). */
  address?: { host: string; port: number };
  /** `http://…`: plaintext, and no Google credentials are looked up or sent. */
  plaintext: boolean;
  /** For messages: the endpoint, normalised. */
  label: string;
}

function gcpKmsEndpoint(value: string | undefined): GcpKmsEndpoint {
  if (value === undefined) return { plaintext: false, label: 'cloudkms.googleapis.com:443' };
  let url: URL;
  try {
    url = new URL(/^https?:\/\//.test(value) ? value : `https://${value}`);
  } catch {
    throw new OperatorKeyError(
      `GCP_KMS_ENDPOINT ${value}: not host[:port], https://host[:port] or http://host:port`,
    );
  }
  const plaintext = url.protocol === 'http:';
  const port = Number(url.port || (plaintext ? 80 : 443));
  return {
    address: { host: url.hostname, port },
    plaintext,
    label: `${plaintext ? 'http://' : ''}${url.hostname}:${port}`,
  };
}

// Each KMS call's deadline, retries of UNAVAILABLE / DEADLINE_EXCEEDED included (the back-off after
// the last attempt may overshoot it by a few seconds): @google-cloud/kms's default is 60 s
// (key_management_service_client_config.json), so a wrong endpoint would hold start-up, and every
// upload's signature, for a minute or more before failing.
const GCP_KMS_CALL_TIMEOUT_MS = 10_000;

async function gcpKmsClient(endpoint: GcpKmsEndpoint) {
  const { KeyManagementServiceClient } = await import('@google-cloud/kms');
  type ClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>;
  const callDeadline = { timeout_millis: GCP_KMS_CALL_TIMEOUT_MS };
  const options: ClientOptions = {
    ...(endpoint.address && { apiEndpoint: endpoint.address.host, port: endpoint.address.port }),
    clientConfig: {
      interfaces: {
        'google.cloud.kms.v1.KeyManagementService': {
          methods: { GetPublicKey: callDeadline, AsymmetricSign: callDeadline },
        },
      },
    },
  };
  if (!endpoint.plaintext) {
    if (!endpoint.address || isIP(endpoint.address.host) === 0)
      return new KeyManagementServiceClient(options);
    const grpc = await import('@grpc/grpc-js');
    return new KeyManagementServiceClient({ ...options, grpc, ...ipTlsChannelOption(grpc) });
  }
  // With `sslCreds` google-gax uses them as the channel's credentials and attaches no Google ones
  // (google-gax/build/src/grpc.js _getCredentials). The credentials and the gRPC module that checks
  // them must be the same copy of @grpc/grpc-js, so the module is passed along. The universe domain
  // is given because createStub asks the credentials for theirs otherwise (grpc.js createStub), which
  // sends GoogleAuth looking for credentials this endpoint never uses (down to the GCE metadata server).
  const grpc = await import('@grpc/grpc-js');
  return new KeyManagementServiceClient({
    ...options,
    grpc,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });
}

/** The SubjectPublicKeyInfo inside a PEM `PUBLIC KEY` block, as Cloud KMS's GetPublicKey answers it. */
function spkiFromPem(pem: string): Uint8Array {
  const body = /^\s*-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/.exec(pem);
  if (!body) throw new Error('the public key is not a PEM PUBLIC KEY block');
  return fromBase64(body[1]!.replace(/\s/g, ''));
}

async function gcpKmsSigner(config: OperatorKeyConfig): Promise<Signer> {
  const name = config.GCP_KMS_KEY_VERSION;
  if (name === undefined) throw new OperatorKeyError('SUI_KMS=gcp needs GCP_KMS_KEY_VERSION');
  if (!GCP_VERSION_NAME.test(name))
    throw new OperatorKeyError(
      'GCP_KMS_KEY_VERSION must be projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V',
    );
  const endpoint = gcpKmsEndpoint(config.GCP_KMS_ENDPOINT);
  const { GcpKmsSigner } = await import('@mysten/signers/gcp');
  try {
    const client = await gcpKmsClient(endpoint);
    // Connecting (credentials, channel) first, awaited here: every method of the generated client
    // starts with `this.initialize().catch((err) => { throw err; })` (@google-cloud/kms 5.7.0,
    // build/src/v1/key_management_service_client.js line 608 for getPublicKey), so a failure there,
    // such as missing Google credentials, also surfaces as an unhandled rejection, which ends Node
    // with the raw error. Once initialized, it is never redone.
    await client.initialize();
    const [answer] = await client.getPublicKey({ name });
    const curve = GCP_ALGORITHMS[String(answer.algorithm)];
    if (!curve)
      throw new Error(
        `algorithm ${String(answer.algorithm ?? 'missing')}: ` +
          'Sui needs EC_SIGN_SECP256K1_SHA256 or EC_SIGN_P256_SHA256',
      );
    if (!answer.pem) throw new Error('GetPublicKey answered no PEM');
    const publicKey = publicKeyFromSpki(curve, spkiFromPem(answer.pem));
    return new GcpKmsSigner({ versionName: name, client, publicKey });
  } catch (error) {
    // gRPC's status line (`5 NOT_FOUND: …`, `7 PERMISSION_DENIED: …`) names the resource, never the
    // credentials; google-auth-library's "Could not load the default credentials" names none either.
    // But it passes on JSON.parse's error for a broken credentials file, and that can quote the file,
    // a service account's private key included.
    const reason =
      error instanceof SyntaxError
        ? 'the Google credentials file (GOOGLE_APPLICATION_CREDENTIALS) is not valid JSON'
        : oneLine(gcpErrorSummary(error));
    throw new OperatorKeyError(
      `SUI_KMS=gcp: cannot read the public key of ${name} at ${endpoint.label}: ${reason}`,
    );
  }
}

/**
 * google-gax's error without its tail: after the retries of an unreachable endpoint it appends every
 * earlier attempt's error (` : Previous errors : […]`), the same line again and again.
 */
function gcpErrorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(' : Previous errors')[0]!;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 300);
}
