// The edge's configuration: the environment (or CLI flags mapped onto the same names) over an optional
// settings file (CONFIG_FILE, src/config-file.ts), validated once at start-up so a typo fails loudly
// instead of half-working. Every setting carries its description (`.describe()`), which the README's
// settings table is generated from (`npm run docs:settings`, scripts/settings-table.ts) and a test
// holds the README to (test/docs/settings-table.test.ts): a setting added here without one fails it.
import { z } from 'zod';
import { parseRedisUrl } from './cache/redis-connection.ts';
import { readSettingsFile } from './config-file.ts';

/** `true` or `false`, as the environment spells booleans. */
const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((value) => value === 'true');

const edge = {
  CONFIG_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A file of settings with these names (`.json`, or `.yaml`/`.yml`; a relative path is from the working directory); the environment overrides it. Set in the environment or by `serve --config`',
    ),
  PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8080)
    .describe('Port of the edge (`0`: any free port)'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface to bind (`0.0.0.0`: every interface)'),
  METRICS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe(
      'Serve `/metrics` on this port of its own (on `HOST`), and no longer on `PORT` (there it answers 404): metrics stay off the public port, and only the monitoring network need reach this one (`0`: any free port); unset: `/metrics` on `PORT`',
    ),
  // Read by main.ts's runEdge; the processes and what they share: src/cluster/primary.ts.
  HTTP_WORKERS: z.coerce
    .number()
    .int()
    .min(0)
    .max(256)
    .default(0)
    .describe(
      'Edge processes serving `PORT` (node:cluster); `0`: one per core, but `1` on an embedded devnet (with more, it runs in the supervisor). They share one reconstruction per blob, Redis and `/metrics`; one of them publishes; one that exits is replaced',
    ),
  DATA_DIR: z
    .string()
    .min(1)
    .default('./.walrus-edge')
    .describe('Where the edge keeps its data; the embedded devnet lives in `DATA_DIR/devnet`'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`'),
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'])
    .default('auto')
    .describe(
      '`json` (one object per line, for log collectors), `pretty` (readable), or `auto`: pretty when stdout is a terminal, JSON otherwise',
    ),
  ACCESS_LOG: flag('true').describe(
    'One info line per request (`access`: method, URL, status, bytes, ms, `requestId`), as JSON lines (pino’s record, built without pino for speed) buffered up to 16 KiB or 1 s and written out when the edge stops (a SIGKILL loses at most that), as nginx’s `access_log … buffer= flush=`; every answer carries `X-Request-Id` (the client’s own when it sends a sensible one, else a new UUID)',
  ),
  ADMIN_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe(
      'Bearer token of the admin API (blocklist, cache, accounts), 16+ characters; unset: the admin API is off',
    ),
};

const network = {
  NETWORK: z
    .enum(['devnet', 'testnet', 'mainnet'])
    .default('devnet')
    .describe(
      '`devnet` (an embedded devnet, or the one at `DEVNET_DIR`), or `testnet`/`mainnet`: the committee, blob objects and events are read from Sui at `SUI_RPC_URL`',
    ),
  DEVNET_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('A devnet already running (its `devnet --dir`); unset: the edge runs one embedded'),
  DEVNET_NODES: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Storage nodes of a new embedded devnet; unset: 12'),
  DEVNET_SHARDS: z.coerce
    .number()
    .int()
    .min(4)
    .max(65535)
    .optional()
    .describe('Shards of a new embedded devnet; unset: 1000'),
  DEVNET_EPOCH_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe(
      'Epoch length of a new embedded devnet (`0`: epochs advance only on command); cached blobs expire with their end epoch',
    ),
  SUI_RPC_URL: z
    .string()
    .url()
    .optional()
    .describe(
      'Sui gRPC endpoint (grpc-web, `SuiGrpcClient`’s `baseUrl`) for `testnet`/`mainnet`; unset: the public full node of `NETWORK` (“Sui” below)',
    ),
  SUI_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Deadline of one call to Sui; a slower answer counts as a failure'),
  ALLOW_PRIVATE_NODE_ADDRESSES: flag('false').describe(
    '`true`: on `testnet`/`mainnet`, also contact storage nodes at loopback, private or other non-public addresses (they come from other people’s objects); the devnet always may',
  ),
  SUI_EVENT_POLL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(2_000)
    .describe('How often the cache reads Walrus events (deletions, epoch changes) from Sui'),
};

const reads = {
  MAX_BLOB_SIZE: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024 * 1024)
    .describe('Larger blobs get 403 `BLOB_TOO_LARGE` (bytes)'),
  READ_DEADLINE_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe('A whole reconstruction, metadata to last byte; then 503'),
  NODE_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(15_000)
    .describe('One request to one storage node'),
  HEDGE_DELAY_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(300)
    .describe('A sliver request this late (and 3× slower than its peers) gets a spare'),
  MAX_CONCURRENT_RECONSTRUCTIONS: z.coerce
    .number()
    .int()
    .positive()
    .default(32)
    .describe('Reconstructions at once; more wait in a queue of `MAX_QUEUED_RECONSTRUCTIONS`'),
  MAX_QUEUED_RECONSTRUCTIONS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(256)
    .describe('Reconstructions waiting; beyond it 429 with `Retry-After`'),
  CODEC_WORKERS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('Worker threads for sliver checks, decoding and encoding (`0`: one per core)'),
  ACTIVE_CONTENT: z
    .enum(['sandbox', 'attachment', 'allow'])
    .default('sandbox')
    .describe('HTML, SVG, XML and JavaScript blobs: `sandbox` (a sandboxing CSP), `attachment`, or `allow`'),
  CORS_ORIGINS: z.string().default('*').describe('`*`, or a comma-separated list of origins'),
  BLOCKLIST_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('IDs answered with 451, one per line, re-read on change; unset: `DATA_DIR/blocklist.txt`'),
};

const caching = {
  CACHE_MEMORY_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('Memory for hot blobs (`0`: a quarter of the machine’s memory, at most 2 GiB)'),
  CACHE_MAX_OBJECT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024)
    .describe('Larger blobs are streamed, never held in a cache'),
  NEGATIVE_CACHE_TTL_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(5_000)
    .describe('How long a 404 is remembered (cleared early when the blob is certified)'),
  REDIS_URL: z
    .string()
    .optional()
    .superRefine((url, context) => {
      try {
        if (url !== undefined) parseRedisUrl(url);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .describe(
      'Redis for the shared cache tier: `redis://`, `redis+sentinel://` or `redis+cluster://` (“Caching” below); unset: memory only',
    ),
  REDIS_PREFIX: z
    .string()
    .default('walrus-edge:')
    .describe('Prefix of every Redis key, so several deployments can share one Redis'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(250)
    .describe(
      'A slower Redis command counts as a failure: the request goes on without Redis, and Redis is skipped for 5 s',
    ),
};

// DESIGN §4.
const publishing = {
  PUBLISHER_AUTH: z
    .enum(['none', 'jwt', 'api-key', 'jwt,api-key', 'api-key,jwt'])
    .optional()
    .describe(
      'Who may publish: `none` (anyone, on the operator’s WAL), `jwt`, `api-key` or `jwt,api-key` (“Paid publishing”); unset: `none` on the devnet, and on testnet/mainnet the edge refuses to start with an operator key',
    ),
  JWT_SECRET: z.string().min(1).optional().describe('HS256 secret of operator-issued JWTs'),
  JWT_PUBLIC_KEY: z
    .string()
    .min(1)
    .optional()
    .describe('ES256 / EdDSA public key of operator-issued JWTs: PEM (SPKI) or JWK JSON'),
  PUBLISH_MAX_BLOB_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024)
    .describe('Bodies of `PUT /v1/blobs` (and the upload relay) beyond this get 413'),
  PUBLISH_MAX_QUILT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024)
    .describe('Bodies of `PUT /v1/quilts` beyond this get 413'),
  PUBLISH_MAX_CONCURRENT: z.coerce
    .number()
    .int()
    .positive()
    .default(4)
    .describe('Uploads encoding and sending at once; more wait in a queue of `PUBLISH_MAX_QUEUED`'),
  PUBLISH_MAX_QUEUED: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(32)
    .describe('Uploads waiting; beyond it 429 with `Retry-After`'),
  PUBLISH_UPLOAD_DEADLINE_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(120_000)
    .describe('A quorum of confirmations within this, else 504 `INSUFFICIENT_CONFIRMATIONS`'),
  PUBLISH_WARM_CACHE: flag('true').describe(
    'Put a certified blob straight into the cache (memory, and Redis when configured)',
  ),
  UPLOAD_RELAY_TIP: z
    .string()
    .regex(/^(none|const:\d+|linear:\d+:\d+)$/, 'none, const:N or linear:BASE:PER_KIB')
    .default('none')
    .describe(
      'The upload relay’s tip (`GET /v1/tip-config`) in MIST: `none`, `const:MIST` or `linear:BASE:PER_KIB`',
    ),
  UPLOAD_RELAY_TIP_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{1,64}$/)
    .optional()
    .describe('Where relay tips are paid; unset: the operator’s address'),
};

