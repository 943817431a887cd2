// The keys operator-issued JWTs are verified with (JWT_SECRET, JWT_PUBLIC_KEY), each pinned to the
// algorithms of its own type: HS256 for the secret, ES256 for a P-256 key, EdDSA for an Ed25519 key.
// A token whose header names any other algorithm (`none`, HS256 against a public key, RS256, ...)
// finds no key and is refused: the classic algorithm-confusion attacks have nothing to work with.
import { importJWK, importSPKI, type CryptoKey, type JWK } from 'jose';
import { bytesToBase64Url, hexToBytes } from '../../protocol/base64.ts';

export type JwtAlgorithm = 'HS256' | 'ES256' | 'EdDSA' | 'Ed25519';

/** One verification key and the only algorithms a token may name to be checked against it. */
export interface JwtVerificationKey {
  algorithms: readonly JwtAlgorithm[];
  key: CryptoKey | Uint8Array;
  /** For logs: which variable and key type, never the key. */
  description: string;
}

export class JwtKeyError extends Error {
  override name = 'JwtKeyError';
}

/**
 * The official publisher reads a secret starting with `0x` as hex bytes and any other as its UTF-8
 * bytes (walrus-service client/config.rs `secret_to_bytes`); tokens signed for it verify here too.
 */
export function hmacSecret(secret: string): Uint8Array {
  if (secret.length === 0) throw new JwtKeyError('JWT_SECRET is empty');
  if (!secret.startsWith('0x')) return new TextEncoder().encode(secret);
  const hex = secret.slice(2);
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new JwtKeyError('JWT_SECRET starts with 0x but is no even-length hex string');
  }
  return hexToBytes(hex);
}

/** JWT_PUBLIC_KEY: a PEM SPKI block, a JWK (JSON), or (as the official publisher takes it) 0x + 32-byte Ed25519 hex. */
export async function publicVerificationKey(text: string): Promise<JwtVerificationKey> {
  const trimmed = text.trim();
  if (/^0x[0-9a-fA-F]{64}$/.test(trimmed)) {
    const jwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: bytesToBase64Url(hmacSecret(trimmed)) };
    return publicVerificationKey(JSON.stringify(jwk));
  }
  if (trimmed.startsWith('{')) {
    let jwk: JWK;
    try {
      jwk = JSON.parse(trimmed) as JWK;
    } catch {
      throw new JwtKeyError('JWT_PUBLIC_KEY starts with "{" but is no JSON (a JWK was expected)');
    }
    if (jwk.d !== undefined) {
      throw new JwtKeyError('JWT_PUBLIC_KEY is a private JWK ("d" is set): configure the public key only');
    }
    const algorithms = algorithmsOfJwk(jwk);
    try {
      return {
        algorithms,
        key: (await importJWK({ ...jwk, alg: undefined }, algorithms[0])) as CryptoKey,
        description: `JWT_PUBLIC_KEY (JWK ${jwk.kty}/${jwk.crv})`,
      };
    } catch (error) {
      throw new JwtKeyError(`JWT_PUBLIC_KEY is no usable JWK: ${(error as Error).message}`);
    }
  }
  if (trimmed.includes('-----BEGIN PUBLIC KEY-----')) {
    // SPKI names its curve; try each supported type and keep the one it is.
    for (const [alg, algorithms, kind] of [
      ['ES256', ['ES256'], 'P-256'],
      ['EdDSA', ['EdDSA', 'Ed25519'], 'Ed25519'],
    ] as const) {
      try {
        return {
          algorithms,
          key: await importSPKI(trimmed, alg),
          description: `JWT_PUBLIC_KEY (PEM ${kind})`,
        };
      } catch {
        // not this key type
      }
    }
    throw new JwtKeyError(
      'JWT_PUBLIC_KEY is a PEM public key, but neither P-256 (ES256) nor Ed25519 (EdDSA)',
    );
  }
  throw new JwtKeyError(
    'JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----), a JWK (JSON) or 0x + Ed25519 hex',
  );
}

function algorithmsOfJwk(jwk: JWK): JwtAlgorithm[] {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return ['ES256'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  throw new JwtKeyError(
    `JWT_PUBLIC_KEY is a ${jwk.kty}/${jwk.crv ?? '?'} JWK; supported: EC P-256 (ES256) and OKP Ed25519 (EdDSA)`,
  );
}

/**
 * The keys of the configuration. Both may be set (HS256 tokens then check against the secret,
 * ES256/EdDSA tokens against the public key); neither is an error, never "accept unsigned tokens"
 * (the official publisher without a key silently skips the signature check).
 */
export async function jwtVerificationKeys(input: {
  secret?: string;
  publicKey?: string;
}): Promise<JwtVerificationKey[]> {
  const keys: JwtVerificationKey[] = [];
  if (input.secret !== undefined) {
    keys.push({ algorithms: ['HS256'], key: hmacSecret(input.secret), description: 'JWT_SECRET (HS256)' });
  }
  if (input.publicKey !== undefined) keys.push(await publicVerificationKey(input.publicKey));
  if (keys.length === 0) {
    throw new JwtKeyError(
      'PUBLISHER_AUTH=jwt needs a verification key: set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (ES256/EdDSA)',
    );
  }
  return keys;
}
