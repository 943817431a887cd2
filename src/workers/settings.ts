// The Workers tier's settings, from its Worker variables (wrangler.jsonc "vars", or the dashboard),
// checked with zod like the edge's own (src/config.ts).
import { z } from 'zod';

export interface WorkersEnv {
  ORIGINS?: string;
  FILL_MAX_BYTES?: string;
  ORIGIN_TIMEOUT_MS?: string;
}

/**
 * Cloudflare's Cache API keeps objects up to 512 MB on most plans (developers.cloudflare.com, Workers
 * "Limits", read 2026-12-04); a range of a larger blob is served from the origin each time.
 */
const CACHE_API_OBJECT_LIMIT = 500_000_000;

const integer = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
  ORIGINS: z
    .string({
      error: 'ORIGINS is required: the origin edges, comma-separated (https://edge-1.example.com,…)',
    })
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each of ORIGINS must be an http(s) URL' })).min(1)),
  FILL_MAX_BYTES: integer(CACHE_API_OBJECT_LIMIT),
  ORIGIN_TIMEOUT_MS: integer(10_000),
});

export interface WorkersSettings {
  origins: string[];
  fillMaxBytes: number;
  originTimeoutMs: number;
}

export function workersSettings(
  env: WorkersEnv,
): { ok: true; value: WorkersSettings } | { ok: false; message: string } {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `invalid setting ${issue.path.join('.')}: ${issue.message}` };
  }
  const { ORIGINS, FILL_MAX_BYTES, ORIGIN_TIMEOUT_MS } = parsed.data;
  return {
    ok: true,
    value: { origins: ORIGINS, fillMaxBytes: FILL_MAX_BYTES, originTimeoutMs: ORIGIN_TIMEOUT_MS },
  };
}
