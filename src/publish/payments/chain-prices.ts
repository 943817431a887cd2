// The network's prices as the chain holds them: `storage_price_per_unit_size` and
// `write_price_per_unit_size` of the System object's inner state (FROST per storage unit), the
// committee's shard count and epoch, read through the official SDK's `systemState()`. They change at
// epoch boundaries only, so a short-lived cache keeps quotes from costing a Sui round trip each.
import type { WalrusClient } from '@mysten/walrus';
import { raceAbort } from '../../network/race-abort.ts';

export interface ChainPrices {
  /** FROST per storage unit (1 MiB of encoded size) per epoch. */
  storagePricePerUnitFrost: bigint;
  /** FROST per storage unit, paid once when the blob is registered. */
  writePricePerUnitFrost: bigint;
  nShards: number;
  /** The epoch these prices are from. */
  epoch: number;
}

/** The prices in `walrus`'s view of the System object (which it keeps until `reset()`). */
export async function readChainPrices(walrus: Pick<WalrusClient, 'systemState'>): Promise<ChainPrices> {
  const state = await walrus.systemState();
  return {
    storagePricePerUnitFrost: BigInt(state.storage_price_per_unit_size),
    writePricePerUnitFrost: BigInt(state.write_price_per_unit_size),
    nShards: state.committee.n_shards,
    epoch: state.committee.epoch,
  };
}

/** Thirty seconds: an epoch lasts hours to weeks, a quote may lag its change this long. */
export const DEFAULT_CHAIN_PRICES_TTL_MS = 30_000;

export interface ChainPriceCache {
  /** The prices, read at most `ttlMs` ago. Rejects when Sui cannot be read (nothing stale is served). */
  current(signal?: AbortSignal): Promise<ChainPrices>;
}

/**
 * Prices read through a new SDK client per refresh (`newWalrus`): a `WalrusClient` keeps the System
 * object it loaded until reset, and resetting the edge's shared client would drop its committee too.
 * Concurrent callers share one read; a failed read is forgotten, so the next caller tries again.
 */
export function chainPriceCache(options: {
  newWalrus: () => Pick<WalrusClient, 'systemState'>;
  ttlMs?: number;
  now?: () => number;
}): ChainPriceCache {
  const ttlMs = options.ttlMs ?? DEFAULT_CHAIN_PRICES_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { prices: Promise<ChainPrices>; readAt: number } | undefined;
  return {
    current(signal) {
      if (!cached || now() - cached.readAt >= ttlMs) {
        const entry = { prices: readChainPrices(options.newWalrus()), readAt: now() };
        cached = entry;
        entry.prices.catch(() => {
          if (cached === entry) cached = undefined;
        });
      }
      return signal ? raceAbort(cached.prices, signal) : cached.prices;
    },
  };
}
