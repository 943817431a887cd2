// API keys of paid publishing: high-entropy bearer secrets shown once at creation and stored only as
// a keyed hash (HMAC-SHA256 with API_KEY_PEPPER), so neither a copy of the ledger's database nor its
// administrator can recover a key. The key names its own prefix (shown in listings, for revoking
// one without knowing it) so that a key reads as what it is: `wek_<prefix>_<secret>`.
import { bytesToBase64Url, bytesToHex } from '../../protocol/base64.ts';
// Web-standard (crypto.getRandomValues) like the routes that issue keys; the hashing, which needs a
// secret from the file system, is in api-key-hashing.ts.

/** 32 random bytes: far beyond guessing, as a password would not be. */
const SECRET_BYTES = 32;
const PREFIX_BYTES = 6;
const KEY_PATTERN = /^wek_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  /** The whole key: given to the client once, never stored. */
  key: string;
  prefix: string;
}

export function generateApiKey(): NewApiKey {
  const prefix = bytesToHex(crypto.getRandomValues(new Uint8Array(PREFIX_BYTES)));
  const secret = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
  return { key: `wek_${prefix}_${secret}`, prefix };
}

/** The prefix of a well-formed key, or undefined for anything else (a JWT, garbage). */
export function apiKeyPrefix(text: string): string | undefined {
  return KEY_PATTERN.exec(text)?.[1];
}

export function looksLikeApiKey(text: string): boolean {
  return text.startsWith('wek_');
}
