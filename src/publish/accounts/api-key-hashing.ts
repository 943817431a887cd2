// How API keys are stored: HMAC-SHA256 under a secret pepper (API_KEY_PEPPER, or one generated in
// DATA_DIR), so a copy of the ledger's database alone reveals no key and cannot test guesses.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Hashes keys with the pepper: what the ledger stores and looks keys up by (hex). */
export function apiKeyHasher(pepper: string): (key: string) => string {
  return (key) => createHmac('sha256', pepper).update(key).digest('hex');
}

/**
 * The pepper: API_KEY_PEPPER when set, else one generated once and kept (mode 0600) in `dir`. Every
 * instance that shares a ledger must hash with the same one, so a shared database needs it set.
 */
export function loadPepper(configured: string | undefined, dir: string): string {
  if (configured) return configured;
  const path = join(dir, 'api-key-pepper');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const pepper = randomBytes(32).toString('base64url');
  writeFileSync(path, `${pepper}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return pepper;
}
