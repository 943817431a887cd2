// The composition root: reads the configuration and wires the edge from a few builders — the network
// (devnet or Sui, committee, transport, lifetimes), the cache, the read stack, and HTTP — each returning
// what it built and how to close it; one disposer closes them in reverse order. `npm start` runs this
// file; `walrus-edge serve` calls startEdge.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { totalmem } from 'node:os';
import { LRUCache } from 'lru-cache';
import { BlobCache } from './cache/blob-cache.ts';
import { MemoryTier } from './cache/memory-tier.ts';
import { NegativeCache } from './cache/negative-cache.ts';
import { RedisTier } from './cache/redis-tier.ts';
import type { CacheTier, FillClaims } from './cache/cache-tier.ts';
import { suiBlobLifetimes, walrusEventsModule, type BlobLifetimes } from './network/blob-lifetimes.ts';
import { endEpochFromNodes } from './network/blob-status.ts';
import { pino, type BaseLogger as Logger } from 'pino';
import prettyStream from 'pino-pretty';
import { Registry } from 'prom-client';
import { loadConfig, type EdgeConfig } from './config.ts';
import { httpWorkers } from './cluster/http-workers.ts';
import { missingNodeFlags } from './node-flags.ts';
import { startCluster } from './cluster/primary.ts';
import type { PublisherView } from './cluster/publisher-view.ts';
import { codecPool, type CodecPool } from './codec/codec-pool.ts';
import type { Codec } from './codec/codec.ts';
import type { Signer } from '@mysten/sui/cryptography';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient } from '@mysten/walrus';
import {
  committeeForBlob,
  earliestEpochStart,
  type CommitteeSource,
  type CommitteeView,
} from './network/committee-source.ts';
import { devnetSuiEndpoint } from './network/devnet-endpoint.ts';
import { WALRUS_MAINNET, WALRUS_TESTNET, suiCommitteeSource } from './network/committees/sui-committee.ts';
import {
  SuiUnavailableError,
  oneLineMessage,
  suiClientFor,
  suiGrpcClient,
  watchedSuiClient,
  type SuiReader,
} from './network/sui/sui-client.ts';
import { suiBlobObjects, type BlobObjectSource } from './network/blob-objects.ts';
import { pinsFromNodes } from './network/transport/pinned-tls.ts';
import { addressGuardedTransport, publicOnlyLookup } from './network/transport/address-guard.ts';
import type { NodeTransport } from './network/transport/node-transport.ts';
import { undiciTransport } from './network/transport/undici-transport.ts';
import { startDevnet, type RunningDevnet } from './devnet/devnet.ts';
import { BlobReader } from './read/blob-reader.ts';
import type { BlobSource } from './read/blob-source.ts';
import { blockedSource } from './read/blocked-source.ts';
import { limitedSource } from './read/limited-source.ts';
import { quiltPatchSource } from './read/quilt-patch-source.ts';
import { reconstructingSource } from './read/reconstructing-source.ts';
import { singleFlightSource } from './read/single-flight-source.ts';
import { cachedSource } from './cache/cached-source.ts';
import { negativeSource } from './cache/negative-source.ts';
import { createEdgeApp, type SuiStatus } from './http/app.ts';
import { fastHits } from './http/fast-hits.ts';
import { accessLogTo, withRequestLog, type AccessLogLine } from './http/request-log.ts';
import { bufferedAccessLog } from './http/access-log-stream.ts';
import { DEFAULT_ATTRIBUTE_HEADERS } from './http/aggregator-deps.ts';
import { fileBlocklist } from './http/blocklist-file.ts';
import { reconstructionLimiter } from './read/limiter.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { readMetrics } from './http/read-metrics.ts';
import { redisErrorCounter, registerCacheMetrics, singleFlightMetrics } from './http/cache-metrics.ts';
import { registerCommitteeMetrics, suiCallMetrics } from './http/chain-metrics.ts';
import { codecMetrics } from './http/codec-metrics.ts';
import { startMetricsListener } from './http/metrics-listener.ts';
import { nodeRequestMetrics, registerNodeScoreMetrics } from './http/node-metrics.ts';
import { rejectionMetrics } from './http/rejection-metrics.ts';
import type { SuiCallObserver } from './network/sui/observed-transport.ts';
import { publishMetrics } from './http/publish-metrics.ts';
import type { PublishDeps } from './http/routes/publish-routes.ts';
import type { UploadRelayRouteDeps } from './http/routes/upload-relay-routes.ts';
import { parseRelayTip } from './publish/relay/relay-tip.ts';
import { uploadRelayMetrics } from './publish/relay/upload-relay-metrics.ts';
import { relayBlob, type UploadRelayDeps } from './publish/relay/upload-relay.ts';
import { createPublisher } from './publish/publisher.ts';
import { backgroundTasks, type BackgroundTasks } from './publish/distribution-background.ts';
import { sharedUploadSlots, type SharedUploadSlots } from './publish/distribution-slots.ts';
import { fileRegistrationBook } from './publish/registration-book.ts';
import { publisherAuthorizer } from './publish/auth/publisher-authorizer.ts';
import {
  memoryReplayGuard,
  observedReplayGuard,
  redisReplayGuard,
  type ReplayGuard,
} from './publish/auth/replay-guard.ts';
import { connectRedis } from './cache/redis-connection.ts';
import { devnetWallet } from './publish/sponsor/devnet-wallet.ts';
import { loadOperatorSigner } from './publish/sponsor/operator-key.ts';
import { registerSponsorMetrics, sponsorObserver } from './publish/sponsor/sponsor-metrics.ts';
import { createSponsor, sponsorSettings } from './publish/sponsor/sub-wallets.ts';
import type { Sponsor } from './publish/sponsor/sponsor.ts';
import { sponsorShortfall } from './publish/sponsor/sponsor-shortfall.ts';
import { openLedger } from './publish/ledger/open-ledger.ts';
import type { Ledger } from './publish/ledger/ledger.ts';
import { instanceId } from './publish/ledger/instance-id.ts';
import { apiKeyHasher, loadPepper } from './publish/accounts/api-key-hashing.ts';
import { keyRateLimit } from './publish/accounts/key-rate-limit.ts';
import { paidUploads, type PaidUploads } from './publish/payments/paid-uploads.ts';
import { parseRate, paymentTerms } from './publish/payments/payment-terms.ts';
import { chainPriceCache } from './publish/payments/chain-prices.ts';
import { reconcileHolds } from './publish/payments/reconcile-holds.ts';
import { chainCertification } from './publish/payments/chain-certification.ts';
import { checkTopUp } from './publish/payments/top-up-check.ts';
import { walCoinType } from './publish/sponsor/wallet-funds.ts';
import type { PriceSettings } from './publish/payments/quote.ts';
import type { AccountRouteDeps } from './http/routes/account-routes.ts';
import { ledgerMetrics, paidUploadMetrics } from './http/paid-upload-metrics.ts';
import { observedLedger } from './publish/ledger/observed-ledger.ts';
import { representationsFrom } from './media/media-from-config.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunningEdge {
  url: string;
  /** Where /metrics is served when METRICS_PORT is set (else at `url`). */
  metricsUrl?: string;
  devnet: RunningDevnet | undefined;
  stop(): Promise<void>;
}

