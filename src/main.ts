// The composition root: reads the configuration, starts (or finds) the network, wires the reader, the
// codec pool, the HTTP app and its metrics, and serves them. `npm start` runs this file; `walrus-edge
// serve` calls startEdge.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { createServer } from 'node:http';
import { totalmem } from 'node:os';
import { LRUCache } from 'lru-cache';
import { BlobCache } from './cache/blob-cache.ts';
import { MemoryTier } from './cache/memory-tier.ts';
import { NegativeCache } from './cache/negative-cache.ts';
import { RedisTier } from './cache/redis-tier.ts';
import {
  devnetBlobLifetimes,
  suiBlobLifetimes,
  walrusEventsModule,
  type SuiEventReader,
} from './network/blob-lifetimes.ts';
import { endEpochFromNodes } from './network/blob-status.ts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig, type EdgeConfig } from './config.ts';
import { codecPool } from './codec/codec-pool.ts';
import type { Committee } from './network/committee.ts';
import {
  committeeForBlob,
  earliestEpochStart,
  type CommitteeSource,
  type CommitteeView,
} from './network/committee-source.ts';
import { devnetCommitteeSource } from './network/committees/devnet-committee.ts';
import {
  WALRUS_MAINNET,
  WALRUS_TESTNET,
  suiCommitteeSource,
  type SuiObjectReader,
} from './network/committees/sui-committee.ts';
import { SuiJsonRpcClient, getJsonRpcFullnodeUrl } from '@mysten/sui/jsonRpc';
import { devnetBlobObjects, suiBlobObjects } from './network/blob-objects.ts';
import { DevnetChainClient } from './network/devnet-chain-client.ts';
import { pinsFromNodes } from './network/transport/pinned-tls.ts';
import { undiciTransport } from './network/transport/undici-transport.ts';
import { startDevnet, type RunningDevnet } from './devnet/devnet.ts';
import { BlobReader } from './read/blob-reader.ts';
import { QuiltReader, nodeQuiltOpener } from './read/quilt-reader.ts';
import { cachedQuiltOpener } from './cache/cached-quilts.ts';
import { createEdgeApp } from './http/app.ts';
import { withFastHits } from './http/fast-hits.ts';
import { DEFAULT_ATTRIBUTE_HEADERS } from './http/aggregator-deps.ts';
import { fileBlocklist } from './http/blocklist-file.ts';
import { reconstructionLimiter } from './http/limiter.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { readMetrics } from './http/read-metrics.ts';
import { registerCacheMetrics } from './http/cache-metrics.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunningEdge {
  url: string;
  devnet: RunningDevnet | undefined;
  stop(): Promise<void>;
}

/** What an embedding program (or a test) may hand in instead of what the configuration names. */
export interface EdgeOverrides {
  /**
   * The Sui client and Walrus objects for NETWORK=testnet|mainnet, instead of JSON-RPC at
   * SUI_RPC_URL: e.g. the devnet's Sui stand-in, whose nodes speak plain HTTP.
   */
  sui?: {
    client: SuiObjectReader & SuiEventReader;
    systemObjectId: string;
    stakingObjectId: string;
    urlScheme?: 'http' | 'https';
  };
}

