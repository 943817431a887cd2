// PUBLISHER_AUTH=jwt: `Authorization: Bearer <jwt>` tokens issued by the operator's backend, checked as
// the official Walrus publisher checks them, so tokens minted for it work here unchanged.
//
// Mirrors MystenLabs/walrus crates/walrus-service/src/client/daemon/auth.rs (`Claim`,
// `verify_jwt_claim`, `check_valid_upload`, `PublisherAuthError`) and daemon.rs `auth_layer`, read at
// commit 3c1cacc1 (2026-08-20) on 2026-12-01:
//  - claims: `exp` (required), `jti` (required, single use), optional `iat`, `send_object_to`,
//    `epochs` (exact) xor `max_epochs`, `size` (exact) xor `max_size`;
//  - order: signature, then expiry (60 s leeway, jsonwebtoken's default), then `jti` is claimed, then
//    the upload checks (size against the body's length hint, epochs against the query's `epochs`,
//    default 1, then `send_object_to`); a failed upload check gives the `jti` back;
//  - statuses and reasons (domain auth.publisher.walrus.space): INVALID_SIGNATURE 401,
//    EXPIRED_SIGNATURE 504 (sic: DEADLINE_EXCEEDED), INVALID_TOKEN 400, TOKEN_ALREADY_USED 429,
//    INVALID_EPOCHS / INVALID_SIZE / INVALID_SEND_OBJECT_TO / INCONSISTENT_TOKEN / INVALID_TIMESTAMP 400.
// Where we differ, on purpose: there is always a verification key (the official one decodes without
// checking the signature when none is configured); the upload checks always run (officially only with
// `--jwt-verify-upload`); a missing `exp` is INVALID_TOKEN 400 (officially jsonwebtoken's
// MissingRequiredClaim falls through to a 500); a future `nbf` is refused (jsonwebtoken skips `nbf`
// by default; we answer what it maps ImmatureSignature to, INVALID_SIGNATURE 401); a missing bearer
// header is 400 MISSING_AUTHORIZATION (officially axum's plain-text 400); `jti` single use holds across
// instances (replay-guard.ts).
import { errors, jwtVerify, type JWTPayload, type JWTHeaderParameters } from 'jose';
import { normalizeSuiAddress, isValidSuiAddress } from '@mysten/sui/utils';
import {
  bearerToken,
  type AuthDecision,
  type PublishAuthorizer,
  type PublishGrant,
  type PublishRefusal,
} from '../publish-auth.ts';
import type { JwtVerificationKey } from './jwt-keys.ts';
import type { ReplayGuard } from './replay-guard.ts';

export interface JwtAuthorizerOptions {
  /** From `jwtVerificationKeys` (at least one; each pinned to its algorithms). */
  keys: readonly JwtVerificationKey[];
  replayGuard: ReplayGuard;
  /** Leeway on `exp` (and `nbf`), in seconds; default 60, as the official publisher's. */
  clockToleranceSeconds?: number;
  /** Called once per decision, e.g. for metrics: the reason of a refusal, or `ok`. */
  onDecision?(outcome: string): void;
}

/** The official publisher's leeway: jsonwebtoken's `Validation::default().leeway`. */
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
const U32_MAX = 2 ** 32 - 1;

const refuse = (status: PublishRefusal['status'], reason: string, message: string): AuthDecision => ({
  ok: false,
  status,
  reason,
  message,
});

/** The claims we act on, type-checked as the official `Claim` struct deserializes them. */
interface Claims {
  exp: number;
  jti: string;
  sub?: string;
  sendObjectTo?: string;
  epochs?: number;
  maxEpochs?: number;
  size?: number;
  maxSize?: number;
}