/** What an embedding program (or a test) may hand in instead of what the configuration names. */
export interface EdgeOverrides {
  /**
   * The Sui and Walrus objects for NETWORK=testnet|mainnet, instead of gRPC at SUI_RPC_URL (or the
   * public full node) and the network's Walrus objects: e.g. the devnet's Sui stand-in, whose nodes
   * speak plain HTTP on loopback.
   */
  sui?: {
    /** An in-process Sui client (`createSuiStandIn(...).client`); takes precedence over `url`. */
    client?: SuiReader;
    /** A Sui gRPC endpoint (grpc-web), when there is no `client`; default SUI_RPC_URL or the public node. */
    url?: string;
    systemObjectId: string;
    stakingObjectId: string;
    urlScheme?: 'http' | 'https';
    /**
     * Contact storage nodes at loopback/private addresses (as ALLOW_PRIVATE_NODE_ADDRESSES=true does).
     * Default: allowed with an in-process `client` (a devnet's nodes live on loopback), refused with a
     * `url`, unless the configuration allows it.
     */
    allowPrivateNodeAddresses?: boolean;
  };
  /** This process is one of several serving the port together (HTTP_WORKERS > 1, src/cluster/). */
  host?: EdgeHost;
}

/** What one process of a multi-process edge shares with the others of its host, through their primary. */
export interface EdgeHost {
  /** The metrics registry: what this process records; its metrics() answers for the whole host. */
  registry: Registry;
  /** Fill claims by which one process of the host reconstructs a blob for all (then `shared`: Redis's). */
  fillClaims(shared: FillClaims | undefined): FillClaims;
  /** The other processes' memory: a tier after this one's, before Redis. */
  peers: CacheTier;
  /** Lets the other processes find blobs in this one's cache, and purge them from it. */
  share(cache: BlobCache): void;
  /** Codec worker threads of this process when CODEC_WORKERS is 0 (the host's cores are shared). */
  codecWorkers: number;
  /**
   * Publishing happens in one process: this one (also listening at `socketPath` for what the others
   * pass on, and showing them its sponsor and ledger), or another, to which `forward` passes the
   * publisher's requests (true when it took one) and whose sponsor and ledger `view` shows.
   */
  publisher:
    | { here: true; socketPath: string; show(view: PublisherView): void }
    | {
        here: false;
        forward(req: IncomingMessage, res: ServerResponse): boolean;
        view: PublisherView;
      };
}

type Close = () => void | Promise<void>;

