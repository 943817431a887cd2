// The edge's configuration, from the environment (or CLI flags mapped onto the same names), validated
// once at start-up so a typo fails loudly instead of half-working.
import { z } from 'zod';

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./.walrus-edge'),
  /** devnet: an embedded devnet (default) or the one at DEVNET_DIR. */
  NETWORK: z.enum(['devnet', 'testnet', 'mainnet']).default('devnet'),
  /** A devnet already running elsewhere (its --dir, holding committee.json); unset = run one embedded. */
  DEVNET_DIR: z.string().min(1).optional(),
  DEVNET_NODES: z.coerce.number().int().min(1).optional(),
  DEVNET_SHARDS: z.coerce.number().int().min(4).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
