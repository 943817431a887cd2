// L2: blobs in Redis, shared by every edge instance and kept across restarts. A blob is stored as 1 MiB
// chunks plus a small record (size, chunk count, when stored, end epoch), so a large blob never sits in
// one value and a range reads only its chunks. Redis trouble never fails a request: every call has a
// short timeout, and after a failure the tier stays out of the way for a while (circuit breaker).
import { Cluster, type RedisOptions } from 'ioredis';
import type { CacheTier, FillClaims, TierHealth } from './cache-tier.ts';
import type { CachedBlob } from './memory-tier.ts';
import { connectRedis, type RedisClient } from './redis-connection.ts';

export const CHUNK_BYTES = 1024 * 1024;

export interface RedisTierOptions {
  /** A single server, Sentinels or a Cluster (see redis-connection.ts). */
  url: string;
  /** Key prefix, so several edges or tests can share one Redis without meeting. */
  prefix?: string;
  /** Upper bound of an entry's life in Redis; events and end epochs usually end it sooner. */
  ttlSeconds?: number;
  /** Per-command deadline: a slow Redis is treated as a missing one. */
  commandTimeoutMs?: number;
  /** How long to skip Redis after a failure. */
  breakerMs?: number;
  redisOptions?: RedisOptions;
}

/** What a tier operation was doing when Redis failed it (fill claims are the cross-instance single-flight). */
type RedisOperation = 'get' | 'set' | 'delete' | 'claim' | 'release' | 'wait';

interface Record {
  size: number;
  chunks: number;
  storedAt: number;
  endEpoch?: number;
  expiresAt?: number;
}

