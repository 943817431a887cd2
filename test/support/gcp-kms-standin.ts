// A local stand-in for Google Cloud KMS, for the operator's KMS signer (src/publish/sponsor/
// operator-key.ts, SUI_KMS=gcp): a gRPC server (plaintext, or TLS with a given certificate) for
// google.cloud.kms.v1.KeyManagementService, its service definition loaded from the descriptor
// @google-cloud/kms ships (build/protos/protos.json, the one its client encodes with), for one real
// key version made here with @noble/curves, secp256k1 (EC_SIGN_SECP256K1_SHA256, the default) or
// P-256 (EC_SIGN_P256_SHA256).
//   GetPublicKey {name} → {pem, algorithm, pemCrc32c, name, protectionLevel}
//   AsymmetricSign {name, data | digest.sha256, dataCrc32c?, digestCrc32c?} → {signature: DER ECDSA,
//     signatureCrc32c, verifiedDataCrc32c, verifiedDigestCrc32c, name, protectionLevel}
// As Cloud KMS does for an EC_SIGN_*_SHA256 key, `data` is hashed with SHA-256 before signing and a
// `digest` is signed as it is; a checksum that does not match its field is INVALID_ARGUMENT, and
// signatures are not normalised to low S (the signer must do that for Sui). Every other method is
// UNIMPLEMENTED (grpc-js answers so for a method without a handler). `signWithOtherKey` makes
// AsymmetricSign answer with a different key, as a broken KMS would.
import { createRequire } from 'node:module';
import {
  Server,
  ServerCredentials,
  status,
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { PublicKey } from '@mysten/sui/cryptography';
import { Secp256k1PublicKey } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1PublicKey } from '@mysten/sui/keypairs/secp256r1';
import { fromHex, toBase64 } from '@mysten/sui/utils';

export interface GcpKmsStandin {
  /** For GCP_KMS_ENDPOINT: `http://127.0.0.1:PORT` (plaintext), or `127.0.0.1:PORT` with TLS. */
  endpoint: string;
  /** The key version's full resource name, for GCP_KMS_KEY_VERSION. */
  versionName: string;
  /** The key's Sui public key and address, computed from the key itself, not from any KMS answer. */
  publicKey: PublicKey;
  /** Successful answers per method, and refused requests. */
  counts: { GetPublicKey: number; AsymmetricSign: number; refused: number };
  /** The `authorization` metadata of every request so far (none is expected over plaintext). */
  authorizations: string[];
  /** Sign with a different key from now on (a KMS answering for the wrong key). */
  signWithOtherKey(on: boolean): void;
  close(): Promise<void>;
}

// DER SubjectPublicKeyInfo headers (id-ecPublicKey, the curve's OID, a 65-byte BIT STRING) per curve.
const CURVES = {
  secp256k1: {
    ecdsa: secp256k1,
    algorithm: 'EC_SIGN_SECP256K1_SHA256',
    spkiHeader: fromHex('3056301006072a8648ce3d020106052b8104000a034200'),
    suiKey: (bytes: Uint8Array) => new Secp256k1PublicKey(bytes),
  },
  p256: {
    ecdsa: p256,
    algorithm: 'EC_SIGN_P256_SHA256',
    spkiHeader: fromHex('3059301306072a8648ce3d020106082a8648ce3d030107034200'),
    suiKey: (bytes: Uint8Array) => new Secp256r1PublicKey(bytes),
  },
} as const;

// The service as @google-cloud/kms's own client knows it: camelCase fields, enums as names, int64 as
// strings, and absent fields left out (so an unset `data` is told apart from a set `digest`).
const require = createRequire(import.meta.url);
const SERVICE = fromJSON(
  require('@google-cloud/kms/build/protos/protos.json') as Parameters<typeof fromJSON>[0],
  {
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  },
)['google.cloud.kms.v1.KeyManagementService'] as ServiceDefinition;

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum Cloud KMS puts on every field.
const CRC32C_TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  return crc >>> 0;
});
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** What grpc-js decodes an AsymmetricSignRequest into, with the options above. */
interface SignRequest {
  name?: string;
  data?: Uint8Array;
  dataCrc32c?: { value?: string };
  digest?: { sha256?: Uint8Array; sha384?: Uint8Array; sha512?: Uint8Array };
  digestCrc32c?: { value?: string };
}

type Refusal = { code: status; details: string };

