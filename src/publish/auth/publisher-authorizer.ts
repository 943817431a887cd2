// PUBLISHER_AUTH (DESIGN §4) turned into the authorizer the publisher's routes ask, or the reason the
// edge must not start. An open publisher spends the operator's WAL for anyone who finds it, so it is
// the default only on the devnet, where WAL comes from a faucet.
import type { EdgeConfig } from '../../config.ts';
import { openPublishing, type PublishAuthorizer } from '../publish-auth.ts';
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
}

export type PublisherAuthorizerSetup =
  | {
      ok: true;
      authorizer: PublishAuthorizer;
      /** What is in force, for the start-up log. */
      mode: 'none' | 'jwt';
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
        'for anyone on the internet; set PUBLISHER_AUTH=none to allow it (or jwt)',
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
  if (mode !== 'jwt') {
    return {
      ok: false,
      error: `PUBLISHER_AUTH=${mode}: API keys are not built yet; use PUBLISHER_AUTH=jwt or none`,
    };
  }
  if (!input.replayGuard) {
    return { ok: false, error: "PUBLISHER_AUTH=jwt needs a replay guard for the tokens' jti (Redis)" };
  }
  try {
    const keys = await jwtVerificationKeys({ secret: input.jwtSecret, publicKey: input.jwtPublicKey });
    return {
      ok: true,
      authorizer: jwtAuthorizer({ keys, replayGuard: input.replayGuard, onDecision: input.onDecision }),
      mode: 'jwt',
      warnings: [],
    };
  } catch (error) {
    if (error instanceof JwtKeyError) return { ok: false, error: error.message };
    throw error;
  }
}