/** Closes what was built, last built first; each close runs even if an earlier one failed. */
class Disposer {
  readonly #closes: Close[] = [];
  add(close: Close): void {
    this.#closes.push(close);
  }
  async dispose(): Promise<void> {
    // Async wrapper: a close that throws at once must not stop the ones after it either.
    for (const close of this.#closes.splice(0).reverse())
      await (async () => close())().catch(() => undefined);
  }
}

export async function startEdge(config: EdgeConfig, overrides: EdgeOverrides = {}): Promise<RunningEdge> {
  const log = edgeLogger(config);
  const disposer = new Disposer();
  try {
    const { host } = overrides;
    const registry = host?.registry ?? new Registry();
    const network = await buildNetwork(config, overrides, registry, log, disposer);
    const cache = buildCache(config, network, host, log, disposer);
    registerCacheMetrics(registry, cache);
    // One worker pool for the CPU work of reads (verify, decode) and writes (encode).
    const codec: CodecPool = codecPool(config.CODEC_WORKERS || host?.codecWorkers || undefined, {
      observer: codecMetrics(registry, () => codec.queued),
    });
    disposer.add(() => codec.close());
    const stack = buildReadStack(config, network, cache, codec, registry, disposer);
    const publishing =
      host?.publisher.here === false
        ? {}
        : await buildPublishing(config, network, cache, codec, registry, log, disposer);
    const http = await buildHttp(config, network, cache, stack, publishing, host, registry, log, disposer);
    return {
      url: http.url,
      metricsUrl: http.metricsUrl,
      devnet: network.devnet,
      stop: () => disposer.dispose(),
    };
  } catch (error) {
    await disposer.dispose();
    throw error;
  }
}

interface EdgeNetwork {
  devnet: RunningDevnet | undefined;
  source: CommitteeSource;
  /** The last committee view loaded; undefined while Sui has not answered yet. */
  view(): CommitteeView | undefined;
  transport: NodeTransport;
  /** When blobs end and the chain events that end them early (the cache's lifetimes). */
  lifetimes: BlobLifetimes;
  objects: BlobObjectSource;
  /** Where Sui is asked and how that goes (/status, /readyz); undefined on a devnet. */
  sui: (() => SuiStatus) | undefined;
  /** Watches every call to Sui (metrics): for the publisher's client too. */
  suiCalls: SuiCallObserver;
  /**
   * Where transactions go (the publisher): the Sui gRPC endpoint the network is read from, the Walrus
   * objects there, and the devnet's faucet. No `url` with an in-process Sui client (it executes nothing).
   */
  chain: {
    url: string | undefined;
    systemObjectId: string;
    stakingObjectId: string;
    urlScheme: 'http' | 'https';
    faucetUrl?: string;
  };
}

/** The network: an embedded or running devnet, or Sui; its committee, node transport and chain views. */
async function buildNetwork(
  config: EdgeConfig,
  overrides: EdgeOverrides,
  registry: Registry,
  log: Logger,
  disposer: Disposer,
): Promise<EdgeNetwork> {
  const dataDir = resolve(config.DATA_DIR);
  let devnet: RunningDevnet | undefined;
  // Where Sui is: the public network's full node (or SUI_RPC_URL), or a devnet's own Sui endpoint.
  // The devnet is read exactly as mainnet is — one chain path: committee, lifetimes, blob objects and
  // events all come over Sui's gRPC API.
  let given: EdgeOverrides['sui'];
  let ids: { systemObjectId: string; stakingObjectId: string };
  let pollIntervalMs: number | undefined;
  let faucetUrl: string | undefined;
  if (config.NETWORK !== 'devnet') {
    given = overrides.sui;
    ids = given ?? (config.NETWORK === 'mainnet' ? WALRUS_MAINNET : WALRUS_TESTNET);
  } else {
    let dir: string;
    if (config.DEVNET_DIR) {
      dir = resolve(config.DEVNET_DIR);
    } else {
      const started = performance.now();
      const embedded = await startDevnet({
        dir: join(dataDir, 'devnet'),
        nodes: config.DEVNET_NODES,
        shards: config.DEVNET_SHARDS,
        chainParams: config.DEVNET_EPOCH_MS ? { epochDurationMs: config.DEVNET_EPOCH_MS } : undefined,
      });
      devnet = embedded;
      dir = embedded.dir;
      disposer.add(() => embedded.stop());
      log.info(
        {
          dir: embedded.dir,
          nodes: embedded.committee.nodes.length,
          shards: embedded.committee.nShards,
          ms: Math.round(performance.now() - started),
        },
        'embedded devnet started',
      );
    }
    const endpoint = devnetSuiEndpoint(dir);
    // The devnet's nodes live on loopback; its epochs may change on command, so look more often.
    given = { ...endpoint, allowPrivateNodeAddresses: true };
    ids = endpoint;
    faucetUrl = endpoint.faucetUrl;
    pollIntervalMs = 2_000;
  }
  // Read over gRPC with a deadline per call; failures name the endpoint (sui-client.ts) and are
  // counted by RPC (an in-process client has no calls to count).
  const suiCalls = suiCallMetrics(registry);
  const { client, url } = given?.client
    ? { client: given.client, url: given.url ?? 'an in-process Sui client' }
    : suiClientFor(
        {
          NETWORK: config.NETWORK === 'devnet' ? 'testnet' : config.NETWORK,
          SUI_RPC_URL: given?.url ?? config.SUI_RPC_URL,
        },
        { observer: suiCalls },
      );
  const watched = watchedSuiClient(client, { url, timeoutMs: config.SUI_REQUEST_TIMEOUT_MS });
  const allowPrivateNodes =
    config.ALLOW_PRIVATE_NODE_ADDRESSES || (given?.allowPrivateNodeAddresses ?? given?.client !== undefined);
  const sui = { client: watched.client, systemObjectId: ids.systemObjectId };
  const suiStatus = (): SuiStatus => ({
    ...watched.health(),
    systemObjectId: ids.systemObjectId,
    stakingObjectId: ids.stakingObjectId,
    committeeLoadedAt: view ? new Date(view.loadedAt).toISOString() : null,
  });
  // When Sui last confirmed the committee (a load or an epoch check; its age is what "stale" means),
  // and its epoch then.
  let confirmed: { at: number; epoch: number } | undefined;
  registerCommitteeMetrics(registry, { epoch: () => confirmed?.epoch, checkedAt: () => confirmed?.at });
  const source: CommitteeSource = suiCommitteeSource({
    client: watched.client,
    systemObjectId: ids.systemObjectId,
    stakingObjectId: ids.stakingObjectId,
    urlScheme: given?.urlScheme,
    pollIntervalMs,
    // A read makes three calls, each with its own deadline: those name the endpoint, so they go first.
    timeoutMs: 3 * config.SUI_REQUEST_TIMEOUT_MS + 1_000,
    onError: (error) => {
      const message = oneLineMessage(error);
      // Failures of the calls themselves are recorded by the watched client already.
      if (!(error instanceof SuiUnavailableError)) watched.noteError(message);
      log.warn({ error: message }, 'committee refresh failed');
    },
    onCurrent: (current) => (confirmed = { at: Date.now(), epoch: current.epoch }),
  });
  log.info(
    {
      sui: watched.url,
      systemObjectId: ids.systemObjectId,
      stakingObjectId: ids.stakingObjectId,
      allowPrivateNodeAddresses: allowPrivateNodes,
    },
    'reading the Walrus committee from Sui',
  );
  disposer.add(() => source.close());
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
    log.warn({ error: oneLineMessage(error) }, 'committee not loaded yet; reads answer 503 until it is');
  }
  // Pins come from the committee as it is when a connection opens (keys may rotate with epochs).
  // On Sui the nodes' addresses are other people's data: no requests into loopback or private
  // networks unless allowed (address-guard.ts), checked before a request and again when connecting.
  const nodes = undiciTransport({
    pins: (hostPort) => pinsFromNodes(view?.committee.nodes ?? [])(hostPort),
    connect: allowPrivateNodes ? undefined : { lookup: publicOnlyLookup },
  });
  const transport = allowPrivateNodes
    ? nodes
    : addressGuardedTransport(nodes, {
        onRefused: (refusal) =>
          log.warn(
            { node: refusal.host, address: refusal.address, kind: refusal.reason },
            'storage node not contacted: its on-chain address is not public (ALLOW_PRIVATE_NODE_ADDRESSES=true allows it)',
          ),
      });
  disposer.add(() => transport.close());

