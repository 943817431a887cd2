// Test helpers for the publisher's end-to-end tests: an edge publishing on a test devnet, the answers of
// PUT /v1/blobs checked against the official spec, and witnesses that do not ask the edge — the
// publisher's wallet as Sui holds it (balances, the owners of objects, over a SuiGrpcClient of the
// test's own) and the official SDK's WalrusClient on the devnet. Nothing here reads the edge's code:
// the edge is only started (src/main.ts) and spoken to over HTTP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient, type UploadRelayConfig } from '@mysten/walrus';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { DevnetOptions, RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { schemaProblems, type PublisherSchema } from './publisher-spec.ts';
import { postFault, startTestDevnet, tempDir } from './devnet.ts';
import { countedDuring, type CountsDelta } from './node-stats.ts';

// ── The edge under test ────────────────────────────────────────────────────────────────────────────

/**
 * An edge publishing on `devnet` from DATA_DIR `dataDir`, paid by its own faucet-funded wallet
 * (`dataDir/publisher/wallet.json`) that signs every upload itself (PUBLISHER_SUB_WALLETS=0) unless
 * `env` says otherwise. Started again on the same `dataDir` it is the same publisher (wallet, book).
 */
export function startPublishingEdge(
  devnet: RunningDevnet,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningEdge> {
  return startEdge(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      DEVNET_DIR: devnet.dir,
      PUBLISHER_SUB_WALLETS: '0',
      ...env,
    }),
  );
}

/**
 * An edge with NETWORK=testnet whose Sui is the devnet's endpoint (its nodes on loopback allowed), from
 * DATA_DIR `dataDir`: the path an operator with a real key takes (no devnet wallet; `env` names the
 * key, PUBLISHER_AUTH and the rest).
 */
export function startTestnetEdgeOnDevnet(
  devnet: RunningDevnet,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningEdge> {
  return startEdge(
    loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, NETWORK: 'testnet', ...env }),
    {
      sui: {
        url: devnet.suiUrl,
        systemObjectId: devnet.packageConfig.systemObjectId,
        stakingObjectId: devnet.packageConfig.stakingPoolId,
        urlScheme: 'http',
        allowPrivateNodeAddresses: true,
      },
    },
  );
}

export interface PublishingSetup {
  /** The test file's devnet (once its beforeAll has run). */
  readonly devnet: RunningDevnet;
  /** The edge under test, publishing on it. */
  readonly edge: RunningEdge;
  /** The edge's DATA_DIR. */
  readonly dataDir: string;
  /** Stops the edge and starts it again on the same DATA_DIR and configuration. */
  restartEdge(): Promise<void>;
}

/**
 * For a test file: a devnet of its own and an edge publishing on it (startPublishingEdge), started
 * before the file's tests and stopped, their directories removed, after them.
 */
export function publishingSetup(
  name: string,
  devnetOptions: Pick<DevnetOptions, 'nodes' | 'shards'>,
  env: Record<string, string> = {},
): PublishingSetup {
  const dir = tempDir(name);
  let devnet: RunningDevnet | undefined;
  let edge: RunningEdge | undefined;
  beforeAll(async () => {
    devnet = await startTestDevnet(devnetOptions);
    edge = await startPublishingEdge(devnet, dir.path, env);
  }, 60_000);
  afterAll(async () => {
    await edge?.stop();
    await devnet?.stop();
    dir.remove();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} runs only inside the file's tests`);
    return value;
  };
  return {
    get devnet() {
      return started(devnet, 'the devnet');
    },
    get edge() {
      return started(edge, 'the edge');
    },
    dataDir: dir.path,
    async restartEdge() {
      await started(edge, 'the edge').stop();
      edge = undefined;
      edge = await startPublishingEdge(started(devnet, 'the devnet'), dir.path, env);
    },
  };
}

/** The publisher's own wallet, as the edge keeps it in DATA_DIR/publisher/wallet.json. */
export function publisherWallet(dataDir: string): { address: string; secretKey: string } {
  return JSON.parse(readFileSync(join(dataDir, 'publisher', 'wallet.json'), 'utf8')) as {
    address: string;
    secretKey: string;
  };
}

// ── PUT through the edge, every answer held to the official spec ───────────────────────────────────

/** The official publisher's blob answer, as far as the tests read it (the spec's schema checks all). */
export interface BlobStoreJson {
  newlyCreated?: NewlyCreatedJson;
  alreadyCertified?: {
    blobId: string;
    event?: { txDigest: string; eventSeq: string };
    object?: string;
    endEpoch: number;
  };
  error?: { code: number; status: string; message: string; details: { reason: string }[] };
}
export interface NewlyCreatedJson {
  blobObject: {
    id: string;
    blobId: string;
    registeredEpoch: number;
    certifiedEpoch: number | null;
    deletable: boolean;
    size: number;
    encodingType: string;
    storage: { id: string; startEpoch: number; endEpoch: number; storageSize: number };
  };
  resourceOperation: Record<string, { encodedLength: number; epochsAhead?: number }>;
  cost: number;
  sharedBlobObject?: string;
}

export interface SpecAnswer<T> {
  status: number;
  headers: Headers;
  json: T;
  /** The AIP-193 reason of a refusal (its first detail's), if any. */
  reason: string | undefined;
}

export interface PutOptions {
  /** Sent as `Authorization: Bearer JWT`. */
  jwt?: string;
  headers?: Record<string, string>;
}

/**
 * PUT `path` on the edge and read the JSON answer, which must be one the official publisher spec
 * describes, success or not: `okSchema` for a 2xx, Status otherwise. A stream body is sent chunked.
 */