// Who pays the network: the operator's key and the sub-wallets it funds.
const wallet = {
  SUI_KEYSTORE_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The operator’s key from a Sui keystore file (`sui.keystore`: a JSON array of base64 flag‖key); without any operator key the publisher is off on testnet/mainnet (the devnet pays from a wallet of its own)',
    ),
  SUI_KEYSTORE_ADDRESS: z
    .string()
    .min(1)
    .optional()
    .describe('Which of the keystore’s keys (its `0x` address); unset: the first'),
  SUI_PRIVATE_KEY: z
    .string()
    .min(1)
    .optional()
    .describe('The operator’s key as a Bech32 `suiprivkey1…` string'),
  SUI_KMS: z
    .enum(['aws', 'gcp'])
    .optional()
    .describe(
      'The operator’s key in a cloud KMS (secp256k1 or P-256, through `@mysten/signers`): `aws` or `gcp`, with the settings below',
    ),
  AWS_KMS_KEY_ID: z.string().min(1).optional().describe('AWS KMS key ID or ARN'),
  AWS_REGION: z.string().min(1).optional().describe('AWS region of the key'),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional().describe('AWS credentials: the access key ID'),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional().describe('AWS credentials: the secret access key'),
  AWS_SESSION_TOKEN: z
    .string()
    .min(1)
    .optional()
    .describe(
      'With temporary credentials (an assumed role, EC2/ECS instance credentials): their session token',
    ),
  AWS_KMS_ENDPOINT: z
    .string()
    .url()
    .optional()
    .describe(
      'Another AWS KMS endpoint: a VPC interface endpoint, `https://kms-fips.REGION.amazonaws.com/`, a local stand-in; unset: `https://kms.AWS_REGION.amazonaws.com/`',
    ),
  GCP_KMS_KEY_VERSION: z
    .string()
    .min(1)
    .optional()
    .describe('GCP KMS key version: `projects/…/locations/…/keyRings/…/cryptoKeys/…/cryptoKeyVersions/N`'),
  GCP_KMS_ENDPOINT: z
    .string()
    .regex(
      /^(https?:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/,
      'host[:port], https://host[:port] or http://host:port (no path)',
    )
    .optional()
    // A private CA is trusted through @grpc/grpc-js's GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (which replaces
    // Node's trust store); plaintext is for a local stand-in or a proxy that authenticates onward.
    .describe(
      'Cloud KMS gRPC at `host[:port]` or `https://host[:port]` (TLS, Google credentials: a Private Service Connect endpoint), or `http://host:port` (plaintext, no credentials); unset: `cloudkms.googleapis.com:443`',
    ),
  PUBLISHER_SUB_WALLETS: z.coerce
    .number()
    .int()
    .min(0)
    .max(256)
    .default(4)
    .describe(
      'Sub-wallets the main wallet funds, each signing one upload at a time (`0`: the main wallet signs every upload, one at a time)',
    ),
  PUBLISHER_SUB_WALLET_MIN_SUI: z.coerce
    .bigint()
    .nonnegative()
    .default(500_000_000n)
    .describe(
      'A sub-wallet below this (MIST) is topped up to `PUBLISHER_SUB_WALLET_TOP_UP_SUI` before its next lease',
    ),
  PUBLISHER_SUB_WALLET_MIN_WAL: z.coerce
    .bigint()
    .nonnegative()
    .default(500_000_000n)
    .describe(
      'A sub-wallet below this (FROST) is topped up to `PUBLISHER_SUB_WALLET_TOP_UP_WAL` before its next lease',
    ),
  PUBLISHER_SUB_WALLET_TOP_UP_SUI: z.coerce
    .bigint()
    .positive()
    .default(2_000_000_000n)
    .describe('What a sub-wallet is topped up to, MIST'),
  PUBLISHER_SUB_WALLET_TOP_UP_WAL: z.coerce
    .bigint()
    .positive()
    .default(2_000_000_000n)
    .describe('What a sub-wallet is topped up to, FROST'),
  PUBLISHER_LOW_BALANCE_SUI: z.coerce
    .bigint()
    .nonnegative()
    .default(5_000_000_000n)
    .describe('The main wallet below this (MIST): a warning in the logs and in `/readyz`'),
  PUBLISHER_LOW_BALANCE_WAL: z.coerce
    .bigint()
    .nonnegative()
    .default(5_000_000_000n)
    .describe('The main wallet below this (FROST): a warning in the logs and in `/readyz`'),
};

