// The Workers tier's settings, from its Worker variables (wrangler.jsonc "vars", or the dashboard),
// checked with zod like the edge's own (src/config.ts). Two ways to fill a miss: ORIGINS (the origin
// edges), or NETWORK / SUI_URL (the Worker reads the storage nodes itself).
import { z } from 'zod';
import { WALRUS_MAINNET, WALRUS_TESTNET } from '../network/committees/sui-committee.ts';
import { SUI_FULLNODE_GRPC_URLS } from '../network/sui/sui-client.ts';
import type { BlocklistSyncOptions } from './blocklist-sync.ts';
import type { NodeReadOptions } from './node-reads.ts';
import type { OriginOptions } from './origin-upstream.ts';

export type WorkersEnv = Record<string, string | undefined>;

/**
 * Cloudflare caches files up to 512 MB on the Free, Pro and Business plans, 5 GB on Enterprise
 * (developers.cloudflare.com, Workers "Limits", read 2026-12-04); a range of a larger blob is served
 * from upstream each time.
 */
const CACHE_API_OBJECT_LIMIT = 500_000_000;

const integer = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const suiObjectId = z.string().regex(/^0x[0-9a-f]{1,64}$/, 'must be a Sui object ID (0x…)');
const httpUrl = (what: string) => z.url({ protocol: /^https?$/, error: `${what} must be an http(s) URL` });

const schema = z.object({
  ORIGINS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(httpUrl('each of ORIGINS')).min(1, 'ORIGINS names no origin'))
    .optional(),
  ORIGIN_TIMEOUT_MS: integer(10_000),
  FILL_MAX_BYTES: integer(CACHE_API_OBJECT_LIMIT),
  TEE_MAX_BYTES: integer(32 * 1024 * 1024),
  NETWORK: z.enum(['mainnet', 'testnet', 'devnet']).optional(),
  SUI_URL: httpUrl('SUI_URL').optional(),
  WALRUS_SYSTEM_OBJECT: suiObjectId.optional(),
  WALRUS_STAKING_OBJECT: suiObjectId.optional(),
  STORAGE_NODE_SCHEME: z.enum(['https', 'http']).optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be the edge’s ADMIN_TOKEN (16 characters or more)').optional(),
  BLOCKLIST_URL: httpUrl('BLOCKLIST_URL').optional(),
  BLOCKLIST_REFRESH_MS: integer(60_000),
  COMMITTEE_MAX_AGE_MS: integer(60_000),
  MAX_BLOB_SIZE: integer(1024 * 1024 * 1024),
  READ_DEADLINE_MS: integer(60_000),
  NODE_REQUEST_TIMEOUT_MS: integer(15_000),
  HEDGE_DELAY_MS: integer(300),
});

/** Every variable the Worker reads (docs/scaling.md lists them; a test keeps the two the same). */
export const WORKERS_SETTING_NAMES = Object.keys(schema.shape);

export type WorkersSettings = {
  fillMaxBytes: number;
  teeMaxBytes: number;
  /** The edge's blocklist to follow (its admin API), if any. */
  blocklist?: BlocklistSyncOptions;
} & (({ upstream: 'origins' } & OriginOptions) | ({ upstream: 'nodes' } & Omit<NodeReadOptions, 'version'>));

type Result = { ok: true; value: WorkersSettings } | { ok: false; message: string };

export function workersSettings(env: WorkersEnv): Result {
  // An empty variable is an unset one (`wrangler dev --var ORIGINS:` clears the file's value).
  const parsed = schema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `invalid setting ${issue.path.join('.')}: ${issue.message}` };
  }
  const s = parsed.data;
  const { FILL_MAX_BYTES: fillMaxBytes, TEE_MAX_BYTES: teeMaxBytes } = s;
  // The blocklist: BLOCKLIST_URL, or the first origin's admin API when the edge's ADMIN_TOKEN is given.
  const blocklistUrl =
    s.BLOCKLIST_URL ??
    (s.ADMIN_TOKEN && s.ORIGINS ? `${s.ORIGINS[0]!.replace(/\/$/, '')}/v1/admin/blocklist` : undefined);
  if (blocklistUrl && !s.ADMIN_TOKEN) {
    return {
      ok: false,
      message: 'invalid setting ADMIN_TOKEN: BLOCKLIST_URL is read with the edge’s ADMIN_TOKEN',
    };
  }
  const blocklist = blocklistUrl
    ? { url: blocklistUrl, token: s.ADMIN_TOKEN!, refreshMs: s.BLOCKLIST_REFRESH_MS }
    : undefined;
  const common = { fillMaxBytes, teeMaxBytes, blocklist };
  const readsNodes = s.NETWORK !== undefined || s.SUI_URL !== undefined;
  if (s.ORIGINS && readsNodes) {
    return { ok: false, message: 'invalid setting ORIGINS: set ORIGINS or NETWORK/SUI_URL, not both' };
  }
  if (s.ORIGINS) {
    return {
      ok: true,
      value: {
        ...common,
        upstream: 'origins',
        origins: s.ORIGINS,
        originTimeoutMs: s.ORIGIN_TIMEOUT_MS,
      },
    };
  }
  if (!readsNodes) {
    return {
      ok: false,
      message:
        'invalid setting ORIGINS: set ORIGINS (the origin edges, comma-separated) or NETWORK (mainnet, testnet; devnet with SUI_URL and the Walrus objects) to read the storage nodes',
    };
  }
  const network = s.NETWORK ?? 'devnet';
  const known = network === 'mainnet' ? WALRUS_MAINNET : network === 'testnet' ? WALRUS_TESTNET : undefined;
  const suiUrl = s.SUI_URL ?? (network === 'devnet' ? undefined : SUI_FULLNODE_GRPC_URLS[network]);
  const systemObjectId = s.WALRUS_SYSTEM_OBJECT ?? known?.systemObjectId;
  const stakingObjectId = s.WALRUS_STAKING_OBJECT ?? known?.stakingObjectId;
  for (const [name, value] of [
    ['SUI_URL', suiUrl],
    ['WALRUS_SYSTEM_OBJECT', systemObjectId],
    ['WALRUS_STAKING_OBJECT', stakingObjectId],
  ] as const) {
    if (!value) return { ok: false, message: `invalid setting ${name}: required with NETWORK=${network}` };
  }
  return {
    ok: true,
    value: {
      ...common,
      upstream: 'nodes',
      network: network === 'devnet' ? 'localnet' : network,
      suiUrl: suiUrl!,
      systemObjectId: systemObjectId!,
      stakingObjectId: stakingObjectId!,
      nodeUrlScheme: s.STORAGE_NODE_SCHEME ?? (network === 'devnet' ? 'http' : 'https'),
      committeeMaxAgeMs: s.COMMITTEE_MAX_AGE_MS,
      maxBlobSize: s.MAX_BLOB_SIZE,
      readDeadlineMs: s.READ_DEADLINE_MS,
      nodeRequestTimeoutMs: s.NODE_REQUEST_TIMEOUT_MS,
      hedgeDelayMs: s.HEDGE_DELAY_MS,
    },
  };
}
