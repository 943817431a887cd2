// Storage nodes over HTTPS + HTTP/2 with self-signed certificates, trusted by pinning their network
// public keys (DESIGN §2): a TLS devnet stores and serves through the undici transport; a wrong or
// missing pin is refused with a clear error; a CA-valid certificate needs no pin; restarts keep keys.
import diagnosticsChannel from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { CommitteeSchema, type Committee } from '../../src/network/committee.ts';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { StorageNodeClient, StorageNodeError } from '../../src/network/storage-node-client.ts';
import { type NodeTransport } from '../../src/network/transport/node-transport.ts';
import {
  hostPortOf,
  p256PublicKey,
  pinnedTlsConnector,
  pinsFromNodes,
  type PinLookup,
} from '../../src/network/transport/pinned-tls.ts';
import { undiciTransport } from '../../src/network/transport/undici-transport.ts';
import { SliverData } from '../../src/protocol/bcs.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { pairForShard } from '../../src/protocol/sliver-layout.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';

const dir = tempDir('tls');
let devnet: RunningDevnet;
let blobId: string;
const data = new TextEncoder().encode('pinned TLS, HTTP/2, self-signed certificates '.repeat(40));
const transports: NodeTransport[] = [];

/** ALPN protocol of every TLS connection undici makes while `run` runs. */
async function alpnDuring<T>(run: () => Promise<T>): Promise<{ result: T; protocols: (string | false)[] }> {
  const protocols: (string | false)[] = [];
  const onConnected = (message: unknown) => {
    const { connectParams, socket } = message as { connectParams: { protocol: string }; socket: TLSSocket };
    if (connectParams.protocol === 'https:') protocols.push(socket.alpnProtocol ?? false);
  };
  diagnosticsChannel.subscribe('undici:client:connected', onConnected);
  try {
    return { result: await run(), protocols };
  } finally {
    diagnosticsChannel.unsubscribe('undici:client:connected', onConnected);
  }
}

function transport(pins?: PinLookup, ca?: string): NodeTransport {
  const made = undiciTransport({ pins, connect: ca === undefined ? undefined : { ca } });
  transports.push(made);
  return made;
}

/** A pair whose primary sliver `node` holds. */
function pairOn(committee: Committee, nodeIndex: number): number {
  const node = committee.nodes[nodeIndex]!;
  return pairForShard(node.shards[0]!, parseBlobId(blobId), committee.nShards);
}

