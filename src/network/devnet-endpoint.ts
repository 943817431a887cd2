// Where a local devnet (src/devnet) serves Sui, from its directory's committee.json: the edge reads a
// devnet exactly as it reads mainnet — committee, lifetimes, blob objects and events over Sui's gRPC
// API — so all it needs of the devnet is that endpoint and the Walrus objects there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a devnet serves Sui (committee.json's `suiUrl` and `packageConfig`), as the edge reads it. */
export interface DevnetSuiEndpoint {
  url: string;
  systemObjectId: string;
  stakingObjectId: string;
  /** How its storage nodes are reached: TLS devnets serve HTTPS with pinned keys. */
  urlScheme: 'http' | 'https';
  /** Its faucet (Sui's faucet API: SUI and WAL), where it has one. */
  faucetUrl?: string;
}

/**
 * A devnet's Sui endpoint from its directory. A devnet dir written before the devnet served Sui has
 * none: it is named as such, since the edge reads every devnet through Sui now.
 */
export function devnetSuiEndpoint(dir: string): DevnetSuiEndpoint {
  const path = join(dir, 'committee.json');
  let file: {
    suiUrl?: unknown;
    faucetUrl?: unknown;
    packageConfig?: { systemObjectId?: unknown; stakingPoolId?: unknown };
    nodes?: { url?: unknown }[];
  };
  try {
    file = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the devnet's ${path}: ${(error as Error).message}`, { cause: error });
  }
  const { suiUrl, packageConfig } = file;
  if (
    typeof suiUrl !== 'string' ||
    typeof packageConfig?.systemObjectId !== 'string' ||
    typeof packageConfig.stakingPoolId !== 'string'
  ) {
    throw new Error(
      `${path} names no Sui endpoint (suiUrl, packageConfig): restart that devnet with this walrus-edge`,
    );
  }
  const tls = (file.nodes ?? []).some(
    (node) => typeof node.url === 'string' && node.url.startsWith('https:'),
  );
  return {
    url: suiUrl,
    systemObjectId: packageConfig.systemObjectId,
    stakingObjectId: packageConfig.stakingPoolId,
    urlScheme: tls ? 'https' : 'http',
    ...(typeof file.faucetUrl === 'string' ? { faucetUrl: file.faucetUrl } : {}),
  };
}