// Issue 12: PUBLISHER_AUTH=api-key.
const paidPublishing = {
  DATABASE_URL: z
    .string()
    .min(1)
    .optional()
    .describe(
      'PostgreSQL (`postgres://user@host:5432/db`) for a ledger that several edge instances share; unset: SQLite in `DATA_DIR/ledger.sqlite` (one instance)',
    ),
  API_KEY_PEPPER: z
    .string()
    .min(32)
    .optional()
    .describe(
      'The secret API keys are hashed with (HMAC-SHA256), 32+ characters; unset: one generated in `DATA_DIR/publisher/api-key-pepper`. Required with `DATABASE_URL` (instances that share accounts must hash alike)',
    ),
  EDGE_INSTANCE_ID: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      'This instance’s name in the ledger: it owns and reconciles the holds it places; unique per instance. Unset: a UUID kept in `DATA_DIR/instance-id`',
    ),
  TOP_UP_REQUIRE_SIGNATURE: flag('false').describe(
    'Top-ups must carry the sender’s signature for the account (“Top-ups”); set it: otherwise whoever submits a public digest first is credited',
  ),
  PRICE_MARGIN_BPS: z.coerce
    .number()
    .int()
    .nonnegative()
    .max(1_000_000)
    .default(0)
    .describe('The operator’s margin on the network cost, in basis points (`1000` = 10 %), rounded up'),
  PRICE_FLAT_FEE_FROST: z
    .string()
    .regex(/^\d+$/)
    .default('0')
    .transform(BigInt)
    .describe('Added to every paid upload, FROST'),
  PRICE_FREE_TIER_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe(
      'Uploads of at most this many bytes cost the client nothing (the operator still pays the network); `0`: no free tier',
    ),
  PRICE_GAS_ESTIMATE_MIST: z
    .string()
    .regex(/^\d+$/)
    .default('10000000')
    .transform(BigInt)
    .describe(
      'The gas an upload is quoted (and held) at before it runs, register + certify; the charge uses what its transactions used',
    ),
  PRICE_FROST_PER_MIST: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .default('1')
    .describe('The rate gas (SUI, in MIST) is sold at, in FROST per MIST: a decimal such as `1` or `0.25`'),
};

