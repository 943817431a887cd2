// The SSRF guard: on Sui the storage nodes' addresses are other people's on-chain data, so a node whose
// host is or resolves to a non-public address is not contacted unless the operator allows it. The
// witness is the local server itself: a refused request never reaches it (its own counter stays 0).
// Then the whole edge in Sui mode over the devnet's Sui stand-in, whose nodes live on 127.0.0.1:
// refused without the allowance (the nodes count no request), served with it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { createSuiStandIn } from '../../src/devnet/sui-standin.ts';
import { startEdge, type EdgeOverrides, type RunningEdge } from '../../src/main.ts';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { StorageNodeClient, StorageNodeError } from '../../src/network/storage-node-client.ts';
import {
  NodeAddressRefusedError,
  addressGuardedTransport,
  nonPublicReason,
  publicOnlyLookup,
} from '../../src/network/transport/address-guard.ts';
import { TransportError, fetchTransport } from '../../src/network/transport/node-transport.ts';
import { undiciTransport } from '../../src/network/transport/undici-transport.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { nodeReadsDuring } from '../support/witnesses.ts';

describe('which addresses are public', () => {
  it('refuses loopback, private, link-local, unspecified and other special ranges, v4 and v6', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified ("this network")'],
      ['100.64.0.1', 'shared (carrier-grade NAT)'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fc00::1', 'private (unique local)'],
      ['fd12:3456::1', 'private (unique local)'],
      ['fe80::1', 'link-local'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:10.0.0.1', 'private'],
      ['64:ff9b::a9fe:a9fe', 'link-local'], // NAT64 of 169.254.169.254
      // Public: neighbours of the ranges above, and well-known public addresses.
      ['172.15.255.255', undefined],
      ['172.32.0.0', undefined],
      ['11.0.0.1', undefined],
      ['8.8.8.8', undefined],
      ['1.1.1.1', undefined],
      ['2606:4700:4700::1111', undefined],
      ['64:ff9b::808:808', undefined], // NAT64 of 8.8.8.8
      ['fbff::1', undefined],
    ];
    expect(cases.map(([address]) => [address, nonPublicReason(address)])).toEqual(cases);
    expect(nonPublicReason('localhost')).toBe('not an IP address');
  });
});