export function jwtAuthorizer(options: JwtAuthorizerOptions): PublishAuthorizer {
  if (options.keys.length === 0) {
    // The official publisher would accept unsigned claims here; we never do.
    throw new Error('jwtAuthorizer needs at least one verification key (JWT_SECRET or JWT_PUBLIC_KEY)');
  }
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const algorithms = options.keys.flatMap((k) => k.algorithms);
  // The key for a token is chosen by the algorithm its header names, and only among keys pinned to it.
  const keyFor = (header: JWTHeaderParameters) => {
    const match = options.keys.find((k) => (k.algorithms as readonly string[]).includes(header.alg));
    if (!match) throw new errors.JOSEAlgNotAllowed(`"alg" (Algorithm) Header Parameter value not allowed`);
    return match.key;
  };

  const decide = async (request: Request): Promise<AuthDecision> => {
    const token = bearerToken(request.headers.get('authorization'));
    if (token === undefined) {
      return refuse(400, 'MISSING_AUTHORIZATION', 'an `Authorization: Bearer <JWT>` header is required');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        algorithms,
        clockTolerance: tolerance,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (error) {
      return verificationRefusal(error);
    }
    const claims = parseClaims(payload);
    if ('message' in claims)
      return refuse(400, 'INVALID_TOKEN', `the JWT token is invalid: ${claims.message}`);
    const expiresAtMs = (claims.exp + tolerance) * 1000;
    if (!Number.isSafeInteger(claims.exp) || Number.isNaN(new Date(expiresAtMs).getTime())) {
      return refuse(400, 'INVALID_TIMESTAMP', 'one of the timestamps in the JWT token is invalid');
    }
    // Claimed before the upload checks, as the official publisher does, so two concurrent requests
    // with one token cannot both pass; given back below if the checks refuse this request.
    if (!(await options.replayGuard.claim(claims.jti, expiresAtMs))) {
      return refuse(429, 'TOKEN_ALREADY_USED', 'the JWT token was already used');
    }
    const refusal = uploadRefusal(claims, request);
    if (refusal) {
      await options.replayGuard.release(claims.jti).catch(() => {});
      return refusal;
    }
    return { ok: true, grant: grantOf(claims) };
  };

  return async (request) => {
    let decision: AuthDecision;
    try {
      decision = await decide(request);
    } catch {
      // Only the replay store can throw here; without it single use cannot be promised: refuse
      // (without its error text, which names internal hosts).
      decision = refuse(
        503,
        'REPLAY_CHECK_UNAVAILABLE',
        "the token's single use cannot be checked right now; try again shortly",
      );
    }
    options.onDecision?.(decision.ok ? 'ok' : decision.reason);
    return decision;
  };
}

/** jose's failures as the official publisher's reasons (its jsonwebtoken ErrorKind mapping). */
function verificationRefusal(error: unknown): AuthDecision {
  if (error instanceof errors.JWTExpired) {
    return refuse(504, 'EXPIRED_SIGNATURE', `the signature on the token has expired: ${error.message}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refuse(401, 'INVALID_SIGNATURE', 'the signature on the token is invalid');
  }
  // `nbf` in the future: jsonwebtoken's ImmatureSignature, which the official maps to INVALID_SIGNATURE.
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
    return refuse(401, 'INVALID_SIGNATURE', `the signature on the token is invalid: ${error.message}`);
  }
  // Anything else (malformed, an algorithm not pinned to a key such as `none` or HS256 against a
  // public key, a missing or mistyped required claim): jsonwebtoken's InvalidToken / InvalidAlgorithm /
  // Json kinds. Not a 500: whatever the token holds, it is the client's input.
  const detail = error instanceof errors.JOSEError ? `: ${error.message}` : '';
  return refuse(400, 'INVALID_TOKEN', `the JWT token is invalid${detail}`);
}

function parseClaims(payload: JWTPayload): Claims | { message: string } {
  const { exp, jti } = payload;
  if (typeof exp !== 'number' || !Number.isInteger(exp)) return { message: '"exp" must be an integer' };
  if (typeof jti !== 'string') return { message: '"jti" must be a string' };
  const claims: Claims = { exp, jti, ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}) };
  const integer = (name: string, max: number): number | undefined | { message: string } => {
    const value = payload[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
      return { message: `"${name}" must be an integer from 0 to ${max}` };
    }
    return value;
  };
  for (const [name, field, max] of [
    ['epochs', 'epochs', U32_MAX],
    ['max_epochs', 'maxEpochs', U32_MAX],
    ['size', 'size', Number.MAX_SAFE_INTEGER],
    ['max_size', 'maxSize', Number.MAX_SAFE_INTEGER],
  ] as const) {
    const value = integer(name, max);
    if (typeof value === 'object') return value;
    if (value !== undefined) claims[field] = value;
  }
  const sendObjectTo = payload['send_object_to'];
  if (sendObjectTo !== undefined && sendObjectTo !== null) {
    const address = suiAddress(sendObjectTo);
    if (address === undefined) return { message: '"send_object_to" must be a Sui address' };
    claims.sendObjectTo = address;
  }
  return claims;
}

function suiAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) return undefined;
  const address = normalizeSuiAddress(value);
  return isValidSuiAddress(address) ? address : undefined;
}

/** `check_valid_upload`, in the official order: sizes, then epochs, then `send_object_to`. */
function uploadRefusal(claims: Claims, request: Request): AuthDecision | undefined {
  if (claims.size !== undefined && claims.maxSize !== undefined) {
    return refuse(400, 'INCONSISTENT_TOKEN', 'the token is inconsistent: both "size" and "max_size" are set');
  }
  const lengthHeader = request.headers.get('content-length');
  const length = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  if (length !== undefined) {
    const limit = claims.size ?? claims.maxSize;
    if ((limit !== undefined && length > limit) || (claims.size !== undefined && length < claims.size)) {
      const allowed = claims.size !== undefined ? `exactly ${claims.size}` : `at most ${claims.maxSize}`;
      return refuse(
        400,
        'INVALID_SIZE',
        `the size of the request does not match the size specified in the token: ${allowed} bytes allowed, Content-Length is ${length}`,
      );
    }
  }
  const query = new URL(request.url).searchParams;
  const epochsText = query.get('epochs');
  // The official query's default; a malformed value is the route's 400 to give, not a token matter.
  const epochs = epochsText === null ? 1 : Number(epochsText);
  if (claims.epochs !== undefined && claims.maxEpochs !== undefined) {
    return refuse(
      400,
      'INCONSISTENT_TOKEN',
      'the token is inconsistent: both "epochs" and "max_epochs" are set',
    );
  }
  if (
    (claims.epochs !== undefined && epochs !== claims.epochs) ||
    (claims.maxEpochs !== undefined && !(epochs <= claims.maxEpochs))
  ) {
    const allowed = claims.epochs !== undefined ? `exactly ${claims.epochs}` : `at most ${claims.maxEpochs}`;
    return refuse(
      400,
      'INVALID_EPOCHS',
      `the epochs field in the query does not match the token: ${allowed} allowed, ${epochsText ?? '1 (default)'} asked`,
    );
  }
  if (claims.sendObjectTo !== undefined) {
    const asked = query.get('send_object_to');
    if (asked === null || suiAddress(asked) !== claims.sendObjectTo) {
      return refuse(
        400,
        'INVALID_SEND_OBJECT_TO',
        'the send_object_to field in the query does not match the token, or is missing',
      );
    }
  }
  return undefined;
}

function grantOf(claims: Claims): PublishGrant {
  // `sub` names the client when the issuer sets it; else the token's own ID does, for the logs.
  const grant: PublishGrant = { subject: claims.sub ?? `jti:${claims.jti}` };
  if (claims.size !== undefined) grant.exactSize = claims.size;
  if (claims.maxSize !== undefined) grant.maxSize = claims.maxSize;
  if (claims.epochs !== undefined) grant.exactEpochs = claims.epochs;
  if (claims.maxEpochs !== undefined) grant.maxEpochs = claims.maxEpochs;
  if (claims.sendObjectTo !== undefined) grant.sendObjectTo = claims.sendObjectTo;
  return grant;
}