export async function putToSpec<T>(
  edge: { url: string },
  path: string,
  okSchema: PublisherSchema,
  body: BodyInit | Uint8Array,
  { jwt, headers = {} }: PutOptions = {},
): Promise<SpecAnswer<T>> {
  const response = await fetch(`${edge.url}${path}`, {
    method: 'PUT',
    body: body as BodyInit,
    headers: { ...(jwt ? { authorization: `Bearer ${jwt}` } : {}), ...headers },
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const json = (await response.json()) as T & { error?: { details?: { reason?: string }[] } };
  expect(schemaProblems(response.ok ? okSchema : 'Status', json), JSON.stringify(json)).toEqual([]);
  return {
    status: response.status,
    headers: response.headers,
    json,
    reason: json.error?.details?.[0]?.reason,
  };
}

/** PUT /v1/blobs`query` (e.g. `?epochs=2`), the answer checked against the spec. */
export function putBlob(
  edge: { url: string },
  query: string,
  body: BodyInit | Uint8Array,
  options: PutOptions = {},
): Promise<SpecAnswer<BlobStoreJson>> {
  return putToSpec<BlobStoreJson>(edge, `/v1/blobs${query}`, 'BlobStoreResult', body, options);
}

/** PUT /v1/blobs`query`, which must store the blob anew (200, newlyCreated): what was created. */
export async function putNewlyCreated(
  edge: { url: string },
  query: string,
  body: BodyInit | Uint8Array,
  options: PutOptions = {},
): Promise<NewlyCreatedJson> {
  const answer = await putBlob(edge, query, body, options);
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  expect(answer.json.newlyCreated, JSON.stringify(answer.json)).toBeDefined();
  return answer.json.newlyCreated!;
}

// ── Witnesses on the devnet that do not ask the edge ───────────────────────────────────────────────

/** A SuiGrpcClient of the test's own on the devnet's Sui endpoint. */
export function devnetSui(devnet: Pick<RunningDevnet, 'suiUrl'>): SuiGrpcClient {
  return new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
}

/** The official SDK's Walrus client on the devnet (its nodes speak plain HTTP), over its own Sui client. */
export function devnetWalrus(
  devnet: Pick<RunningDevnet, 'suiUrl' | 'packageConfig'>,
  options: { uploadRelay?: UploadRelayConfig } = {},
): WalrusClient {
  return new WalrusClient({
    packageConfig: devnet.packageConfig,
    suiClient: devnetSui(devnet),
    storageNodeUrlScheme: 'http',
    ...options,
  });
}

export interface WalletBalances {
  /** SUI (gas), in MIST. */
  sui: bigint;
  /** WAL (storage), in FROST. */
  wal: bigint;
  /** Every balance Sui lists for the address, by coin type: nothing moved if these are equal. */
  all: { coinType: string; balance: string; coinBalance: string; addressBalance: string }[];
}

/** What an address holds, by Sui's own account. */
export async function walletBalances(
  devnet: Pick<RunningDevnet, 'suiUrl'>,
  owner: string,
): Promise<WalletBalances> {
  const { balances } = await devnetSui(devnet).core.listBalances({ owner });
  const all = balances
    .map(({ coinType, balance, coinBalance, addressBalance }) => ({
      coinType,
      balance,
      coinBalance,
      addressBalance,
    }))
    .sort((a, b) => a.coinType.localeCompare(b.coinType));
  const of = (suffix: string) => BigInt(all.find((b) => b.coinType.endsWith(suffix))?.balance ?? 0);
  return { sui: of('::sui::SUI'), wal: of('::wal::WAL'), all };
}

/** How many Blob objects `owner` holds, by Sui's own account. */
export async function blobsOwnedBy(devnet: Pick<RunningDevnet, 'suiUrl'>, owner: string): Promise<number> {
  const { objects } = await devnetSui(devnet).core.listOwnedObjects({ owner });
  return objects.filter((object) => object.type.endsWith('::blob::Blob')).length;
}

/**
 * Who owns an object, by Sui's own account: the address for an address-owned object, else the kind
 * of ownership (`Shared`, `Immutable`, `ObjectOwner`, ...). Throws if Sui has no such object.
 */
export async function objectOwner(devnet: Pick<RunningDevnet, 'suiUrl'>, objectId: string): Promise<string> {
  const [object] = (await devnetSui(devnet).core.getObjects({ objectIds: [objectId] })).objects;
  if (!object || object instanceof Error) throw new Error(`Sui has no object ${objectId}`);
  return object.owner.$kind === 'AddressOwner' ? object.owner.AddressOwner : object.owner.$kind;
}

/** GET /v1/blobs/ID from an edge, with what the devnet's storage nodes counted while it was read. */
export async function readCounted(
  edge: { url: string },
  devnet: Pick<RunningDevnet, 'committee'>,
  blobId: string,
): Promise<{ status: number; bytes: Uint8Array; counted: CountsDelta }> {
  const { result, counted } = await countedDuring(devnet.committee, async () => {
    const response = await fetch(`${edge.url}/v1/blobs/${blobId}`);
    return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
  });
  return { ...result, counted };
}

/**
 * Runs `action` with the devnet's heaviest nodes down until they hold more than a third of the shards
 * (no quorum of confirmations can be had), and brings them back after it, whatever it did.
 */
export async function withoutQuorum<T>(devnet: RunningDevnet, action: () => Promise<T>): Promise<T> {
  const byWeight = [...devnet.committee.nodes].sort((a, b) => b.shards.length - a.shards.length);
  const down: typeof byWeight = [];
  for (const node of byWeight) {
    if (down.reduce((sum, n) => sum + n.shards.length, 0) > devnet.committee.nShards / 3) break;
    down.push(node);
  }
  try {
    for (const node of down) await postFault(node.url, 'down');
    return await action();
  } finally {
    for (const node of down) await postFault(node.url, 'ok');
  }
}