export class RedisTier implements CacheTier, FillClaims {
  readonly hitLabel = 'HIT-REDIS';
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #breakerMs: number;
  /** A whole operation (a few commands) may take this long before it counts as failed. */
  readonly #operationMs: number;
  #openUntil = 0;
  #failures = 0;
  readonly #failuresBy: { [operation in RedisOperation]: number } = {
    get: 0,
    set: 0,
    delete: 0,
    claim: 0,
    release: 0,
    wait: 0,
  };
  /** Resolves on the first connection: a just-started edge waits a moment for it instead of missing. */
  readonly #firstConnection: Promise<void>;
  #everReady = false;
  #waitedOnce = false;

  constructor(options: RedisTierOptions) {
    this.#prefix = options.prefix ?? 'walrus-edge:';
    this.#ttl = options.ttlSeconds ?? 7 * 24 * 3600;
    this.#breakerMs = options.breakerMs ?? 5_000;
    this.#operationMs = 4 * (options.commandTimeoutMs ?? 250);
    this.#redis = connectRedis(options.url, {
      lazyConnect: false,
      // Fail fast instead of queueing commands while disconnected: the origin is always a fallback.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 250,
      retryStrategy: (attempt) => Math.min(2_000, 100 * attempt),
      ...options.redisOptions,
    });
    // Connection errors are expected while Redis is away; the breaker handles them.
    this.#redis.on('error', () => {});
    this.#firstConnection = new Promise((resolve) =>
      this.#redis.once('ready', () => {
        this.#everReady = true;
        resolve();
      }),
    );
  }

  /** Whether Redis answers within `timeoutMs` of now (or has already): for the start-up report. */
  async connected(timeoutMs: number): Promise<boolean> {
    if (this.#everReady) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const up = await Promise.race([this.#firstConnection.then(() => true as const), late]);
    clearTimeout(timer);
    return up;
  }

  health(): TierHealth {
    return { available: this.available, failures: this.failures, byOperation: { ...this.#failuresBy } };
  }

  /**
   * Keys Redis itself evicted for memory (INFO stats `evicted_keys`; summed over the masters of a
   * Cluster), since that Redis started: every key of the server, not only this edge's. Undefined when
   * Redis cannot say within the command timeout. Read at scrape time, outside the breaker: a metric
   * must not switch the cache off.
   */
  async evictedKeys(): Promise<number | undefined> {
    if (this.#redis.status !== 'ready') return undefined;
    const servers = this.#redis instanceof Cluster ? this.#redis.nodes('master') : [this.#redis];
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const infos = await Promise.race([
        Promise.all(servers.map((server) => server.info('stats'))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis INFO timed out')), this.#operationMs);
        }),
      ]);
      let total = 0;
      for (const info of infos) {
        const evicted = /^evicted_keys:(\d+)\r?$/m.exec(info)?.[1];
        if (evicted === undefined) return undefined;
        total += Number(evicted);
      }
      return total;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Failures since start (for metrics and /readyz). */
  get failures(): number {
    return this.#failures;
  }

  /** Usable right now: connected and the breaker closed. */
  get available(): boolean {
    return this.#redis.status === 'ready' && Date.now() >= this.#openUntil;
  }

  async get(blobId: string, currentEpoch?: number): Promise<CachedBlob | undefined> {
    return this.#guard('get', async () => {
      const record = await this.#record(blobId);
      if (!record) return undefined;
      if (record.endEpoch !== undefined && currentEpoch !== undefined && record.endEpoch <= currentEpoch) {
        await this.delete(blobId);
        return undefined;
      }
      const keys = Array.from({ length: record.chunks }, (_, i) => this.#chunkKey(blobId, i));
      const chunks = keys.length ? await this.#redis.mgetBuffer(...keys) : [];
      if (chunks.some((chunk) => chunk === null)) return undefined; // partly evicted: a miss
      const bytes = new Uint8Array(record.size);
      let offset = 0;
      for (const chunk of chunks as Buffer[]) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      if (offset !== record.size) return undefined;
      return { bytes, storedAt: record.storedAt, endEpoch: record.endEpoch, expiresAt: record.expiresAt };
    });
  }

  async set(blobId: string, blob: CachedBlob): Promise<boolean> {
    // Redis forgets the entry when the blob ends (its end epoch's start), at the latest after the cap.
    const ttlMs =
      blob.expiresAt === undefined
        ? this.#ttl * 1000
        : Math.min(this.#ttl * 1000, blob.expiresAt - Date.now());
    if (ttlMs <= 0) return false;
    const done = await this.#guard('set', async () => {
      const chunks = Math.ceil(blob.bytes.length / CHUNK_BYTES);
      const record: Record = {
        size: blob.bytes.length,
        chunks,
        storedAt: blob.storedAt,
        endEpoch: blob.endEpoch,
        expiresAt: blob.expiresAt,
      };
      const pipeline = this.#redis.multi();
      // Chunks first, record last: a reader that sees the record finds every chunk.
      for (let i = 0; i < chunks; i++) {
        const part = blob.bytes.subarray(i * CHUNK_BYTES, Math.min(blob.bytes.length, (i + 1) * CHUNK_BYTES));
        pipeline.set(
          this.#chunkKey(blobId, i),
          Buffer.from(part.buffer, part.byteOffset, part.byteLength),
          'PX',
          ttlMs,
        );
      }
      pipeline.set(this.#recordKey(blobId), JSON.stringify(record), 'PX', ttlMs);
      await pipeline.exec();
      return true;
    });
    return done === true;
  }

  async delete(blobId: string): Promise<void> {
    await this.#guard('delete', async () => {
      const record = await this.#record(blobId);
      const keys = [this.#recordKey(blobId)];
      for (let i = 0; i < (record?.chunks ?? 0); i++) keys.push(this.#chunkKey(blobId, i));
      await this.#redis.del(...keys);
    });
  }

  /**
   * Claims the right to reconstruct a blob for every instance sharing this Redis (SET NX with a
   * deadline, so a crashed holder cannot block the others for long). Undefined: Redis is unusable,
   * reconstruct locally.
   */
  async claim(blobId: string, holder: string, ttlMs: number): Promise<boolean | undefined> {
    return this.#guard(
      'claim',
      async () => (await this.#redis.set(this.#lockKey(blobId), holder, 'PX', ttlMs, 'NX')) === 'OK',
    );
  }

  /** Gives a claim back (only if still ours). */
  async release(blobId: string, holder: string): Promise<void> {
    await this.#guard('release', async () => {
      if ((await this.#redis.get(this.#lockKey(blobId))) === holder)
        await this.#redis.del(this.#lockKey(blobId));
    });
  }

  /**
   * Waits for another instance's reconstruction to land in Redis: the blob, or undefined once its
   * claim is gone without it (the holder failed or died), the deadline passes, or the caller aborts.
   */
  async waitFor(
    blobId: string,
    signal: AbortSignal,
    deadlineMs: number,
    currentEpoch?: number,
  ): Promise<CachedBlob | undefined> {
    const until = Date.now() + deadlineMs;
    while (!signal.aborted && Date.now() < until) {
      const blob = await this.get(blobId, currentEpoch);
      if (blob) return blob;
      const claimed = await this.#guard(
        'wait',
        async () => (await this.#redis.exists(this.#lockKey(blobId))) === 1,
      );
      if (!claimed) return this.get(blobId, currentEpoch);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  async #record(blobId: string): Promise<Record | undefined> {
    const text = await this.#redis.get(this.#recordKey(blobId));
    return text ? (JSON.parse(text) as Record) : undefined;
  }

  /** Runs a Redis operation unless the breaker is open; any failure opens it and reads as a miss. */
  async #guard<T>(name: RedisOperation, operation: () => Promise<T>): Promise<T | undefined> {
    if (!this.#everReady && !this.#waitedOnce) {
      this.#waitedOnce = true;
      await Promise.race([this.#firstConnection, new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    if (!this.available) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        operation(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis operation timed out')), this.#operationMs);
        }),
      ]);
    } catch {
      this.#failures++;
      this.#failuresBy[name]++;
      this.#openUntil = Date.now() + this.#breakerMs;
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  // The {blobId} hash tag puts a blob's record, chunks and claim in one Redis Cluster slot, so the
  // multi-key reads and transactions above stay legal there.
  #recordKey(blobId: string): string {
    return `${this.#prefix}blob:{${blobId}}`;
  }

  #lockKey(blobId: string): string {
    return `${this.#prefix}fill:{${blobId}}`;
  }

  #chunkKey(blobId: string, index: number): string {
    return `${this.#prefix}blob:{${blobId}}:${index}`;
  }
}
