// Single use of a JWT's `jti`. The official publisher keeps used IDs in its process's memory, so a
// token replayed at a second instance behind the same load balancer is accepted again (DESIGN §6);
// here the IDs live in Redis, shared by every edge instance, each until its token expires.
import type { RedisClient } from '../../cache/redis-connection.ts';

export interface ReplayGuard {
  /**
   * Marks `id` used until `expiresAtMs` (ms since 1970). True if this call was the first to do so;
   * false if it was used before (a replay). Rejects when the store cannot answer (refuse the request).
   */
  claim(id: string, expiresAtMs: number): Promise<boolean>;
  /** Gives `id` back: the request that claimed it was refused, so a corrected request may use it. */
  release(id: string): Promise<void>;
}

/**
 * Redis: `SET <prefix>jwt-jti:<id> 1 NX PXAT <expiresAtMs>`: atomic across instances, and the key
 * disappears by itself once the token could no longer verify anyway.
 */
export function redisReplayGuard(redis: RedisClient, keyPrefix: string): ReplayGuard {
  const keyOf = (id: string) => `${keyPrefix}jwt-jti:${id}`;
  return {
    async claim(id, expiresAtMs) {
      // PXAT must lie in the future for the key to exist at all; a token within the clock tolerance
      // of its expiry still needs its ID kept a moment.
      const at = Math.max(Math.ceil(expiresAtMs), Date.now() + 1000);
      return (await redis.set(keyOf(id), '1', 'PXAT', at, 'NX')) === 'OK';
    },
    async release(id) {
      await redis.del(keyOf(id));
    },
  };
}

/** The guard with its store's failures told to `failed` (metrics); answers and rejections unchanged. */
export function observedReplayGuard(
  guard: ReplayGuard,
  failed: (operation: 'claim' | 'release') => void,
): ReplayGuard {
  return {
    claim: (id, expiresAtMs) =>
      guard.claim(id, expiresAtMs).catch((error: unknown) => {
        failed('claim');
        throw error;
      }),
    release: (id) =>
      guard.release(id).catch((error: unknown) => {
        failed('release');
        throw error;
      }),
  };
}

/**
 * One process's memory: for tests and single-instance setups without Redis. Replays at another
 * instance are NOT blocked; the composition root decides whether that is acceptable.
 */
const SWEEP_AT = 10_000;

export function memoryReplayGuard(now: () => number = Date.now): ReplayGuard {
  const used = new Map<string, number>();
  return {
    async claim(id, expiresAtMs) {
      const at = now();
      const expiry = used.get(id);
      if (expiry !== undefined && expiry > at) return false;
      // Expired IDs are dropped in sweeps, not one by one, so a claim stays O(1) on average.
      if (used.size >= SWEEP_AT) for (const [key, until] of used) if (until <= at) used.delete(key);
      used.set(id, Math.max(expiresAtMs, at + 1000));
      return true;
    },
    async release(id) {
      used.delete(id);
    },
  };
}