  // The cache must know when blobs end and hear of deletions: end epochs from the storage nodes'
  // blob status, deletions and epoch changes from the Walrus events on Sui.
  const suiClient = sui.client;
  const lifetimes = suiBlobLifetimes({
    client: suiClient,
    eventsModule: () => walrusEventsModule(suiClient, sui.systemObjectId),
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
  });
  const objects = suiBlobObjects({ client: sui.client, epoch: async () => (await source.current()).epoch });
  const currentView = async () => (view = await source.current());
  return {
    devnet,
    // Every read of the committee also updates what /status and the TLS pins see.
    source: { current: currentView, refresh: () => source.refresh(), close: () => source.close() },
    view: () => view,
    transport,
    lifetimes,
    objects,
    sui: suiStatus,
    suiCalls,
    chain: {
      url: given?.client ? undefined : url,
      systemObjectId: ids.systemObjectId,
      stakingObjectId: ids.stakingObjectId,
      urlScheme: given?.urlScheme ?? 'https',
      faucetUrl,
    },
  };
}

/** The Redis URL without its password, for logs. */
function redactedRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/** The blob cache: memory, Redis when configured, the negative cache, following the chain's events. */
function buildCache(
  config: EdgeConfig,
  network: EdgeNetwork,
  host: EdgeHost | undefined,
  log: Logger,
  disposer: Disposer,
): BlobCache {
  const redis = config.REDIS_URL
    ? new RedisTier({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      })
    : undefined;
  if (redis) {
    disposer.add(() => redis.close());
    // Not fatal (the edge serves from memory and the nodes, and finds Redis once it answers), but said.
    void redis.connected(2_000).then((up) => {
      if (!up)
        log.warn(
          { redis: redactedRedisUrl(config.REDIS_URL!) },
          'REDIS_URL is set but Redis does not answer yet; caching in memory only until it does',
        );
    });
  }
  const cache = new BlobCache({
    memory: new MemoryTier({
      maxBytes: config.CACHE_MEMORY_BYTES || Math.min(2 ** 31, Math.floor(totalmem() / 4)),
      maxEntryBytes: config.CACHE_MAX_OBJECT_BYTES,
    }),
    negative: new NegativeCache(config.NEGATIVE_CACHE_TTL_MS),
    maxObjectBytes: config.CACHE_MAX_OBJECT_BYTES,
    lifetimes: network.lifetimes,
    tiers: [...(host ? [host.peers] : []), ...(redis ? [redis] : [])],
    claims: host ? host.fillClaims(redis) : redis,
  });
  host?.share(cache);
  disposer.add(cache.start());
  return cache;
}

interface ReadStack {
  blobs: BlobSource;
  blocklist: ReturnType<typeof fileBlocklist>;
  limiter: ReturnType<typeof reconstructionLimiter>;
}

/**
 * The read stack, stacked once for every route: blocked → quilt patches → negative → cached →
 * single-flight → limited → reconstruction from the storage nodes.
 */
function buildReadStack(
  config: EdgeConfig,
  network: EdgeNetwork,
  cache: BlobCache,
  codec: Codec,
  registry: Registry,
  disposer: Disposer,
): ReadStack {
  const committeeFor = async () => committeeForBlob(await network.source.current(), undefined);
  const reader = new BlobReader({
    committeeFor,
    codec,
    transport: network.transport,
    maxBlobSize: config.MAX_BLOB_SIZE,
    deadlineMs: config.READ_DEADLINE_MS,
    requestTimeoutMs: config.NODE_REQUEST_TIMEOUT_MS,
    hedgeDelayMs: config.HEDGE_DELAY_MS,
    observer: { ...readMetrics(registry), ...nodeRequestMetrics(registry) },
  });
  registerNodeScoreMetrics(registry, reader.scores, () => network.view()?.committee.nodes ?? []);
  const blocklist = fileBlocklist(
    config.BLOCKLIST_FILE ? resolve(config.BLOCKLIST_FILE) : join(resolve(config.DATA_DIR), 'blocklist.txt'),
  );
  disposer.add(() => blocklist.close());
  const limiter = reconstructionLimiter(
    config.MAX_CONCURRENT_RECONSTRUCTIONS,
    config.MAX_QUEUED_RECONSTRUCTIONS,
  );
  const reconstructed = singleFlightSource(
    limitedSource(reconstructingSource(reader), limiter),
    singleFlightMetrics(registry, cache),
  );
  const cached = cachedSource(reconstructed, cache, async () => (await committeeFor()).nShards);
  const blobs = blockedSource(quiltPatchSource(negativeSource(cached, cache.negative)), blocklist);
  return { blobs, blocklist, limiter };
}

