// A whole local Walrus network in one process: the chain and n storage nodes, persisted under `dir`, so
// a killed and restarted devnet comes back with the same keys, ports (when free), blobs and chain state.
// Writes dir/committee.json (DESIGN §4) for the edge, the CLI and other tools to find it.
// With `tls`, nodes speak HTTPS with HTTP/2 like real ones, each with a self-signed certificate for its
// P-256 network key (kept in nodes/<name>/tls/), published in the committee as `networkPublicKey`.
// The devnet also speaks Sui: a grpc-web endpoint (`suiUrl`) serving the Walrus objects and events of
// this chain, whose System and Staking IDs (`packageConfig`) stay the same across restarts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToBase64, bytesToHex, hexToBytes } from '../protocol/base64.ts';
import { blsPublicKeyOf, generateBlsKeyPair } from '../protocol/bls.ts';
import { encodingParams } from '../protocol/encoding.ts';
import type { Committee } from '../network/committee.ts';
import { ChainError, DevnetLedger, randomObjectId } from './chain/ledger.ts';
import { createChainApp } from './chain/server.ts';
import type { ChainParams } from './chain/types.ts';
import { listen, type Listener } from './http-listener.ts';
import { loadOrCreateNodeTls } from './node-tls.ts';
import { createStorageNodeApp } from './storage-node/node-app.ts';
import { SliverStore } from './storage-node/sliver-store.ts';
import { startFaucet } from './sui/faucet.ts';
import { startSuiEndpoint } from './sui/sui-endpoint.ts';
import { SuiState, type ChainClock } from './sui/sui-state.ts';
import { SuiTransactions } from './sui/sui-transactions.ts';

export const DEFAULT_DEVNET_NODES = 12;
export const DEFAULT_DEVNET_SHARDS = 1000;

export interface DevnetOptions {
  dir: string;
  /** Defaults to 12, or what dir/devnet.json says. */
  nodes?: number;
  /** Defaults to 1000, or what dir/devnet.json says. */
  shards?: number;
  host?: string;
  /** First node's port (node i gets base + i, the chain base - 1); 0 picks free ports. */
  basePort?: number;
  chainParams?: Partial<Omit<ChainParams, 'nShards'>>;
  /**
   * Serve the storage nodes over HTTPS + HTTP/2 with self-signed certificates (clients pin the nodes'
   * `networkPublicKey`). Defaults to false, or what dir/devnet.json says; the chain stays plain HTTP.
   */
  tls?: boolean;
}

interface NodeConfig {
  name: string;
  nodeId: string;
  secretKey: string;
  port: number;
  shards: number[];
}

interface DevnetConfig {
  version: 1;
  nShards: number;
  host: string;
  chainPort: number;
  /** Absent in devnets made before TLS existed: false. */
  tls?: boolean;
  /** The Sui endpoint's port; absent in devnets made before it existed (then any free port). */
  suiPort?: number;
  /** The faucet's port; absent in devnets made before it existed (then any free port). */
  faucetPort?: number;
  /** Namespace of the Sui object IDs (hex); made on first start when absent. */
  suiSeed?: string;
  nodes: NodeConfig[];
}

export interface RunningDevnet {
  dir: string;
  committee: Committee;
  committeePath: string;
  chainUrl: string;
  /** Sui's gRPC API over grpc-web: `new SuiGrpcClient({ baseUrl: suiUrl, network: 'localnet' })`. */
  suiUrl: string;
  /** Sui's faucet API (`requestSuiFromFaucetV2({ host: faucetUrl, recipient })`): SUI and WAL coins. */
  faucetUrl: string;
  /** What `new WalrusClient({ packageConfig, ... })` takes to find this devnet's Walrus objects. */
  packageConfig: { systemObjectId: string; stakingPoolId: string };
  ledger: DevnetLedger;
  stop(): Promise<void>;
}

