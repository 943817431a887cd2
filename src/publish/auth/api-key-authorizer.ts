// PUBLISHER_AUTH=api-key: `Authorization: Bearer wek_…` keys of prepaid accounts. The key is looked up
// by its keyed hash in the ledger; its account pays (the grant's payer), within the account's own size
// cap (413) and per-key rate (429). Whether the balance covers the upload is decided once the body's
// size is known (payments/paid-uploads.ts), not here.
import type { Ledger } from '../ledger/ledger.ts';
import { lookUpApiKey } from '../accounts/api-key-lookup.ts';
import type { KeyRateLimit } from '../accounts/key-rate-limit.ts';
import type { AuthDecision, PublishAuthorizer } from '../publish-auth.ts';

export interface ApiKeyAuthorizerOptions {
  ledger: Pick<Ledger, 'findApiKey' | 'getAccount'>;
  hashKey: (key: string) => string;
  rateLimit: KeyRateLimit;
  onDecision?: (outcome: string) => void;
}

export function apiKeyAuthorizer(options: ApiKeyAuthorizerOptions): PublishAuthorizer {
  const refuse = (status: 401 | 429 | 503, reason: string, message: string, retryAfterSeconds?: number) => {
    options.onDecision?.(reason);
    return { ok: false, status, reason, message, retryAfterSeconds } as const;
  };
  return async (request): Promise<AuthDecision> => {
    let found;
    try {
      found = await lookUpApiKey(options.ledger, options.hashKey, request.headers.get('authorization'));
    } catch {
      return refuse(503, 'LEDGER_UNAVAILABLE', 'accounts cannot be read right now; try again shortly', 2);
    }
    if (found.kind === 'missing')
      return refuse(401, 'MISSING_API_KEY', 'an `Authorization: Bearer <API key>` header is required');
    if (found.kind === 'malformed')
      return refuse(401, 'INVALID_API_KEY', 'that is not an API key of this edge');
    if (found.kind === 'unknown') return refuse(401, 'INVALID_API_KEY', 'the API key is unknown or revoked');
    const { key, account } = found;
    if (account.uploadsPerMinute !== undefined) {
      const wait = options.rateLimit.take(key.prefix, account.uploadsPerMinute);
      if (wait !== undefined)
        return refuse(
          429,
          'RATE_LIMITED',
          `this key may make ${account.uploadsPerMinute} uploads a minute; try again in ${wait} s`,
          wait,
        );
    }
    options.onDecision?.('ok');
    return {
      ok: true,
      grant: {
        subject: `account:${account.id}`,
        payer: { accountId: account.id, keyPrefix: key.prefix },
        capBytes: account.maxUploadBytes,
      },
    };
  };
}
