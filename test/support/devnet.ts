// Test helpers: a devnet in a temporary directory, and a plain systematic read straight from its nodes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevnet, type DevnetOptions, type RunningDevnet } from '../../src/devnet/devnet.ts';
import { SliverData } from '../../src/protocol/bcs.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { encodingParams } from '../../src/protocol/encoding.ts';
import { parseMetadata } from '../../src/protocol/metadata.ts';
import { nodeIndexByShard, type Committee } from '../../src/network/committee.ts';
import { DevnetChainClient, type ChainBlobObject } from '../../src/network/devnet-chain-client.ts';
import { StorageNodeClient } from '../../src/network/storage-node-client.ts';
import type { NodeTransport } from '../../src/network/transport/node-transport.ts';
import { pinsFromNodes } from '../../src/network/transport/pinned-tls.ts';
import { undiciTransport } from '../../src/network/transport/undici-transport.ts';
import { shardForPair } from '../../src/protocol/sliver-layout.ts';
import { storeBlob, type BlobRegistrar } from '../../src/publish/blob-writer.ts';

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `walrus-edge-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function startTestDevnet(
  options: Omit<DevnetOptions, 'dir'> & { dir?: string },
): Promise<RunningDevnet> {
  return startDevnet({ dir: options.dir ?? tempDir('devnet').path, basePort: 0, ...options });
}

export async function fundedAccount(
  devnet: RunningDevnet,
): Promise<{ chain: DevnetChainClient; sender: string }> {
  const chain = new DevnetChainClient(devnet.chainUrl);
  const account = await chain.fundAccount();
  return { chain, sender: account.address };
}

/** A transport that trusts the devnet's nodes: pinned to their network keys (TLS devnets), or fetch. */
export function devnetTransport(committee: Committee): NodeTransport | undefined {
  if (!committee.nodes.some((node) => node.url.startsWith('https:'))) return undefined;
  return undiciTransport({ pins: pinsFromNodes(committee.nodes) });
}

/**
 * The devnet chain's own HTTP API as a blob registrar, for tests that store blobs quickly without Sui
 * transactions (the devnet does not check signatures there). The product registers through Sui.
 */
export function devnetChainRegistrar(
  chain: DevnetChainClient,
  sender: string,
): BlobRegistrar<ChainBlobObject> {
  return {
    async register({ blobId, rootHash, size, epochs, deletable }) {
      const blob = await chain.registerBlob({ sender, rootHash, size, epochs, deletable });
      if (blob.blobId !== blobId) throw new Error(`chain derived blob ID ${blob.blobId}, encoder ${blobId}`);
      return { objectId: blob.id, record: blob };
    },
    certify: ({ objectId, certificate }) => chain.certifyBlob(objectId, certificate),
  };
}

export async function storeOnDevnet(
  devnet: RunningDevnet,
  data: Uint8Array,
  options: { epochs?: number; deletable?: boolean; transport?: NodeTransport } = {},
) {
  const { chain, sender } = await fundedAccount(devnet);
  const ownTransport = options.transport ? undefined : devnetTransport(devnet.committee);
  try {
    const result = await storeBlob({
      data,
      committee: devnet.committee,
      chain: devnetChainRegistrar(chain, sender),
      epochs: options.epochs ?? 2,
      deletable: options.deletable,
      transport: options.transport ?? ownTransport,
    });
    return { ...result, chain, sender };
  } finally {
    await ownTransport?.close();
  }
}

/** Reads a blob the simple way: metadata from one node, then primary slivers 0..P-1 from their owners. */
export async function readSystematic(committee: Committee, blobId: string): Promise<Uint8Array> {
  const n = committee.nShards;
  const idBytes = parseBlobId(blobId);
  const owners = nodeIndexByShard(committee);
  const metadata = parseMetadata(
    (await new StorageNodeClient(committee.nodes[0]!.url).getMetadata(blobId)).subarray(32),
  );
  const { primarySymbols } = encodingParams(n);
  const rows = await Promise.all(
    Array.from({ length: primarySymbols }, async (_, pair) => {
      const node = committee.nodes[owners[shardForPair(pair, idBytes, n)]!]!;
      return SliverData.parse(await new StorageNodeClient(node.url).getSliver(blobId, pair, 'primary'))
        .symbols.data;
    }),
  );
  const out = new Uint8Array(metadata.unencodedLength);
  let offset = 0;
  for (const row of rows) {
    if (offset >= out.length) break;
    const take = Math.min(row.length, out.length - offset);
    out.set(row.subarray(0, take), offset);
    offset += take;
  }
  return out;
}

export async function postFault(url: string, mode: string, delayMs?: number): Promise<Response> {
  return fetch(`${url}/_devnet/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode, ...(delayMs === undefined ? {} : { delayMs }) }),
  });
}

/** Requests the devnet's nodes have counted for a route (`sliver`, `metadata`, ...) since start or reset. */
export async function nodeRequests(devnet: { committee: Committee }, route: string): Promise<number> {
  const counts = await Promise.all(
    devnet.committee.nodes.map(async (node) => {
      const stats = (await (await fetch(`${node.url}/_devnet/stats`)).json()) as {
        requests: Record<string, number>;
      };
      return stats.requests[route] ?? 0;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}