interface Publishing {
  publish?: PublishDeps & { sponsor: Sponsor; accounts?: AccountRouteDeps };
  uploadRelay?: UploadRelayRouteDeps;
}

/**
 * Publishing, over the Sui endpoint the network is read from: the publisher (which pays) and the
 * upload relay (which does not: its clients register and certify themselves). Neither runs with an
 * in-process Sui client, which executes no transactions.
 */
async function buildPublishing(
  config: EdgeConfig,
  network: EdgeNetwork,
  cache: BlobCache,
  codec: Codec,
  registry: Registry,
  log: Logger,
  disposer: Disposer,
): Promise<Publishing> {
  const chain = network.chain;
  if (!chain.url) {
    log.info('publishing is off: an in-process Sui client executes no transactions');
    return {};
  }
  const sui = suiGrpcClient({
    baseUrl: chain.url,
    network: config.NETWORK === 'devnet' ? 'localnet' : config.NETWORK,
    observer: network.suiCalls,
  });
  const newWalrus = () =>
    new WalrusClient({
      packageConfig: { systemObjectId: chain.systemObjectId, stakingPoolId: chain.stakingObjectId },
      suiClient: sui,
      storageNodeUrlScheme: chain.urlScheme,
    });
  const walrus = newWalrus();
  // Uploads to nodes still going when a certificate is in hand finish in the background (closing
  // stops them); concurrent uploads — the publisher's and the relay's — share the nodes' bandwidth,
  // the oldest without a quorum first.
  const stragglers = backgroundTasks();
  disposer.add(() => stragglers.close());
  const uploadSlots = sharedUploadSlots();
  const publish = await buildPublisher(
    config,
    network,
    { sui, walrus, newWalrus, stragglers, uploadSlots },
    cache,
    codec,
    registry,
    log,
    disposer,
  );
  // Tips go to UPLOAD_RELAY_TIP_ADDRESS, else to the operator's wallet (when there is one).
  const tip = parseRelayTip(
    config.UPLOAD_RELAY_TIP,
    config.UPLOAD_RELAY_TIP_ADDRESS ?? publish?.publisher.address,
  );
  const relayDeps: UploadRelayDeps = {
    committee: async (signal) => (await network.source.current(signal)).committee,
    codec,
    transport: network.transport,
    sui,
    tip,
    distribution: {
      deadlineMs: config.PUBLISH_UPLOAD_DEADLINE_MS,
      requestTimeoutMs: config.NODE_REQUEST_TIMEOUT_MS,
      background: stragglers,
      shared: uploadSlots,
    },
  };
  const uploadRelay: UploadRelayRouteDeps = {
    tip,
    relay: (request) => relayBlob(relayDeps, request),
    maxBodyBytes: config.PUBLISH_MAX_BLOB_BYTES,
    onRelay: uploadRelayMetrics(registry),
  };
  return { publish, uploadRelay };
}

/**
 * The publisher (PUT /v1/blobs, /v1/quilts): the sponsored account, who may publish, and the pipeline
 * over the network's committee, transport and Sui endpoint, the shared codec pool and the cache.
 * On the devnet it always runs, paid by a faucet-funded wallet in DATA_DIR/publisher/wallet.json; on
 * testnet/mainnet only when an operator key is configured (and then PUBLISHER_AUTH must be set).
 */