describe('the address guard on a node transport', () => {
  let server: Server;
  let port: number;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests += 1;
      response.end('{}');
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  const get = (url: string) => ({ method: 'GET' as const, url, timeoutMs: 2_000 });

  it('does not contact 127.0.0.1, or a name resolving to it, and says why and how to allow it', async () => {
    const guarded = addressGuardedTransport(undiciTransport());
    try {
      const literal = await guarded
        .request(get(`http://127.0.0.1:${port}/v1/health`))
        .catch((e: unknown) => e);
      expect(literal).toBeInstanceOf(NodeAddressRefusedError);
      expect(literal).toBeInstanceOf(TransportError); // so readers count the node as failed
      expect((literal as TransportError).kind).toBe('unreachable');
      expect((literal as Error).message).toBe(
        `GET http://127.0.0.1:${port}/v1/health: not contacted: 127.0.0.1 is a non-public address ` +
          `(loopback); storage node addresses come from the chain, set ` +
          `ALLOW_PRIVATE_NODE_ADDRESSES=true to allow such nodes`,
      );
      // The system resolver's answer for "localhost" (127.0.0.1 and/or ::1): refused either way.
      const named = await guarded.request(get(`http://localhost:${port}/v1/health`)).catch((e: unknown) => e);
      expect(named).toBeInstanceOf(NodeAddressRefusedError);
      expect((named as Error).message).toMatch(
        /localhost resolves to (127\.0\.0\.1|::1), a non-public address/,
      );
      const v6 = await guarded.request(get(`http://[::1]:${port}/`)).catch((e: unknown) => e);
      expect(v6).toBeInstanceOf(NodeAddressRefusedError);
      expect(requests).toBe(0);
    } finally {
      await guarded.close();
    }
    // Unguarded, the same server answers: the refusal above was the guard's.
    const plain = fetchTransport();
    expect((await plain.request(get(`http://127.0.0.1:${port}/v1/health`))).status).toBe(200);
    expect(requests).toBe(1);
  });

  it('checks again when connecting: a name that resolves to loopback then fails the connection', async () => {
    // Without the transport guard in front: this is the connection's own lookup (DNS rebinding).
    // Plain, and through the pinned-TLS connector the edge uses (pins: the nodes' network keys).
    const plain = undiciTransport({ connect: { lookup: publicOnlyLookup } });
    const pinned = undiciTransport({ pins: () => undefined, connect: { lookup: publicOnlyLookup } });
    const before = requests;
    try {
      for (const connecting of [plain, pinned]) {
        const error = await connecting.request(get(`http://localhost:${port}/`)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TransportError);
        expect((error as Error).message).toMatch(
          /not connecting to localhost: it resolves to (127\.0\.0\.1|::1), a non-public address \(loopback\)/,
        );
      }
      expect(requests).toBe(before);
    } finally {
      await plain.close();
      await pinned.close();
    }
  });

  it('refuses a name with any non-public address, and fails a name that does not resolve', async () => {
    const lookups: string[] = [];
    const refusals: string[] = [];
    const guarded = addressGuardedTransport(fetchTransport(), {
      onRefused: (refusal) => refusals.push(`${refusal.host} ${refusal.address} ${refusal.reason}`),
      lookup: async (host) => {
        lookups.push(host);
        if (host === 'mixed.test') return ['8.8.8.8', '10.0.0.7'];
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      },
    });
    const mixed = await guarded.request(get('https://mixed.test:9185/v1/health')).catch((e: unknown) => e);
    expect((mixed as Error).message).toMatch(
      /mixed\.test resolves to 10\.0\.0\.7, a non-public address \(private\)/,
    );
    const again = await guarded.request(get('https://mixed.test:9185/v1/health')).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(NodeAddressRefusedError);
    expect(lookups).toEqual(['mixed.test']); // the verdict is cached
    expect(refusals).toEqual(['mixed.test 10.0.0.7 private']); // told once, for the operator's log

    const missing = await guarded.request(get('https://nowhere.invalid/')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TransportError);
    expect(missing).not.toBeInstanceOf(NodeAddressRefusedError);
    expect((missing as Error).message).toMatch(/cannot resolve nowhere\.invalid: getaddrinfo ENOTFOUND/);
  });

  it('reaches a storage node client as a failed node (StorageNodeError), not a crash', async () => {
    const client = new StorageNodeClient(
      `http://127.0.0.1:${port}`,
      addressGuardedTransport(fetchTransport()),
    );
    const before = requests;
    const error = await client
      .getBlobStatus('M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageNodeError);
    expect((error as Error).message).toMatch(/not contacted/);
    expect(requests).toBe(before);
  });
});

describe('the edge on Sui with storage nodes on loopback', () => {
  let devnet: RunningDevnet;
  let blobId: string;
  const edges: RunningEdge[] = [];
  const dirs: ReturnType<typeof tempDir>[] = [];
  let standIn: ReturnType<typeof createSuiStandIn>;

  beforeAll(async () => {
    devnet = await startTestDevnet({ nodes: 11, shards: 100 });
    const chain = new DevnetChainClient(devnet.chainUrl);
    standIn = createSuiStandIn(devnet.committee, {
      chainEvents: async (after, limit) => (await chain.events(after, limit)).events,
      chainBlob: (objectId) => chain.blob(objectId).catch(() => undefined),
    });
    blobId = (await storeOnDevnet(devnet, new TextEncoder().encode('a blob on loopback nodes'))).blobId;
  });
  afterAll(async () => {
    for (const edge of edges) await edge.stop();
    await devnet?.stop();
    for (const dir of dirs) dir.remove();
  });

  const edgeOnSui = async (env: Record<string, string>, sui: Partial<EdgeOverrides['sui'] & {}> = {}) => {
    const dir = tempDir('ssrf');
    dirs.push(dir);
    const edge = await startEdge(
      loadConfig({ PORT: '0', DATA_DIR: dir.path, NETWORK: 'testnet', LOG_LEVEL: 'silent', ...env }),
      {
        sui: {
          client: standIn.client,
          systemObjectId: standIn.systemObjectId,
          stakingObjectId: standIn.stakingPoolId,
          urlScheme: 'http',
          ...sui,
        },
      },
    );
    edges.push(edge);
    return edge;
  };
  const read = async (edge: RunningEdge) => {
    const response = await fetch(`${edge.url}/v1/blobs/${blobId}`);
    return { status: response.status, body: await response.text() };
  };

  it('refuses the nodes without the allowance: the nodes count no request', async () => {
    const edge = await edgeOnSui({}, { allowPrivateNodeAddresses: false });
    // The committee itself is read (from Sui), and names the loopback nodes.
    const status = (await (await fetch(`${edge.url}/status`)).json()) as { storageNodes: number };
    expect(status.storageNodes).toBe(11);
    const { result, reads } = await nodeReadsDuring(devnet, () => read(edge));
    expect(result.status).toBe(503);
    expect(reads).toEqual({ metadata: 0, sliver: 0 });
  });

  it('reads from them with ALLOW_PRIVATE_NODE_ADDRESSES=true', async () => {
    const edge = await edgeOnSui(
      { ALLOW_PRIVATE_NODE_ADDRESSES: 'true' },
      { allowPrivateNodeAddresses: false },
    );
    const { result, reads } = await nodeReadsDuring(devnet, () => read(edge));
    expect(result).toEqual({ status: 200, body: 'a blob on loopback nodes' });
    expect(reads.metadata).toBeGreaterThan(0);
  });

  it('reads from them through an in-process stand-in, which allows loopback by default', async () => {
    const edge = await edgeOnSui({});
    expect((await read(edge)).status).toBe(200);
  });

  it('takes only true or false for ALLOW_PRIVATE_NODE_ADDRESSES', () => {
    expect(loadConfig({}).ALLOW_PRIVATE_NODE_ADDRESSES).toBe(false);
    expect(loadConfig({ ALLOW_PRIVATE_NODE_ADDRESSES: 'true' }).ALLOW_PRIVATE_NODE_ADDRESSES).toBe(true);
    expect(() => loadConfig({ ALLOW_PRIVATE_NODE_ADDRESSES: 'yes' })).toThrow(/ALLOW_PRIVATE_NODE_ADDRESSES/);
  });
});