/** A comma-separated list of whole numbers in [min, max], as a setting spells an allow-list. */
const wholeNumbers = (fallback: string, min: number, max: number) =>
  z
    .string()
    .default(fallback)
    .transform((text, context) => {
      const values = text.split(',').map((part) => Number(part.trim()));
      if (
        values.length === 0 ||
        values.some((value) => !Number.isInteger(value) || value < min || value > max)
      ) {
        context.addIssue({
          code: 'custom',
          message: `a comma-separated list of whole numbers from ${min} to ${max}`,
        });
        return z.NEVER;
      }
      return [...new Set(values)].sort((a, b) => a - b);
    });

// Image variants and compression (src/media/).
const media = {
  IMAGE_TRANSFORMS: flag('true').describe(
    'Image variants by query (`?w=&h=&fit=&format=&q=&dpr=`, `format=auto`, `format=json`); `false`: those options are ignored',
  ),
  IMAGE_SIZES: wholeNumbers(
    '16,32,48,64,96,128,256,384,512,640,750,828,1080,1200,1920,2048,3840',
    1,
    16384,
  ).describe(
    'Widths and heights a variant may have: an asked size (times dpr) is rounded up to the next one',
  ),
  IMAGE_QUALITIES: wholeNumbers('40,50,60,75,85,95', 1, 100).describe(
    'Qualities a variant may have: `q` is rounded to the nearest',
  ),
  IMAGE_MAX_DPR: z.coerce
    .number()
    .min(1)
    .max(8)
    .default(3)
    .describe('Device-pixel ratios above this count as this'),
  IMAGE_MAX_INPUT_PIXELS: z.coerce
    .number()
    .int()
    .positive()
    .default(100_000_000)
    .describe(
      'Images with more pixels (per frame, read from the header before decoding) are refused with 400',
    ),
  IMAGE_MAX_INPUT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024)
    .describe('Larger images are served as stored, with `X-Image-Fallback`, never transformed'),
  IMAGE_MAX_FRAMES: z.coerce
    .number()
    .int()
    .positive()
    .default(256)
    .describe('Animations with more frames give their first frame (`IMAGE_ANIMATED=animate`)'),
  IMAGE_ANIMATED: z
    .enum(['animate', 'first-frame', 'passthrough'])
    .default('animate')
    .describe(
      'Animated input: transformed whole (to WebP or GIF), reduced to its first frame, or served as stored',
    ),
  IMAGE_CONCURRENCY: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('Image transforms at once (`0`: one per core); more wait in a queue of `IMAGE_QUEUE`'),
  IMAGE_QUEUE: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(64)
    .describe('Image transforms waiting; beyond it 429 with `Retry-After`'),
  COMPRESSION: flag('true').describe(
    'Compressible bodies (JSON, text, JavaScript, WebAssembly, SVG, glTF, …) sent with brotli or gzip as `Accept-Encoding` allows, each copy made once and cached',
  ),
  COMPRESSION_MIN_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(256)
    .describe('Smaller bodies are sent as stored'),
  COMPRESSION_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024)
    .describe('Larger bodies are sent as stored (a copy is made whole, in memory)'),
  COMPRESSION_BROTLI_QUALITY: z.coerce
    .number()
    .int()
    .min(0)
    .max(11)
    .default(5)
    .describe('Brotli quality, 0–11 (`npm run bench:media` prints ratio and time)'),
};