export async function startEdge(config: EdgeConfig, overrides: EdgeOverrides = {}): Promise<RunningEdge> {
  const log = pino({ level: config.LOG_LEVEL });
  const dataDir = resolve(config.DATA_DIR);

  let devnet: RunningDevnet | undefined;
  let source: CommitteeSource;
  let sui: (EdgeOverrides['sui'] & {}) | undefined;
  if (config.NETWORK !== 'devnet') {
    // Sui mainnet/testnet: the committee from the Walrus System, Staking and StakingPool objects.
    const network = config.NETWORK;
    sui = overrides.sui ?? {
      client: new SuiJsonRpcClient({ url: config.SUI_RPC_URL ?? getJsonRpcFullnodeUrl(network), network }),
      ...(network === 'mainnet' ? WALRUS_MAINNET : WALRUS_TESTNET),
    };
    source = suiCommitteeSource({
      ...sui,
      onError: (error) => log.warn({ err: error }, 'committee refresh failed'),
    });
  } else if (config.DEVNET_DIR) {
    source = devnetCommitteeSource({ dir: resolve(config.DEVNET_DIR) });
  } else {
    const started = performance.now();
    devnet = await startDevnet({
      dir: join(dataDir, 'devnet'),
      nodes: config.DEVNET_NODES,
      shards: config.DEVNET_SHARDS,
      chainParams: config.DEVNET_EPOCH_MS ? { epochDurationMs: config.DEVNET_EPOCH_MS } : undefined,
    });
    log.info(
      {
        dir: devnet.dir,
        nodes: devnet.committee.nodes.length,
        shards: devnet.committee.nShards,
        ms: Math.round(performance.now() - started),
      },
      'embedded devnet started',
    );
    source = devnetCommitteeSource({ dir: devnet.dir, chainUrl: devnet.chainUrl });
  }
  // A devnet must answer now; Sui may be unreachable for a while: the edge then starts anyway, reads
  // answer 503 and the source keeps retrying in the background.
  let view: CommitteeView | undefined;
  try {
    view = await source.current();
    log.info(
      { nodes: view.committee.nodes.length, shards: view.committee.nShards, epoch: view.epoch },
      'committee loaded',
    );
  } catch (error) {
    if (config.NETWORK === 'devnet') throw error;
    log.warn({ err: error }, 'committee not loaded yet; reads answer 503 until it is');
  }
  const committeeNow = (): Committee | undefined => view?.committee;
  const committeeFor = async (): Promise<Committee> => {
    view = await source.current();
    return committeeForBlob(view, undefined);
  };

  const registry = new Registry();
  const codec = codecPool(config.CODEC_WORKERS || undefined);
  // Pins come from the committee as it is when a connection opens (keys may rotate with epochs).
  const transport = undiciTransport({
    pins: (hostPort) => pinsFromNodes(view?.committee.nodes ?? [])(hostPort),
  });
  const reader = new BlobReader({
    committeeFor,
    codec,
    transport,
    maxBlobSize: config.MAX_BLOB_SIZE,
    deadlineMs: config.READ_DEADLINE_MS,
    requestTimeoutMs: config.NODE_REQUEST_TIMEOUT_MS,
    hedgeDelayMs: config.HEDGE_DELAY_MS,
    observer: readMetrics(registry),
  });
  const blocklist = fileBlocklist(
    config.BLOCKLIST_FILE ? resolve(config.BLOCKLIST_FILE) : join(dataDir, 'blocklist.txt'),
  );
  const chainUrl = view?.committee.chainUrl;
  const chain = chainUrl ? new DevnetChainClient(chainUrl) : undefined;
  // The cache must know when blobs end and hear of deletions: from the devnet chain, or from the
  // storage nodes (end epochs) and the Walrus events on Sui.
  const suiClient = sui?.client;
  const systemObjectId = sui?.systemObjectId;
  const lifetimes = chain
    ? devnetBlobLifetimes(chain)
    : suiClient && systemObjectId
      ? suiBlobLifetimes({
          client: suiClient,
          eventsModule: () => walrusEventsModule(suiClient, systemObjectId),
          endEpoch: async (blobId) => {
            const current = await source.current();
            return endEpochFromNodes({
              committee: current.committee,
              blobId,
              epoch: current.epoch,
              transport,
            });
          },
          epochStart: async (epoch) => earliestEpochStart(await source.current(), epoch),
          pollMs: config.SUI_EVENT_POLL_MS,
        })
      : undefined;
  const redis =
    lifetimes && config.REDIS_URL
      ? new RedisTier({
          url: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
        })
      : undefined;
  const cache = lifetimes
    ? new BlobCache({
        reader,
        memory: new MemoryTier({
          maxBytes: config.CACHE_MEMORY_BYTES || Math.min(2 ** 31, Math.floor(totalmem() / 4)),
          maxEntryBytes: config.CACHE_MAX_OBJECT_BYTES,
        }),
        negative: new NegativeCache(config.NEGATIVE_CACHE_TTL_MS),
        maxObjectBytes: config.CACHE_MAX_OBJECT_BYTES,
        lifetimes,
        redis,
      })
    : undefined;
  const stopFollowing = cache?.start();
  if (cache) registerCacheMetrics(registry, cache);

  const httpMetrics = createHttpMetrics(registry);
  const corsOrigins =
    config.CORS_ORIGINS === '*' ? '*' : config.CORS_ORIGINS.split(',').map((origin) => origin.trim());
  const sniffedTypes = new LRUCache<string, string>({ max: 100_000 });
  const app = createEdgeApp({
    version: VERSION,
    network: config.NETWORK,
    committee: committeeNow,
    metrics: httpMetrics,
    corsOrigins,
    adminToken: config.ADMIN_TOKEN,
    aggregator: {
      reader,
      quilts: new QuiltReader(
        cache
          ? cachedQuiltOpener(cache, reader, async () => (await committeeFor()).nShards)
          : nodeQuiltOpener(reader),
      ),
      objects: chain
        ? devnetBlobObjects(chain)
        : sui
          ? suiBlobObjects({ client: sui.client, epoch: async () => (await source.current()).epoch })
          : undefined,
      cache,
      blocklist,
      limiter: reconstructionLimiter(
        config.MAX_CONCURRENT_RECONSTRUCTIONS,
        config.MAX_QUEUED_RECONSTRUCTIONS,
      ),
      activeContent: config.ACTIVE_CONTENT,
      attributeHeaders: DEFAULT_ATTRIBUTE_HEADERS,
      sniffedTypes,
    },
  });
  const appListener = getRequestListener(app.fetch);
  const server = createServer(
    cache
      ? withFastHits(
          {
            cache,
            blocklist,
            sniffedTypes,
            activeContent: config.ACTIVE_CONTENT,
            corsOrigins,
            record: httpMetrics.recordFastHit,
          },
          appListener,
        )
      : appListener,
  );
  await new Promise<void>((listening) => server.listen(config.PORT, config.HOST, listening));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST}:${port}`;
  log.info({ url }, 'walrus-edge listening');

  return {
    url,
    devnet,
    stop: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      source.close();
      stopFollowing?.();
      await redis?.close();
      blocklist.close();
      await transport.close();
      await codec.close();
      await devnet?.stop();
    },
  };
}

if (import.meta.main) {
  const edge = await startEdge(loadConfig());
  const shutdown = () => void edge.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
