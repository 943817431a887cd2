// The edge's configuration, from the environment (or CLI flags mapped onto the same names), validated
// once at start-up so a typo fails loudly instead of half-working.
import { z } from 'zod';
import { parseRedisUrl } from './cache/redis-connection.ts';

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./.walrus-edge'),
  /** devnet: an embedded devnet (default) or the one at DEVNET_DIR. */
  NETWORK: z.enum(['devnet', 'testnet', 'mainnet']).default('devnet'),
  /** A devnet already running elsewhere (its --dir, holding committee.json); unset = run one embedded. */
  DEVNET_DIR: z.string().min(1).optional(),
  /**
   * Sui gRPC endpoint (grpc-web, what `SuiGrpcClient({ baseUrl })` takes) for testnet/mainnet; default
   * the public full node of that network (src/network/sui/sui-client.ts, SUI_FULLNODE_GRPC_URLS).
   */
  SUI_RPC_URL: z.string().url().optional(),
  /** Deadline of one call to Sui (a committee read makes three); a slower answer counts as a failure. */
  SUI_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /**
   * On testnet/mainnet, contact storage nodes whose on-chain address is or resolves to a loopback,
   * private, link-local or otherwise non-public address (refused by default: the addresses come from
   * other people's objects). The devnet always may.
   */
  ALLOW_PRIVATE_NODE_ADDRESSES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** How often the cache asks Sui for Walrus events (deletions, epoch changes). */
  SUI_EVENT_POLL_MS: z.coerce.number().int().positive().default(2_000),
  DEVNET_NODES: z.coerce.number().int().min(1).optional(),
  DEVNET_SHARDS: z.coerce.number().int().min(4).max(65535).optional(),
  /** Epoch length of a new embedded devnet (0 = epochs advance only on command). */
  DEVNET_EPOCH_MS: z.coerce.number().int().nonnegative().default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** One log line per request (method, URL, status, bytes, ms, request ID) at info level. */
  ACCESS_LOG: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** json (one object per line, for collectors), pretty (for people), or auto: pretty on a terminal. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** Larger blobs get 403 BLOB_TOO_LARGE. */
  MAX_BLOB_SIZE: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024 * 1024),
  /** A whole reconstruction, metadata to last byte. */
  READ_DEADLINE_MS: z.coerce.number().int().positive().default(60_000),
  NODE_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** A sliver request this much slower than its peers gets a spare sent for it. */
  HEDGE_DELAY_MS: z.coerce.number().int().positive().default(300),
  MAX_CONCURRENT_RECONSTRUCTIONS: z.coerce.number().int().positive().default(32),
  MAX_QUEUED_RECONSTRUCTIONS: z.coerce.number().int().nonnegative().default(256),
  /** Memory for hot blobs (0 = a quarter of the machine's memory, at most 2 GiB). */
  CACHE_MEMORY_BYTES: z.coerce.number().int().nonnegative().default(0),
  /** Larger blobs are streamed, never held in memory. */
  CACHE_MAX_OBJECT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** How long "not found" is remembered (a just-uploaded blob is hidden at most this long). */
  NEGATIVE_CACHE_TTL_MS: z.coerce.number().int().nonnegative().default(5_000),
  /** Redis for the shared second cache tier: one server, Sentinels or a Cluster (redis-connection.ts). */
  REDIS_URL: z
    .string()
    .optional()
    .superRefine((url, context) => {
      try {
        if (url !== undefined) parseRedisUrl(url);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  REDIS_PREFIX: z.string().default('walrus-edge:'),
  /** A Redis command slower than this counts as a failure (the request goes to the storage nodes). */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive().default(250),
  /** Worker threads for sliver checks and decoding (0 = one per core). */
  CODEC_WORKERS: z.coerce.number().int().nonnegative().default(0),
  /** HTML, SVG, XML, JavaScript blobs: served with a sandboxing CSP, as attachments, or as is. */
  ACTIVE_CONTENT: z.enum(['sandbox', 'attachment', 'allow']).default('sandbox'),
  /** '*' or a comma-separated list of origins. */
  CORS_ORIGINS: z.string().default('*'),
  /** IDs to refuse with 451, one per line; re-read on change. Default DATA_DIR/blocklist.txt. */
  BLOCKLIST_FILE: z.string().min(1).optional(),
  /** Bearer token of the admin API; unset = admin API disabled. */
  ADMIN_TOKEN: z.string().min(16).optional(),

  // ── publishing (DESIGN §4) ─────────────────────────────────────────────────────────────────────
  /**
   * Who may publish: none (open: anyone spends the operator's WAL), jwt, api-key, or jwt,api-key.
   * Default none on the devnet; on testnet/mainnet it must be set (main.ts refuses to start otherwise).
   */
  PUBLISHER_AUTH: z.enum(['none', 'jwt', 'api-key', 'jwt,api-key', 'api-key,jwt']).optional(),
  /** HS256 secret of operator-issued JWTs. */
  JWT_SECRET: z.string().min(1).optional(),
  /** ES256 / EdDSA public key of operator-issued JWTs: PEM (SPKI) or JWK JSON. */
  JWT_PUBLIC_KEY: z.string().min(1).optional(),
  /** Bodies of PUT /v1/blobs (and the upload relay) beyond this get 413. */
  PUBLISH_MAX_BLOB_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  /** Bodies of PUT /v1/quilts beyond this get 413. */
  PUBLISH_MAX_QUILT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  /** Uploads encoding/sending at once; more wait in a queue of PUBLISH_MAX_QUEUED, beyond it 429. */
  PUBLISH_MAX_CONCURRENT: z.coerce.number().int().positive().default(4),
  PUBLISH_MAX_QUEUED: z.coerce.number().int().nonnegative().default(32),
  /** How long an upload may take to collect a quorum of confirmations before it is answered 504. */
  PUBLISH_UPLOAD_DEADLINE_MS: z.coerce.number().int().positive().default(120_000),
  // ── paid publishing (PUBLISHER_AUTH=api-key; issue 12) ─────────────────────────────────────────
  /**
   * PostgreSQL for the ledger of accounts and balances, shared by several edge instances
   * (postgres://…); unset = node:sqlite in DATA_DIR/ledger.sqlite (one instance).
   */
  DATABASE_URL: z.string().min(1).optional(),
  /**
   * The secret API keys are hashed with (HMAC-SHA256): a leaked database alone reveals no key. At
   * least 32 characters; unset = one generated in DATA_DIR/publisher/api-key-pepper. Instances that
   * share DATABASE_URL must share it, so there it must be set.
   */
  API_KEY_PEPPER: z.string().min(32).optional(),
  /** This instance's name in the ledger (it reconciles its own holds at start-up); default a UUID kept in DATA_DIR. */
  EDGE_INSTANCE_ID: z.string().min(1).max(100).optional(),
  /**
   * Top-ups must carry the sender's signature over "walrus-edge top-up DIGEST for account ID" (a Sui
   * personal message): without it, whoever submits a public transaction's digest first is credited.
   */
  TOP_UP_REQUIRE_SIGNATURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** The operator's margin on the network cost, in basis points (100 = 1 %). */
  PRICE_MARGIN_BPS: z.coerce.number().int().nonnegative().max(1_000_000).default(0),
  /** A flat fee per paid upload, FROST. */
  PRICE_FLAT_FEE_FROST: z.string().regex(/^\d+$/).default('0').transform(BigInt),
  /** Uploads of at most this many bytes are free (0 = no free tier). */
  PRICE_FREE_TIER_BYTES: z.coerce.number().int().nonnegative().default(0),
  /** What an upload's gas is quoted at before it runs (MIST; settled at what it actually used). */
  PRICE_GAS_ESTIMATE_MIST: z.string().regex(/^\d+$/).default('10000000').transform(BigInt),
  /** FROST charged per MIST of gas (the operator's SUI→WAL rate), a decimal like 1 or 0.25. */
  PRICE_FROST_PER_MIST: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .default('1'),
  /** Put a certified blob straight into the read cache (it is likely to be read soon). */
  PUBLISH_WARM_CACHE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** The operator's key: a Sui keystore file (sui.keystore, a JSON array of base64 flag‖key). */
  SUI_KEYSTORE_FILE: z.string().min(1).optional(),
  /** Which of the keystore's keys (its 0x address); default the first. */
  SUI_KEYSTORE_ADDRESS: z.string().min(1).optional(),
  /** The operator's key as a Bech32 `suiprivkey1…` string (instead of a keystore file). */
  SUI_PRIVATE_KEY: z.string().min(1).optional(),
  /** The operator's key in a cloud KMS (@mysten/signers): aws or gcp, with the variables below. */
  SUI_KMS: z.enum(['aws', 'gcp']).optional(),
  /** AWS KMS key ID or ARN (secp256k1 / secp256r1); credentials from AWS_ACCESS_KEY_ID etc. */
  AWS_KMS_KEY_ID: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** With temporary credentials (an assumed role, EC2/ECS instance credentials): their session token. */
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  /**
   * The AWS KMS endpoint; default https://kms.AWS_REGION.amazonaws.com/. For a VPC interface or FIPS
   * endpoint (kms-fips.…), or a local stand-in; @mysten/signers alone cannot be pointed elsewhere.
   */
  AWS_KMS_ENDPOINT: z.string().url().optional(),
  /** GCP KMS key version: projects/…/locations/…/keyRings/…/cryptoKeys/…/cryptoKeyVersions/N. */
  GCP_KMS_KEY_VERSION: z.string().min(1).optional(),
  /**
   * The Cloud KMS gRPC endpoint; default cloudkms.googleapis.com:443. `host[:port]` or
   * `https://host[:port]` (port 443 by default): TLS with Google credentials
   * (GOOGLE_APPLICATION_CREDENTIALS or the workload's identity), e.g. a Private Service Connect
   * endpoint; a private CA is trusted through @grpc/grpc-js's GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (which
   * replaces Node's trust store). `http://host:port`: plaintext and no Google credentials at all, for
   * a local stand-in or a proxy that authenticates onward.
   */
  GCP_KMS_ENDPOINT: z
    .string()
    .regex(
      /^(https?:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/,
      'host[:port], https://host[:port] or http://host:port (no path)',
    )
    .optional(),
  /** Sub-wallets the main wallet funds, one upload's transactions each (no gas-coin contention). */
  PUBLISHER_SUB_WALLETS: z.coerce.number().int().min(0).max(256).default(4),
  /** A sub-wallet below this (MIST / FROST) is topped up to PUBLISHER_SUB_WALLET_TOP_UP_* again. */
  PUBLISHER_SUB_WALLET_MIN_SUI: z.coerce.bigint().nonnegative().default(500_000_000n),
  PUBLISHER_SUB_WALLET_MIN_WAL: z.coerce.bigint().nonnegative().default(500_000_000n),
  PUBLISHER_SUB_WALLET_TOP_UP_SUI: z.coerce.bigint().positive().default(2_000_000_000n),
  PUBLISHER_SUB_WALLET_TOP_UP_WAL: z.coerce.bigint().positive().default(2_000_000_000n),
  /** Main wallet below this (MIST / FROST): a warning in the logs and in /readyz. */
  PUBLISHER_LOW_BALANCE_SUI: z.coerce.bigint().nonnegative().default(5_000_000_000n),
  PUBLISHER_LOW_BALANCE_WAL: z.coerce.bigint().nonnegative().default(5_000_000_000n),
  /**
   * The upload relay's tip (GET /v1/tip-config) in MIST: none, a constant (`const:1000`), or
   * linear:BASE:PER_KIB (MIST); paid to UPLOAD_RELAY_TIP_ADDRESS (default the operator's address).
   */
  UPLOAD_RELAY_TIP: z
    .string()
    .regex(/^(none|const:\d+|linear:\d+:\d+)$/, 'none, const:N or linear:BASE:PER_KIB')
    .default('none'),
  UPLOAD_RELAY_TIP_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{1,64}$/)
    .optional(),
});

export type EdgeConfig = z.infer<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): EdgeConfig {
  const relevant = Object.fromEntries(
    Object.keys(ConfigSchema.shape)
      .map((key) => [key, env[key] === '' ? undefined : env[key]])
      .filter(([, value]) => value !== undefined),
  );
  const parsed = ConfigSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}