export async function startGcpKmsStandin(
  curveName: keyof typeof CURVES = 'secp256k1',
  options: { tls?: { key: string; cert: string } } = {},
): Promise<GcpKmsStandin> {
  const curve = CURVES[curveName];
  const secretKey = curve.ecdsa.utils.randomSecretKey();
  const otherKey = curve.ecdsa.utils.randomSecretKey();
  const versionName =
    `projects/standin-project/locations/europe-west1/keyRings/edge/cryptoKeys/` +
    `operator-${crypto.randomUUID()}/cryptoKeyVersions/1`;
  const spki = new Uint8Array([...curve.spkiHeader, ...curve.ecdsa.getPublicKey(secretKey, false)]);
  const base64Lines = toBase64(spki).replace(/.{64}/g, '$&\n');
  const pem = `-----BEGIN PUBLIC KEY-----\n${base64Lines}\n-----END PUBLIC KEY-----\n`;
  const counts = { GetPublicKey: 0, AsymmetricSign: 0, refused: 0 };
  const authorizations: string[] = [];
  let useOtherKey = false;

  const notFound = (name: unknown): Refusal => ({
    code: status.NOT_FOUND,
    details: `CryptoKeyVersion ${String(name)} not found.`,
  });
  const invalid = (details: string): Refusal => ({ code: status.INVALID_ARGUMENT, details });

  function getPublicKey(request: { name?: string }) {
    if (request.name !== versionName) return notFound(request.name);
    counts.GetPublicKey++;
    return {
      pem,
      algorithm: curve.algorithm,
      pemCrc32c: { value: String(crc32c(new TextEncoder().encode(pem))) },
      name: versionName,
      protectionLevel: 'HSM',
    };
  }

  function asymmetricSign(request: SignRequest) {
    if (request.name !== versionName) return notFound(request.name);
    const { data, digest } = request;
    if ((data !== undefined) === (digest !== undefined))
      return invalid('exactly one of data and digest must be specified');
    if (digest !== undefined && (digest.sha256?.length !== 32 || digest.sha384 || digest.sha512))
      return invalid(`the digest must be a 32-byte sha256 for ${curve.algorithm}`);
    const input = data ?? digest!.sha256!;
    const claimed = (data !== undefined ? request.dataCrc32c : request.digestCrc32c)?.value;
    if (claimed !== undefined && Number(claimed) !== crc32c(input))
      return invalid(`the ${data !== undefined ? 'data' : 'digest'} CRC32C checksum does not match`);
    const signature = curve.ecdsa.sign(input, useOtherKey ? otherKey : secretKey, {
      prehash: data !== undefined,
      lowS: false,
      format: 'der',
    });
    counts.AsymmetricSign++;
    return {
      signature,
      signatureCrc32c: { value: String(crc32c(signature)) },
      verifiedDataCrc32c: data !== undefined && claimed !== undefined,
      verifiedDigestCrc32c: digest !== undefined && claimed !== undefined,
      name: versionName,
      protectionLevel: 'HSM',
    };
  }

  /** A unary handler: records the call's authorization, answers or refuses with a gRPC status. */
  function unary<Request>(answer: (request: Request) => object | Refusal) {
    return (call: ServerUnaryCall<Request, object>, callback: sendUnaryData<object>) => {
      recordAuthorization(call.metadata);
      const result = answer(call.request);
      if ('code' in result) {
        counts.refused++;
        callback({ code: result.code, details: result.details });
      } else callback(null, result);
    };
  }
  const recordAuthorization = (metadata: Metadata) => {
    for (const value of metadata.get('authorization')) authorizations.push(String(value));
  };

  const server = new Server();
  server.addService(SERVICE, {
    GetPublicKey: unary(getPublicKey),
    AsymmetricSign: unary(asymmetricSign),
  });
  const { tls } = options;
  const credentials = tls
    ? ServerCredentials.createSsl(null, [
        { private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) },
      ])
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    endpoint: tls ? `127.0.0.1:${port}` : `http://127.0.0.1:${port}`,
    versionName,
    publicKey: curve.suiKey(curve.ecdsa.getPublicKey(secretKey, true)),
    counts,
    authorizations,
    signWithOtherKey: (on) => {
      useOtherKey = on;
    },
    // Clients keep their channels open; a graceful shutdown would wait for them.
    close: async () => server.forceShutdown(),
  };
}