async function buildPublisher(
  config: EdgeConfig,
  network: EdgeNetwork,
  {
    sui,
    walrus,
    newWalrus,
    stragglers,
    uploadSlots,
  }: {
    sui: SuiGrpcClient;
    walrus: WalrusClient;
    newWalrus: () => WalrusClient;
    stragglers: BackgroundTasks;
    uploadSlots: SharedUploadSlots;
  },
  cache: BlobCache,
  codec: Codec,
  registry: Registry,
  log: Logger,
  disposer: Disposer,
): Promise<(PublishDeps & { sponsor: Sponsor; accounts?: AccountRouteDeps }) | undefined> {
  const chain = network.chain;
  const dataDir = resolve(config.DATA_DIR);

  // ── THE SPONSOR: who pays ───────────────────────────────────────────────────────────────────────
  // The operator's main wallet (on the devnet a faucet-funded one of its own), funding
  // PUBLISHER_SUB_WALLETS sub-wallets that sign one upload each (src/publish/sponsor/sub-wallets.ts).
  // Its keys and the publisher's book of registrations live in DATA_DIR/publisher/.
  const publisherDir = join(dataDir, 'publisher');
  mkdirSync(publisherDir, { recursive: true });
  let signer: Signer;
  if (config.NETWORK === 'devnet') {
    signer = await devnetWallet({ dir: publisherDir, faucetUrl: chain.faucetUrl, sui });
  } else {
    const operator = await loadOperatorSigner(config, log);
    if (!operator) {
      log.info('publishing is off: no operator key (SUI_KEYSTORE_FILE, SUI_PRIVATE_KEY or SUI_KMS)');
      return undefined;
    }
    signer = operator;
  }

  // ── WHO MAY PUBLISH ─────────────────────────────────────────────────────────────────────────────
  // PUBLISHER_AUTH → the authorizer (src/publish/auth/publisher-authorizer.ts): open only by default
  // on the devnet; on testnet/mainnet the edge refuses to start with it unset — decided before the
  // sponsor moves any funds (it tops sub-wallets up as it starts).
  // With API keys, accounts pay from prepaid balances kept in the ledger (PostgreSQL or SQLite).
  const accounts = config.PUBLISHER_AUTH?.includes('api-key')
    ? await openAccounts(config, publisherDir, registry, log, disposer)
    : undefined;
  const auth = await publisherAuthorizer({
    mode: config.PUBLISHER_AUTH,
    network: config.NETWORK,
    jwtSecret: config.JWT_SECRET,
    jwtPublicKey: config.JWT_PUBLIC_KEY,
    replayGuard: config.PUBLISHER_AUTH?.includes('jwt')
      ? replayGuard(config, registry, log, disposer)
      : undefined,
    apiKeys: accounts && { ledger: accounts.ledger, hashKey: accounts.hashKey, rateLimit: keyRateLimit() },
  });
  if (!auth.ok) throw new Error(auth.error);
  for (const warning of auth.warnings) log.warn(warning);

  const sponsor = await createSponsor({
    signer,
    sui,
    walrus,
    dataDir: publisherDir,
    ...sponsorSettings(config),
    log,
    observer: sponsorObserver(registry),
  });
  disposer.add(() => sponsor.close());
  registerSponsorMetrics(registry, sponsor);

  const uploads = reconstructionLimiter(config.PUBLISH_MAX_CONCURRENT, config.PUBLISH_MAX_QUEUED);
  const metrics = publishMetrics(registry, uploads);
  const publisher = createPublisher({
    committee: (signal) => network.source.current(signal),
    transport: network.transport,
    codec,
    walrus: newWalrus,
    sui,
    sponsor,
    registrations: fileRegistrationBook(
      join(publisherDir, 'registrations.jsonl'),
      () => network.view()?.epoch,
    ),
    cache,
    warmCache: config.PUBLISH_WARM_CACHE,
    distribution: {
      deadlineMs: config.PUBLISH_UPLOAD_DEADLINE_MS,
      requestTimeoutMs: config.NODE_REQUEST_TIMEOUT_MS,
      observer: metrics.distribution,
      background: stragglers,
      shared: uploadSlots,
    },
    observer: metrics.observer,
  });
  log.info({ address: publisher.address, auth: auth.mode }, 'publisher enabled');
  const paid =
    accounts &&
    (await buildPayments(
      config,
      network,
      { sui, newWalrus, walrus, signer, sponsor },
      accounts,
      registry,
      log,
      disposer,
    ));
  return {
    publisher,
    authorize: auth.authorizer,
    maxBlobBytes: config.PUBLISH_MAX_BLOB_BYTES,
    maxQuiltBytes: config.PUBLISH_MAX_QUILT_BYTES,
    uploads,
    recorder: metrics.recorder,
    sponsor,
    payments: paid?.payments,
    accounts: paid?.routes,
  };
}

interface Accounts {
  ledger: Ledger;
  hashKey: (key: string) => string;
  /** This instance's name in the ledger. */
  owner: string;
}

/** The ledger and how API keys are hashed. Instances sharing a database must share the pepper. */
async function openAccounts(
  config: EdgeConfig,
  publisherDir: string,
  registry: Registry,
  log: Logger,
  disposer: Disposer,
): Promise<Accounts> {
  if (config.DATABASE_URL && !config.API_KEY_PEPPER)
    throw new Error(
      'DATABASE_URL is set but API_KEY_PEPPER is not: instances that share accounts must hash API keys alike',
    );
  const opened = await openLedger({ databaseUrl: config.DATABASE_URL, dataDir: resolve(config.DATA_DIR) });
  disposer.add(() => opened.close());
  const owner = instanceId(config.EDGE_INSTANCE_ID, resolve(config.DATA_DIR));
  // A scrape must not hang on a database that does not answer: then the gauge keeps its last value.
  const metrics = ledgerMetrics(registry, async () => {
    const holds = await answeredWithin(opened.openHolds({ owner }), 1_000);
    if (!holds) throw new Error('the ledger did not answer');
    return holds.length;
  });
  const ledger = observedLedger(opened, metrics.failed);
  log.info({ ledger: ledger.kind }, 'ledger of paid publishing open');
  return {
    ledger,
    hashKey: apiKeyHasher(loadPepper(config.API_KEY_PEPPER, publisherDir)),
    owner,
  };
}

/** Whether the ledger answers within a second (a database that hangs is as good as down for /readyz). */
function ledgerAnswers(ledger: Ledger): () => Promise<boolean> {
  return async () =>
    (await answeredWithin(
      ledger.ping().then(() => true),
      1_000,
    )) === true;
}

/** The promise's value if it settles fulfilled within `ms`, else undefined (a rejection too). */
async function answeredWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How often this instance looks for holds of its own left open (a lost database write). */
const RECONCILE_INTERVAL_MS = 5 * 60_000;

/**
 * Paid publishing: quotes at the chain's prices, holds and settlements in the ledger, receipts signed
 * by the sponsor's main key, top-ups read from Sui; and, first, the holds this instance left open when
 * it last stopped, reconciled against the chain.
 */
