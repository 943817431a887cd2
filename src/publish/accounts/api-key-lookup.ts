// Whose API key is this? The request's `Authorization: Bearer wek_…` looked up by its keyed hash, and
// the account it belongs to — for the publisher's authorizer and the account routes alike, each of
// which answers the misses in its own words. A ledger failure is thrown (callers answer 503).
import type { Account, ApiKeyRecord, Ledger } from '../ledger/ledger.ts';
import { bearerToken } from '../publish-auth.ts';
import { apiKeyPrefix } from './api-keys.ts';

export type ApiKeyLookup =
  | { kind: 'missing' }
  /** A bearer token that is no key of this edge's shape. */
  | { kind: 'malformed' }
  /** Well-formed, but unknown, revoked, or of an account that is gone. */
  | { kind: 'unknown' }
  | { kind: 'found'; key: ApiKeyRecord; account: Account };

export async function lookUpApiKey(
  ledger: Pick<Ledger, 'findApiKey' | 'getAccount'>,
  hashKey: (key: string) => string,
  authorization: string | null,
): Promise<ApiKeyLookup> {
  const token = bearerToken(authorization);
  if (!token) return { kind: 'missing' };
  if (!apiKeyPrefix(token)) return { kind: 'malformed' };
  const key = await ledger.findApiKey(hashKey(token));
  const account = key && (await ledger.getAccount(key.accountId));
  return key && account ? { kind: 'found', key, account } : { kind: 'unknown' };
}
