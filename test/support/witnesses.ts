// Witnesses for cache tests that do not ask the edge: what the storage nodes counted, what Redis itself
// holds (through a connection of the test's own), and how long the chain lets a blob be kept.
import type { Redis } from 'ioredis';
import type { Committee } from '../../src/network/committee.ts';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient } from '@mysten/walrus';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';

export interface NodeReads {
  metadata: number;
  sliver: number;
}

/** Metadata and sliver GETs counted by the devnet's nodes since start, summed over every node. */
export async function nodeReads(devnet: { committee: Committee }): Promise<NodeReads> {
  const all = await Promise.all(
    devnet.committee.nodes.map(async (node) => {
      const response = await fetch(`${node.url}/_devnet/stats`);
      const stats = (await response.json()) as { requests: Record<string, number> };
      return { metadata: stats.requests.metadata ?? 0, sliver: stats.requests.sliver ?? 0 };
    }),
  );
  return all.reduce((sum, n) => ({ metadata: sum.metadata + n.metadata, sliver: sum.sliver + n.sliver }), {
    metadata: 0,
    sliver: 0,
  });
}

/**
 * Waits until the nodes' read counters hold still for `quietMs`: a reader that asks more nodes than it
 * needs (the official SDK) may return before its last requests reach them, and those must not be
 * counted as the next action's.
 */
export async function nodeReadsSettled(devnet: { committee: Committee }, quietMs = 300): Promise<void> {
  const deadline = Date.now() + 10_000;
  let seen = await nodeReads(devnet);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = await nodeReads(devnet);
    if (now.metadata === seen.metadata && now.sliver === seen.sliver) return;
    seen = now;
  }
  throw new Error('the storage nodes kept counting reads for 10 s');
}

/** Runs `action`; returns its result and the metadata and sliver reads the nodes counted meanwhile. */
export async function nodeReadsDuring<T>(
  devnet: { committee: Committee },
  action: () => Promise<T>,
): Promise<{ result: T; reads: NodeReads }> {
  const before = await nodeReads(devnet);
  const result = await action();
  const after = await nodeReads(devnet);
  return {
    result,
    reads: { metadata: after.metadata - before.metadata, sliver: after.sliver - before.sliver },
  };
}

/**
 * The Redis keys holding a blob, as Redis lists them: the record `PREFIXblob:{ID}` and the chunks
 * `PREFIXblob:{ID}:N` (the layout src/cache/redis-tier.ts documents). `{`/`}` are not glob characters,
 * and blob IDs are base64url, so the pattern matches exactly these.
 */
export async function blobKeys(redis: Redis, prefix: string, blobId: string): Promise<string[]> {
  return (await redis.keys(`${prefix}blob:{${blobId}}*`)).sort();
}

/**
 * Waits until Redis holds a blob's record and its `chunks` chunks (an edge may write them after it has
 * answered); returns the keys and when they were seen, the latest moment the write can have happened.
 */
export async function storedKeys(
  redis: Redis,
  prefix: string,
  blobId: string,
  chunks: number,
  timeoutMs = 5_000,
): Promise<{ keys: string[]; seenAt: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const keys = await blobKeys(redis, prefix, blobId);
    const seenAt = Date.now();
    if (keys.length === chunks + 1 && keys.includes(`${prefix}blob:{${blobId}}`)) return { keys, seenAt };
    if (seenAt > until) throw new Error(`Redis holds ${keys.length} keys of ${blobId}, not ${chunks + 1}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A blob's bytes as Redis holds them (the record's chunks in order), or undefined if any is missing. */
export async function bytesInRedis(redis: Pick<Redis, 'get' | 'getBuffer'>, prefix: string, blobId: string) {
  const record = await redis.get(`${prefix}blob:{${blobId}}`);
  if (!record) return undefined;
  const { chunks, size } = JSON.parse(record) as { chunks: number; size: number };
  const parts = await Promise.all(
    Array.from({ length: chunks }, (_, i) => redis.getBuffer(`${prefix}blob:{${blobId}}:${i}`)),
  );
  if (parts.some((part) => part === null)) return undefined;
  const bytes = Buffer.concat(parts as Buffer[]);
  return bytes.length === size ? new Uint8Array(bytes) : undefined;
}

export interface ChainLife {
  /** The chain's current epoch. */
  epoch: number;
  /**
   * Until when (exclusive epoch) an edge may keep the blob: the latest end epoch of its certified,
   * undeleted permanent objects; a blob held only by deletable objects may go any moment, so only
   * until the current epoch ends.
   */
  endEpoch: number;
  /** When that epoch begins by Sui's timetable (Staking, as the official SDK reads it), ms since 1970. */
  endsAtMs: number;
}

/**
 * How long a blob may be kept, from outside the edge: its objects from the devnet chain's own state
 * (`/v1/blob-ids/ID`, `/v1/state`), and the epoch timetable that Staking states over the devnet's Sui
 * endpoint, read by the official SDK.
 */
export async function chainLife(devnet: RunningDevnet, blobId: string): Promise<ChainLife> {
  const chain = new DevnetChainClient(devnet.chainUrl);
  const walrus = new WalrusClient({
    packageConfig: devnet.packageConfig,
    suiClient: new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }),
    storageNodeUrlScheme: 'http',
  });
  const [state, { objects }, staking] = await Promise.all([
    chain.state(),
    chain.blobsById(blobId),
    walrus.stakingState(),
  ]);
  const live = objects.filter((o) => !o.deleted && o.certifiedEpoch !== null);
  if (!live.length) throw new Error(`the chain holds no live object of ${blobId}`);
  const permanent = live.filter((o) => !o.deletable);
  const endEpoch = permanent.length ? Math.max(...permanent.map((o) => o.storage.endEpoch)) : state.epoch + 1;
  return {
    epoch: state.epoch,
    endEpoch,
    endsAtMs: Number(staking.first_epoch_start) + (endEpoch - 1) * Number(staking.epoch_duration),
  };
}

/**
 * Checks a key's PTTL against the absolute time it must expire at. `setWindow` is when the write can
 * have happened, from before the request that caused it to when its keys were seen (the edge computes
 * `expiresAt - now` and Redis adds its own now, a little later: the key may outlive `expiresAt` by at
 * most that window, never end before it). Returns the problems, [] if none.
 */
export async function ttlProblems(
  redis: Redis,
  keys: string[],
  expiresAt: number,
  setWindow: { from: number; to: number },
): Promise<string[]> {
  const problems: string[] = [];
  for (const key of keys) {
    const asked = Date.now();
    const pttl = await redis.pttl(key);
    const answered = Date.now();
    if (pttl < 0) {
      problems.push(`${key}: PTTL ${pttl}`);
      continue;
    }
    // Redis took its now somewhere in [asked, answered]; its expiry time is that plus pttl (±1 ms).
    if (answered + pttl < expiresAt - 1)
      problems.push(`${key} expires ${expiresAt - answered - pttl} ms early`);
    const late = asked + pttl - (expiresAt + (setWindow.to - setWindow.from));
    if (late > 1) problems.push(`${key} expires ${late} ms late`);
  }
  return problems;
}