/** The certificate a node presents, straight from a TLS handshake (no verification). */
async function peerCertificate(url: string): Promise<{ fingerprint: string; alpn: string | false }> {
  const { hostname, port } = new URL(url);
  const socket = tlsConnect({
    host: hostname,
    port: Number(port),
    rejectUnauthorized: false,
    ALPNProtocols: ['h2'],
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const result = {
    fingerprint: socket.getPeerX509Certificate()!.fingerprint256,
    alpn: socket.alpnProtocol ?? false,
  };
  socket.destroy();
  return result;
}

async function expectRefused(promise: Promise<unknown>, message: RegExp): Promise<StorageNodeError> {
  const error = await promise.then(
    () => expect.fail('the request should have been refused'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StorageNodeError);
  const nodeError = error as StorageNodeError;
  expect(nodeError.status).toBe(0);
  expect(nodeError.reason).toBe('UNREACHABLE');
  expect(nodeError.message).toMatch(message);
  return nodeError;
}

beforeAll(async () => {
  devnet = await startTestDevnet({ dir: dir.path, nodes: 4, shards: 10, tls: true });
  ({ blobId } = await storeOnDevnet(devnet, data));
});

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await devnet?.stop();
  dir.remove();
});

describe('a TLS devnet', () => {
  it('serves https URLs and publishes each node’s network key in committee.json and on its chain', async () => {
    const saved = JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as {
      nodes: { url: string; networkPublicKey: string }[];
    };
    const keys = new Set<string>();
    for (const [i, node] of devnet.committee.nodes.entries()) {
      expect(node.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const key = Buffer.from(node.networkPublicKey!, 'base64');
      expect(key).toHaveLength(33);
      expect(() => p256PublicKey(key)).not.toThrow();
      // Standard base64 of the same 33 bytes in the file.
      expect(saved.nodes[i]!.networkPublicKey).toBe(node.networkPublicKey);
      keys.add(saved.nodes[i]!.networkPublicKey);
    }
    expect(keys.size).toBe(4);
    const parsed = CommitteeSchema.parse(saved);
    expect(parsed.nodes.map((n) => n.networkPublicKey)).toEqual(
      devnet.committee.nodes.map((n) => n.networkPublicKey),
    );
    expect(JSON.parse(readFileSync(join(dir.path, 'devnet.json'), 'utf8'))).toMatchObject({ tls: true });
    // The chain stand-in serves the same keys (the devnet committee source reads them there).
    const fromChain = await new DevnetChainClient(devnet.chainUrl).committee();
    expect(fromChain.nodes.map((n) => n.networkPublicKey as unknown)).toEqual(
      saved.nodes.map((n) => n.networkPublicKey),
    );
  });

  it('stores a blob (the writer pins the nodes’ keys) and serves it over HTTP/2', async () => {
    expect(blobId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const pinned = transport(pinsFromNodes(devnet.committee.nodes));
    const { result, protocols } = await alpnDuring(async () => {
      const node = devnet.committee.nodes[1]!;
      const client = new StorageNodeClient(node.url, pinned);
      const pair = pairOn(devnet.committee, 1);
      const [metadata, sliver] = await Promise.all([
        client.getMetadata(blobId),
        client.getSliver(blobId, pair, 'primary'),
      ]);
      return { metadata, sliver: SliverData.parse(sliver), pair };
    });
    expect(result.metadata.subarray(0, 32)).toEqual(parseBlobId(blobId));
    expect(result.sliver.index).toBe(result.pair);
    expect(result.sliver.symbols.data.length).toBeGreaterThan(0);
    expect(protocols.length).toBeGreaterThan(0);
    expect(protocols.every((p) => p === 'h2')).toBe(true);
  });

  it('refuses a node whose certificate does not carry the pinned key', async () => {
    const [target, other] = devnet.committee.nodes;
    // Every host:port is pinned to another node's key.
    const wrongPins: PinLookup = () => Buffer.from(other!.networkPublicKey!, 'base64');
    const client = new StorageNodeClient(target!.url, transport(wrongPins));
    const error = await expectRefused(
      client.getMetadata(blobId),
      /did not match its pinned network public key/,
    );
    expect(error.message).toContain(hostPortOf(target!.url));
  });

  it('refuses a self-signed node with no pin, through undici and through fetch', async () => {
    const url = devnet.committee.nodes[2]!.url;
    await expectRefused(
      new StorageNodeClient(
        url,
        transport(() => undefined),
      ).getMetadata(blobId),
      /not trusted .*no network public key is pinned/,
    );
    await expectRefused(
      new StorageNodeClient(url, transport()).getMetadata(blobId),
      /self-signed|certificate/i,
    );
    await expectRefused(new StorageNodeClient(url).getMetadata(blobId), /fetch failed|certificate/i);
  });

  it('checks the key again on every new connection (no TLS session resumption)', async () => {
    // A resumed session shows no certificate: reconnecting must do a full handshake and pass the check.
    const connect = pinnedTlsConnector({ pins: pinsFromNodes(devnet.committee.nodes) });
    for (const index of [0, 0, 1, 0]) {
      const url = new URL(devnet.committee.nodes[index]!.url);
      const socket = await new Promise<TLSSocket>((resolve, reject) =>
        connect({ hostname: url.hostname, host: url.host, protocol: 'https:', port: url.port }, (error, s) =>
          error ? reject(error) : resolve(s as TLSSocket),
        ),
      );
      expect(socket.isSessionReused()).toBe(false);
      expect(socket.alpnProtocol).toBe('h2');
      await new Promise((resolve) => setTimeout(resolve, 20)); // let session tickets arrive
      socket.destroy();
    }
  });

  it('accepts a CA-valid certificate whatever the pin says', async () => {
    // Trusting node 3's own certificate as a CA makes it CA-valid for 127.0.0.1.
    const node = devnet.committee.nodes[3]!;
    const ca = readFileSync(join(dir.path, 'nodes', node.name, 'tls', 'cert.pem'), 'utf8');
    const wrongKey = Buffer.from(devnet.committee.nodes[0]!.networkPublicKey!, 'base64');
    const client = new StorageNodeClient(
      node.url,
      transport(() => wrongKey, ca),
    );
    const { result, protocols } = await alpnDuring(() => client.getMetadata(blobId));
    expect(result.subarray(0, 32)).toEqual(parseBlobId(blobId));
    expect(protocols).toEqual(['h2']);
  });

  it('keeps every node’s key and certificate across a restart', async () => {
    const before = devnet.committee;
    const certificates = await Promise.all(before.nodes.map((node) => peerCertificate(node.url)));
    expect(certificates.every((c) => c.alpn === 'h2')).toBe(true);
    await devnet.stop();

    devnet = await startTestDevnet({ dir: dir.path }); // TLS comes from devnet.json
    const after = devnet.committee;
    for (const [i, node] of after.nodes.entries()) {
      expect(node.url).toMatch(/^https:/);
      expect([...node.networkPublicKey!]).toEqual([...before.nodes[i]!.networkPublicKey!]);
      expect((await peerCertificate(node.url)).fingerprint).toBe(certificates[i]!.fingerprint);
    }
    // The keys pinned before the restart still open the nodes, and the blob is still there.
    const oldKeys = new Map(
      before.nodes.map((node) => [node.name, Buffer.from(node.networkPublicKey!, 'base64')]),
    );
    const pins = new Map(after.nodes.map((node) => [hostPortOf(node.url), oldKeys.get(node.name)!]));
    const client = new StorageNodeClient(
      after.nodes[0]!.url,
      transport((hostPort) => pins.get(hostPort)),
    );
    expect((await client.getMetadata(blobId)).subarray(0, 32)).toEqual(parseBlobId(blobId));
  });
});
