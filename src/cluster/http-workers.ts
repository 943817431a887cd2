// How many edge processes serve the port (HTTP_WORKERS): as configured, else one per core — except on
// an embedded devnet, which lives in one process; there one, unless more are asked for explicitly
// (then the primary runs the devnet and the workers attach to it: primary.ts).
import { availableParallelism } from 'node:os';
import type { EdgeConfig } from '../config.ts';

export function httpWorkers(
  config: Pick<EdgeConfig, 'HTTP_WORKERS' | 'NETWORK' | 'DEVNET_DIR'>,
  cores = availableParallelism(),
): number {
  if (config.HTTP_WORKERS > 0) return config.HTTP_WORKERS;
  return config.NETWORK === 'devnet' && !config.DEVNET_DIR ? 1 : Math.max(1, cores);
}