export async function startDevnet(options: DevnetOptions): Promise<RunningDevnet> {
  const config = loadOrCreateConfig(options);
  if (options.tls !== undefined) config.tls = options.tls;
  const tls = config.tls ?? false;
  const identities = tls
    ? await Promise.all(
        config.nodes.map((node) =>
          loadOrCreateNodeTls(join(options.dir, 'nodes', node.name, 'tls'), config.host),
        ),
      )
    : undefined;
  const listeners: Listener[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const committeeDraft: Committee = {
      nShards: config.nShards,
      epoch: 1,
      nodes: config.nodes.map((node, index) => ({
        name: node.name,
        url: `${tls ? 'https' : 'http'}://${config.host}:${node.port}`,
        blsPublicKey: bytesToBase64(blsPublicKeyOf(hexToBytes(node.secretKey))),
        shards: node.shards,
        nodeId: node.nodeId,
        ...(identities ? { networkPublicKey: bytesToBase64(identities[index]!.networkPublicKey) } : {}),
      })),
    };
    const ledger = new DevnetLedger(committeeDraft, {
      statePath: join(options.dir, 'chain', 'state.json'),
      params: options.chainParams,
    });

    for (const [index, node] of config.nodes.entries()) {
      const secretKey = hexToBytes(node.secretKey);
      const app = createStorageNodeApp({
        name: node.name,
        nShards: config.nShards,
        shards: node.shards,
        secretKey,
        publicKey: blsPublicKeyOf(secretKey),
        store: new SliverStore(join(options.dir, 'nodes', node.name, 'blobs')),
        chain: ledger,
      });
      const identity = identities?.[index];
      const listener = await listenPreferring(app, config.host, node.port, identity);
      listeners.push(listener);
      node.port = listener.port;
      committeeDraft.nodes[index]!.url = listener.url;
    }
    const chainListener = await listenPreferring(createChainApp(ledger), config.host, config.chainPort);
    listeners.push(chainListener);
    config.chainPort = chainListener.port;

    config.suiSeed ??= randomBytes(16).toString('hex');
    const sui = new SuiState({
      committee: committeeDraft,
      storagePricePerUnit: BigInt(ledger.params.storagePricePerUnit),
      writePricePerUnit: BigInt(ledger.params.writePricePerUnit),
      clock: () => chainClock(ledger),
      seed: config.suiSeed,
      chainEvents: async (after, limit) => ledger.eventsAfter(after, limit),
      chainBlob: async (objectId) => orUndefined(() => ledger.getBlob(objectId)),
      chainAccount: async (address) => orUndefined(() => ledger.getAccount(address)),
      chainCoins: async (owner) => ledger.coinsOf(owner),
      chainCoin: async (id) => ledger.coin(id),
      chainStorage: async (id) => ledger.storage(id),
      chainStorages: async (owner) => ledger.storagesOf(owner),
      chainSharedBlob: async (id) => ledger.sharedBlob(id),
      chainEventIndex: (seq) => ledger.eventIndexInTransaction(seq),
      chainVersion: (id) => ledger.versionOf(id),
      chainPreviousTransaction: (id) => ledger.previousTransactionOf(id),
    });
    const suiListener = await listenPreferring(
      (host, port) =>
        startSuiEndpoint(
          sui,
          host,
          port,
          new SuiTransactions(sui, ledger, { path: join(options.dir, 'sui', 'transactions.log') }),
        ),
      config.host,
      config.suiPort ?? 0,
    );
    listeners.push(suiListener);
    config.suiPort = suiListener.port;
    const faucetListener = await listenPreferring(
      (host, port) => startFaucet(ledger, sui.ids, host, port),
      config.host,
      config.faucetPort ?? 0,
    );
    listeners.push(faucetListener);
    config.faucetPort = faucetListener.port;
    saveJson(join(options.dir, 'devnet.json'), config);
    const packageConfig = { systemObjectId: sui.ids.systemObjectId, stakingPoolId: sui.ids.stakingObjectId };

    const committee: Committee = { ...committeeDraft, epoch: ledger.epoch, chainUrl: chainListener.url };
    const committeePath = join(options.dir, 'committee.json');
    // suiUrl and packageConfig ride along (DESIGN §4); CommitteeSchema ignores keys it does not know.
    const writeCommittee = () =>
      saveJson(committeePath, {
        ...committee,
        epoch: ledger.epoch,
        suiUrl: suiListener.url,
        faucetUrl: faucetListener.url,
        packageConfig,
      });
    writeCommittee();
    ledger.onEvent((event) => {
      if (event.type === 'EpochChangeDone') writeCommittee();
    });
    if (ledger.params.epochDurationMs > 0) timers.push(setInterval(() => ledger.tick(), 1000));

    return {
      dir: options.dir,
      committee,
      committeePath,
      chainUrl: chainListener.url,
      suiUrl: suiListener.url,
      faucetUrl: faucetListener.url,
      packageConfig,
      ledger,
      stop: async () => {
        for (const timer of timers) clearInterval(timer);
        await Promise.all(listeners.map((l) => l.close()));
      },
    };
  } catch (error) {
    await Promise.all(listeners.map((l) => l.close()));
    throw error;
  }
}