async function buildPayments(
  config: EdgeConfig,
  network: EdgeNetwork,
  chainDeps: {
    sui: SuiGrpcClient;
    walrus: WalrusClient;
    newWalrus: () => WalrusClient;
    signer: Signer;
    sponsor: Sponsor;
  },
  accounts: Accounts,
  registry: Registry,
  log: Logger,
  disposer: Disposer,
): Promise<{ payments: PaidUploads; routes: AccountRouteDeps }> {
  const { sui, signer, sponsor } = chainDeps;
  const { ledger, owner } = accounts;
  const settings: PriceSettings = {
    marginBps: config.PRICE_MARGIN_BPS,
    flatFeeFrost: config.PRICE_FLAT_FEE_FROST,
    freeTierBytes: config.PRICE_FREE_TIER_BYTES,
    frostPerMist: parseRate(config.PRICE_FROST_PER_MIST),
    gasEstimateMist: config.PRICE_GAS_ESTIMATE_MIST,
  };
  const terms = paymentTerms({
    prices: chainPriceCache({ newWalrus: chainDeps.newWalrus }),
    settings,
    sui,
    signer,
  });
  const inFlight = new Set<string>();
  const payments = paidUploads({
    ledger,
    owner,
    ...terms,
    sponsorShortfall: (quote) =>
      sponsorShortfall(sponsor.status(), {
        walFrost: quote.storageFrost + quote.writeFrost,
        gasMist: settings.gasEstimateMist,
      }),
    idempotencyWaitMs: config.PUBLISH_UPLOAD_DEADLINE_MS,
    observer: paidUploadMetrics(registry),
    inFlight,
  });
  const reconcile = async (whileServing: boolean) => {
    const result = await reconcileHolds({
      ledger,
      owner,
      inFlight,
      // While serving, only holds older than any upload may be orphans (twice the upload deadline).
      placedBefore: whileServing ? new Date(Date.now() - 2 * config.PUBLISH_UPLOAD_DEADLINE_MS) : undefined,
      certified: chainCertification({
        sui,
        committee: async () => (await network.source.current()).committee,
        transport: network.transport,
      }),
    });
    if (result.settled + result.released + result.undecided + result.abandonedClaims > 0)
      log.warn(result, 'reconciled holds left open (an earlier run of this instance stopped mid-upload)');
  };
  await reconcile(false);
  // The audit reads every entry and only logs: it runs once the start is done, not before the edge
  // listens (node:sqlite is synchronous, so it is deferred rather than merely not awaited).
  setImmediate(
    () =>
      void Promise.resolve()
        .then(() => ledger.audit())
        .then(
          (mismatches) => {
            if (mismatches.length > 0)
              log.error(
                { accounts: mismatches.map((mismatch) => mismatch.accountId) },
                "the ledger's stored balances disagree with its entries (GET /v1/admin/ledger/audit)",
              );
          },
          () => undefined, // a ledger that fails says so in its metrics and /readyz
        ),
  );
  const timer = setInterval(() => void reconcile(true).catch(() => undefined), RECONCILE_INTERVAL_MS);
  timer.unref();
  disposer.add(() => clearInterval(timer));
  const walType = await walCoinType(chainDeps.walrus, sui);
  return {
    payments,
    routes: {
      adminToken: config.ADMIN_TOKEN,
      ledger,
      hashKey: accounts.hashKey,
      payments,
      checkTopUp: (digest, signal) =>
        checkTopUp({
          sui,
          digest,
          sponsorAddress: sponsor.address,
          walCoinType: walType,
          ownWallets: [sponsor.address, ...sponsor.status().subWallets.map((wallet) => wallet.address)],
          signal,
        }),
      maxUploadBytes: Math.max(config.PUBLISH_MAX_BLOB_BYTES, config.PUBLISH_MAX_QUILT_BYTES),
      requireTopUpSignature: config.TOP_UP_REQUIRE_SIGNATURE,
    },
  };
}

/** Where used JWT IDs are kept: Redis (shared by every instance) when configured, else this process. */
function replayGuard(config: EdgeConfig, registry: Registry, log: Logger, disposer: Disposer): ReplayGuard {
  if (!config.REDIS_URL) {
    log.warn('REDIS_URL is not set: a JWT replayed at another edge instance is not recognised');
    return memoryReplayGuard();
  }
  const redis = connectRedis(config.REDIS_URL, {
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(2_000, 100 * attempt),
  });
  redis.on('error', () => undefined); // refused requests say so; the client reconnects by itself
  disposer.add(() => void redis.disconnect());
  const errors = redisErrorCounter(registry);
  return observedReplayGuard(redisReplayGuard(redis, config.REDIS_PREFIX), (operation) =>
    errors.inc({ operation: `jwt_${operation}` }),
  );
}

/**
 * Logs as JSON lines for collectors, or readable for a person at a terminal (LOG_FORMAT; auto = pretty
 * when stdout is a TTY). pino-pretty runs as a stream in this thread: no transport worker to manage.
 */
export function edgeLogger(config: EdgeConfig): Logger {
  if (!prettyLog(config)) return pino({ level: config.LOG_LEVEL });
  return pino(
    { level: config.LOG_LEVEL },
    prettyStream({ colorize: process.stdout.isTTY === true, sync: true, translateTime: 'SYS:HH:MM:ss.l' }),
  );
}

function prettyLog(config: EdgeConfig): boolean {
  return config.LOG_FORMAT === 'pretty' || (config.LOG_FORMAT === 'auto' && process.stdout.isTTY === true);
}

/**
 * The access lines: JSON lines through a buffer of their own (src/http/access-log-stream.ts), written
 * out when the edge stops; readable ones, for a person at a terminal, as they come with the rest.
 */
function accessLog(config: EdgeConfig, log: Logger, disposer: Disposer): (line: AccessLogLine) => void {
  if (prettyLog(config)) return accessLogTo(log);
  const stream = bufferedAccessLog(config.LOG_LEVEL);
  disposer.add(() => stream.close());
  return stream.line;
}

