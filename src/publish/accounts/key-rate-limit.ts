// Per-key upload rate limits (an account's uploadsPerMinute): a sliding window of the last minute's
// uploads per API key, in this process. Instances sharing a ledger each allow the rate: the limit is
// there to stop a runaway client quickly, the balance is what bounds its spending.
const WINDOW_MS = 60_000;

export interface KeyRateLimit {
  /** Counts an upload by this key if allowed: undefined, else the seconds until one would be. */
  take(keyPrefix: string, perMinute: number): number | undefined;
}

export function keyRateLimit(now: () => number = Date.now): KeyRateLimit {
  const recent = new Map<string, number[]>();
  return {
    take(keyPrefix, perMinute) {
      const at = now();
      const times = (recent.get(keyPrefix) ?? []).filter((time) => time > at - WINDOW_MS);
      if (times.length >= perMinute) {
        recent.set(keyPrefix, times);
        return Math.max(1, Math.ceil((times[0]! + WINDOW_MS - at) / 1000));
      }
      times.push(at);
      recent.set(keyPrefix, times);
      return undefined;
    },
  };
}