function loadOrCreateConfig(options: DevnetOptions): DevnetConfig {
  const path = join(options.dir, 'devnet.json');
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as DevnetConfig;
    if (options.shards !== undefined && options.shards !== saved.nShards) {
      throw new Error(
        `${path} holds a devnet with ${saved.nShards} shards; use another --dir for ${options.shards}`,
      );
    }
    if (options.nodes !== undefined && options.nodes !== saved.nodes.length) {
      throw new Error(
        `${path} holds a devnet with ${saved.nodes.length} nodes; use another --dir for ${options.nodes}`,
      );
    }
    return saved;
  }
  const nShards = options.shards ?? DEFAULT_DEVNET_SHARDS;
  const nodeCount = options.nodes ?? DEFAULT_DEVNET_NODES;
  encodingParams(nShards);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > nShards) {
    throw new RangeError(`nodes must be 1..${nShards}`);
  }
  const basePort = options.basePort ?? 0;
  const config: DevnetConfig = {
    version: 1,
    nShards,
    host: options.host ?? '127.0.0.1',
    chainPort: basePort === 0 ? 0 : basePort - 1,
    tls: options.tls ?? false,
    suiPort: basePort === 0 ? 0 : basePort - 2,
    faucetPort: basePort === 0 ? 0 : basePort - 3,
    suiSeed: randomBytes(16).toString('hex'),
    nodes: Array.from({ length: nodeCount }, (_, i) => ({
      name: `node-${i}`,
      nodeId: randomObjectId(),
      secretKey: bytesToHex(generateBlsKeyPair().secretKey),
      port: basePort === 0 ? 0 : basePort + i,
      // Round robin: every node holds an even share, spread over the shard range.
      shards: Array.from({ length: nShards }, (_, s) => s).filter((s) => s % nodeCount === i),
    })),
  };
  mkdirSync(options.dir, { recursive: true });
  saveJson(path, config);
  return config;
}

/** The remembered port if it is free again, else any free port (clients re-read committee.json). */
async function listenPreferring(
  app: Parameters<typeof listen>[0] | ((host: string, port: number) => Promise<Listener>),
  host: string,
  port: number,
  tls?: { key: string; cert: string },
): Promise<Listener> {
  const options = tls ? { tls: { key: tls.key, cert: tls.cert } } : {};
  const start = typeof app === 'function' ? app : (h: string, p: number) => listen(app, h, p, options);
  try {
    return await start(host, port);
  } catch (error) {
    if (port !== 0 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') return start(host, 0);
    throw error;
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The chain's epoch and timetable as Staking states it; epochs on command are announced as days. */
function chainClock(ledger: DevnetLedger): ChainClock {
  const duration = ledger.params.epochDurationMs > 0 ? ledger.params.epochDurationMs : DAY_MS;
  return {
    epoch: ledger.epoch,
    epochStartedAtMs: ledger.epochStartedAtMs,
    firstEpochStartMs: ledger.epochStartedAtMs - (ledger.epoch - 1) * duration,
    epochDurationMs: duration,
  };
}

/** What the ledger has, or undefined where it answers that it has no such thing. */
function orUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof ChainError && error.httpStatus === 404) return undefined;
    throw error;
  }
}

function saveJson(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}
