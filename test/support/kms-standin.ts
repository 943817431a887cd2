// A local stand-in for AWS KMS, for the operator's KMS signer (src/publish/sponsor/operator-key.ts):
// an HTTP server speaking the KMS JSON 1.1 protocol (POST /, Content-Type application/x-amz-json-1.1,
// X-Amz-Target TrentService.<Operation>) for one real key made here with @noble/curves, secp256k1
// (KMS key spec ECC_SECG_P256K1, the default) or P-256 (ECC_NIST_P256).
//   GetPublicKey {KeyId} → {KeyId, KeySpec, KeyUsage SIGN_VERIFY, PublicKey: base64
//     DER SubjectPublicKeyInfo, SigningAlgorithms [ECDSA_SHA_256], …}
//   Sign {KeyId, Message (base64), MessageType RAW | DIGEST, SigningAlgorithm ECDSA_SHA_256}
//     → {KeyId, Signature: base64 DER ECDSA, SigningAlgorithm}
// Like AWS, signatures are not normalised to low S (the signer must do that for Sui), and errors are
// 400 {"__type", "message"}. SigV4 is checked for shape (Authorization AWS4-HMAC-SHA256 with a
// Credential scope for the expected access key, region and service kms, X-Amz-Date), not for its
// HMAC. `signWithOtherKey` makes Sign answer with a different key, as a broken KMS would.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { PublicKey } from '@mysten/sui/cryptography';
import { Secp256k1PublicKey } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1PublicKey } from '@mysten/sui/keypairs/secp256r1';
import { fromBase64, fromHex, toBase64 } from '@mysten/sui/utils';

export interface KmsStandin {
  url: string;
  keyId: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The key's Sui public key and address, computed from the key itself, not from any KMS answer. */
  publicKey: PublicKey;
  /** Successful answers per operation, and refused requests. */
  counts: { GetPublicKey: number; Sign: number; refused: number };
  /** The X-Amz-Security-Token of the last request (temporary credentials carry one), if any. */
  lastSecurityToken(): string | undefined;
  /** Sign with a different key from now on (a KMS answering for the wrong key). */
  signWithOtherKey(on: boolean): void;
  close(): Promise<void>;
}

// DER SubjectPublicKeyInfo headers (id-ecPublicKey, the curve's OID, a 65-byte BIT STRING) per curve.
const CURVES = {
  secp256k1: {
    ecdsa: secp256k1,
    keySpec: 'ECC_SECG_P256K1',
    spkiHeader: fromHex('3056301006072a8648ce3d020106052b8104000a034200'),
    suiKey: (bytes: Uint8Array) => new Secp256k1PublicKey(bytes),
  },
  p256: {
    ecdsa: p256,
    keySpec: 'ECC_NIST_P256',
    spkiHeader: fromHex('3059301306072a8648ce3d020106082a8648ce3d030107034200'),
    suiKey: (bytes: Uint8Array) => new Secp256r1PublicKey(bytes),
  },
} as const;

export async function startKmsStandin(
  curveName: keyof typeof CURVES = 'secp256k1',
  region = 'eu-west-1',
): Promise<KmsStandin> {
  const curve = CURVES[curveName];
  const secretKey = curve.ecdsa.utils.randomSecretKey();
  const otherKey = curve.ecdsa.utils.randomSecretKey();
  const keyId = `arn:aws:kms:${region}:111122223333:key/${crypto.randomUUID()}`;
  const accessKeyId = 'AKIASTANDIN0000000001';
  const secretAccessKey = toBase64(crypto.getRandomValues(new Uint8Array(30)));
  const spki = new Uint8Array([...curve.spkiHeader, ...curve.ecdsa.getPublicKey(secretKey, false)]);
  const counts = { GetPublicKey: 0, Sign: 0, refused: 0 };
  let securityToken: string | undefined;
  let useOtherKey = false;

  const credential = new RegExp(
    `^AWS4-HMAC-SHA256 Credential=${accessKeyId}/\\d{8}/${region}/kms/aws4_request, ` +
      'SignedHeaders=([a-z0-9-]+;)*host(;[a-z0-9-]+)*, Signature=[0-9a-f]{64}$',
  );

  function answer(target: string | undefined, headers: Record<string, unknown>, body: string) {
    securityToken = headers['x-amz-security-token'] as string | undefined;
    if (
      !credential.test(String(headers['authorization'] ?? '')) ||
      !/^\d{8}T\d{6}Z$/.test(String(headers['x-amz-date']))
    )
      return {
        status: 400,
        body: { __type: 'IncompleteSignatureException', message: 'bad SigV4 Authorization' },
      };
    if (headers['content-type'] !== 'application/x-amz-json-1.1')
      return { status: 400, body: { __type: 'SerializationException', message: 'bad content type' } };
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { __type: 'SerializationException', message: 'body is not JSON' } };
    }
    if (request['KeyId'] !== keyId)
      return {
        status: 400,
        body: { __type: 'NotFoundException', message: `Key '${String(request['KeyId'])}' does not exist` },
      };
    if (target === 'TrentService.GetPublicKey') {
      counts.GetPublicKey++;
      return {
        status: 200,
        body: {
          KeyId: keyId,
          KeyOrigin: 'AWS_KMS',
          KeySpec: curve.keySpec,
          CustomerMasterKeySpec: curve.keySpec,
          KeyUsage: 'SIGN_VERIFY',
          PublicKey: toBase64(spki),
          SigningAlgorithms: ['ECDSA_SHA_256'],
        },
      };
    }
    if (target === 'TrentService.Sign') {
      const { Message, MessageType, SigningAlgorithm } = request;
      if (
        SigningAlgorithm !== 'ECDSA_SHA_256' ||
        (MessageType !== 'RAW' && MessageType !== 'DIGEST') ||
        typeof Message !== 'string'
      )
        return { status: 400, body: { __type: 'ValidationException', message: 'bad Sign request' } };
      const message = fromBase64(Message);
      if (MessageType === 'DIGEST' && message.length !== 32)
        return { status: 400, body: { __type: 'ValidationException', message: 'a DIGEST is 32 bytes' } };
      // RAW: KMS hashes the message with SHA-256; DIGEST: the message is that hash already.
      const signature = curve.ecdsa.sign(message, useOtherKey ? otherKey : secretKey, {
        prehash: MessageType === 'RAW',
        lowS: false,
        format: 'der',
      });
      counts.Sign++;
      return { status: 200, body: { KeyId: keyId, Signature: toBase64(signature), SigningAlgorithm } };
    }
    return { status: 400, body: { __type: 'UnknownOperationException', message: String(target) } };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const result =
        req.method === 'POST' && req.url === '/'
          ? answer(
              req.headers['x-amz-target'] as string | undefined,
              req.headers,
              Buffer.concat(chunks).toString(),
            )
          : { status: 404, body: { __type: 'UnknownOperationException', message: 'POST / only' } };
      if (result.status !== 200) counts.refused++;
      res
        .writeHead(result.status, { 'Content-Type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    keyId,
    accessKeyId,
    secretAccessKey,
    region,
    publicKey: curve.suiKey(curve.ecdsa.getPublicKey(secretKey, true)),
    counts,
    lastSecurityToken: () => securityToken,
    signWithOtherKey: (on) => {
      useOtherKey = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