/** The HTTP app, the fast path for memory hits in front of it, and the listening server. */
async function buildHttp(
  config: EdgeConfig,
  network: EdgeNetwork,
  cache: BlobCache,
  stack: ReadStack,
  publishing: Publishing,
  host: EdgeHost | undefined,
  registry: Registry,
  log: Logger,
  disposer: Disposer,
): Promise<{ url: string; metricsUrl?: string }> {
  const httpMetrics = createHttpMetrics(registry);
  const corsOrigins =
    config.CORS_ORIGINS === '*' ? '*' : config.CORS_ORIGINS.split(',').map((origin) => origin.trim());
  const sniffedTypes = new LRUCache<string, string>({ max: 100_000 });
  const representations = representationsFrom(config, cache, registry);
  const sponsor = publishing.publish?.sponsor;
  const ownPublisher: PublisherView = {
    sponsor: sponsor ? () => sponsor.status() : undefined,
    ledgerAnswers: publishing.publish?.accounts && ledgerAnswers(publishing.publish.accounts.ledger),
  };
  // Of several processes, those that do not publish show the publishing one's sponsor and ledger.
  const publisher = host?.publisher.here === false ? host.publisher.view : ownPublisher;
  if (host?.publisher.here) host.publisher.show(ownPublisher);
  const uploadRelay = publishing.uploadRelay;
  const app = createEdgeApp({
    version: VERSION,
    network: config.NETWORK,
    // Once loaded, the source answers from its latest poll at once; before that (Sui down or slow at
    // start-up) nothing is known, and nothing is waited for.
    committee: async () =>
      network.view() ? (await network.source.current().catch(() => undefined))?.committee : undefined,
    sui: network.sui,
    metrics: httpMetrics,
    metricsRoute: config.METRICS_PORT === undefined,
    rejections: rejectionMetrics(registry),
    corsOrigins,
    adminToken: config.ADMIN_TOKEN,
    blocklist: stack.blocklist,
    cache,
    reconstructions: stack.limiter,
    aggregator: {
      blobs: stack.blobs,
      objects: network.objects,
      activeContent: config.ACTIVE_CONTENT,
      attributeHeaders: DEFAULT_ATTRIBUTE_HEADERS,
      sniffedTypes,
      representations,
    },
    publish: publishing.publish,
    accounts: publishing.publish?.accounts,
    ledgerAnswers: publisher.ledgerAnswers,
    sponsor: publisher.sponsor,
    uploadRelay,
  });
  const appListener = getRequestListener(app.fetch);
  // The fast path asks the same blocklist and cache as the read stack; anything else goes to the app.
  const listener = withRequestLog(
    appListener,
    config.ACCESS_LOG ? accessLog(config, log, disposer) : undefined,
    fastHits({
      cache,
      blocklist: stack.blocklist,
      sniffedTypes,
      activeContent: config.ACTIVE_CONTENT,
      corsOrigins,
      metrics: httpMetrics.fastPath,
      representations,
    }),
  );
  const server = createServer(hostListener(listener, host));
  await new Promise<void>((listening) => server.listen(config.PORT, config.HOST, listening));
  disposer.add(() => closeServer(server));
  // The publishing process of several also serves what the others pass on, at a socket of its own.
  if (host?.publisher.here) {
    const socketPath = host.publisher.socketPath;
    const forwarded = createServer(listener);
    rmSync(socketPath, { force: true });
    await new Promise<void>((listening) =>
      forwarded.listen({ path: socketPath, exclusive: true }, listening),
    );
    disposer.add(() => closeServer(forwarded));
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST}:${port}`;
  // With several workers, the primary says 'walrus-edge listening' once all of them are.
  log.info({ url }, host ? 'edge worker listening' : 'walrus-edge listening');
  if (config.METRICS_PORT === undefined) return { url };
  // Its own port: only Prometheus's network need reach it (config.ts, METRICS_PORT).
  if (config.METRICS_PORT !== 0 && config.METRICS_PORT === port)
    throw new Error(`METRICS_PORT: ${port} is PORT already; give metrics a port of their own`);
  const metrics = await startMetricsListener({ port: config.METRICS_PORT, host: config.HOST, registry });
  disposer.add(() => metrics.close());
  log.info({ url: `${metrics.url}/metrics` }, 'metrics listening');
  return { url, metricsUrl: metrics.url };
}

/** The listener, or for a process that does not publish, the publisher's routes passed on first. */
function hostListener(listener: RequestListener, host: EdgeHost | undefined): RequestListener {
  const publisher = host?.publisher;
  if (!publisher || publisher.here) return listener;
  return (req, res) => {
    if (!publisher.forward(req, res)) listener(req, res);
  };
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise<void>((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

/**
 * The edge as `npm start` and `walrus-edge serve` run it: this process, or with HTTP_WORKERS > 1 (the
 * default: one per core, but one on an embedded devnet) a primary and that many workers serving the
 * port together (src/cluster/primary.ts). `env` is what the workers are started with.
 */
export async function runEdge(
  config: EdgeConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; metricsUrl?: string; stop(): Promise<void> }> {
  const missing = missingNodeFlags();
  if (missing.length > 0)
    edgeLogger(config).warn(
      { missing },
      'Node was started without the flags the edge is run with (src/node-flags.ts): memory hits cost more CPU once the process has been idle',
    );
  const workers = httpWorkers(config);
  if (workers <= 1) return startEdge(config);
  return startCluster(config, { workers, env, log: edgeLogger(config) });
}

if (import.meta.main) {
  let edge: { stop(): Promise<void> };
  try {
    edge = await runEdge(loadConfig());
  } catch (error) {
    // An edge that cannot start says why in one line (an invalid setting names itself), not a stack.
    console.error(`walrus-edge: ${String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' ')}`);
    process.exit(1);
  }
  const shutdown = () => void edge.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