/** The settings by topic, in the order the README's table lists them. */
export const SETTING_GROUPS = [
  { title: 'The edge', settings: edge },
  { title: 'Network and Sui', settings: network },
  { title: 'Reads', settings: reads },
  { title: 'Caching', settings: caching },
  { title: 'Media', settings: media },
  { title: 'Publishing', settings: publishing },
  { title: 'The operator’s wallet', settings: wallet },
  { title: 'Paid publishing', settings: paidPublishing },
] as const;

export const ConfigSchema = z.object({
  ...edge,
  ...network,
  ...reads,
  ...caching,
  ...media,
  ...publishing,
  ...wallet,
  ...paidPublishing,
});

export type EdgeConfig = z.infer<typeof ConfigSchema>;

const SETTING_NAMES = new Set(Object.keys(ConfigSchema.shape));

/**
 * The configuration from `env` (the process's environment by default) over the file CONFIG_FILE names,
 * if any. Throws one line, `invalid configuration: NAME: why` (with the file when the value came from
 * it), for the first thing wrong: main.ts prints it and exits.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): EdgeConfig {
  // An empty variable counts as unset (as `FOO= npm start` means).
  const fromEnv = Object.fromEntries(
    [...SETTING_NAMES].flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  ) as Record<string, string>;
  const file = fromEnv.CONFIG_FILE;
  let fromFile: Record<string, string> = {};
  if (file !== undefined) {
    const read = readSettingsFile(file, SETTING_NAMES);
    if (!read.ok) throw new Error(`invalid configuration: CONFIG_FILE ${file}: ${read.problem}`);
    fromFile = read.settings;
  }
  const parsed = ConfigSchema.safeParse({ ...fromFile, ...fromEnv });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const where = name in fromEnv || !(name in fromFile) ? '' : ` (in ${file})`;
      return `${issue.path.join('.')}${where}: ${issue.message}`;
    });
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
