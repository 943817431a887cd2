// PUBLISHER_AUTH (DESIGN §4) turned into the authorizer the publisher's routes ask, or the reason the
// edge must not start. An open publisher spends the operator's WAL for anyone who finds it, so it is
// the default only on the devnet, where WAL comes from a faucet.
import type { EdgeConfig } from '../../config.ts';
import { looksLikeApiKey } from '../accounts/api-keys.ts';
import { bearerToken, openPublishing, type PublishAuthorizer } from '../publish-auth.ts';
import { apiKeyAuthorizer, type ApiKeyAuthorizerOptions } from './api-key-authorizer.ts';
import { jwtAuthorizer, type JwtAuthorizerOptions } from './jwt-authorizer.ts';
import { JwtKeyError, jwtVerificationKeys } from './jwt-keys.ts';
import type { ReplayGuard } from './replay-guard.ts';

export interface PublisherAuthorizerInput {
  mode: EdgeConfig['PUBLISHER_AUTH'];
  network: EdgeConfig['NETWORK'];
  jwtSecret?: string;
  jwtPublicKey?: string;
  /** Where used `jti`s are kept: redisReplayGuard in production, memoryReplayGuard without Redis. */
  replayGuard?: ReplayGuard;
  onDecision?: JwtAuthorizerOptions['onDecision'];
  /** The ledger and key hashing of PUBLISHER_AUTH=api-key (and jwt,api-key). */
  apiKeys?: ApiKeyAuthorizerOptions;
}

export type PublisherAuthorizerSetup =
  | {
      ok: true;
      authorizer: PublishAuthorizer;
      /** What is in force, for the start-up log. */
      mode: 'none' | 'jwt' | 'api-key' | 'jwt,api-key';
      /** Configuration that has no effect and probably is a mistake. */
      warnings: string[];
    }
  | { ok: false; error: string };

export async function publisherAuthorizer(
  input: PublisherAuthorizerInput,
): Promise<PublisherAuthorizerSetup> {
  const jwtKeysSet = input.jwtSecret !== undefined || input.jwtPublicKey !== undefined;
  if (input.mode === undefined && input.network !== 'devnet') {
    return {
      ok: false,
      error:
        `PUBLISHER_AUTH is not set on ${input.network}: an open publisher spends the operator's WAL ` +
        'for anyone on the internet; set PUBLISHER_AUTH=none to allow it (or jwt, api-key)',
    };
  }
  const mode = input.mode ?? 'none';
  if (mode === 'none') {
    return {
      ok: true,
      authorizer: openPublishing,
      mode: 'none',
      warnings: jwtKeysSet
        ? ['JWT_SECRET / JWT_PUBLIC_KEY are set but PUBLISHER_AUTH is none: tokens are not checked']
        : [],
    };
  }
  const withApiKeys = mode.includes('api-key');
  const withJwt = mode.includes('jwt');
  if (withApiKeys && !input.apiKeys)
    return { ok: false, error: `PUBLISHER_AUTH=${mode} needs the ledger of accounts` };
  const apiKeys = input.apiKeys && apiKeyAuthorizer(input.apiKeys);
  if (!withJwt) return { ok: true, authorizer: apiKeys!, mode: 'api-key', warnings: [] };
  if (!input.replayGuard) {
    return { ok: false, error: "PUBLISHER_AUTH=jwt needs a replay guard for the tokens' jti (Redis)" };
  }
  try {
    const keys = await jwtVerificationKeys({ secret: input.jwtSecret, publicKey: input.jwtPublicKey });
    const jwt = jwtAuthorizer({ keys, replayGuard: input.replayGuard, onDecision: input.onDecision });
    if (!apiKeys) return { ok: true, authorizer: jwt, mode: 'jwt', warnings: [] };
    // Both: an API key says what it is (wek_…); any other bearer token is taken for a JWT.
    const either: PublishAuthorizer = (request) => {
      const token = bearerToken(request.headers.get('authorization'));
      return token && looksLikeApiKey(token) ? apiKeys(request) : jwt(request);
    };
    return { ok: true, authorizer: either, mode: 'jwt,api-key', warnings: [] };
  } catch (error) {
    if (error instanceof JwtKeyError) return { ok: false, error: error.message };
    throw error;
  }
}
