// The edge's upload relay as the stock @mysten/walrus SDK uses it (`uploadRelay: { host, sendTip }`):
// the SDK registers (and tips) on the devnet's Sui, our relay checks the tip on Sui, sends the slivers
// and answers the certificate, the SDK certifies. Witnesses: the Blob object as the SDK reads it from
// Sui, the SDK reading the bytes back from the nodes, the nodes' own store counters (equal to what
// went through the relay's transport, so the SDK sent none), the tip address's balance on Sui.
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { WalrusClient } from '@mysten/walrus';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineCodec } from '../../src/codec/codec.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { listen, type Listener } from '../../src/devnet/http-listener.ts';
import { Registry } from 'prom-client';
import { uploadRelayRoutes } from '../../src/http/routes/upload-relay-routes.ts';
import { readSuiCommittee } from '../../src/network/committees/sui-committee.ts';
import { fetchTransport, type NodeTransport } from '../../src/network/transport/node-transport.ts';
import { bytesToBase64Url, base64ToBytes } from '../../src/protocol/base64.ts';
import { parseRelayTip, tipConfigJson, type RelayTip } from '../../src/publish/relay/relay-tip.ts';
import {
  relayBlob,
  type UploadRelayDeps,
  type UploadRelayEvent,
} from '../../src/publish/relay/upload-relay.ts';
import { uploadRelayMetrics } from '../../src/publish/relay/upload-relay-metrics.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { aip193Problems } from './http-helpers.ts';
import { nodeRequests, postFault, startTestDevnet } from '../support/devnet.ts';

const SHARDS = 100;
const NODES = 11; // ≥ 11: the SDK's metadata fallback crashes with 10 or fewer (DESIGN §7)
const TIP_MIST = 1_000n;
const MAX_BODY = 512 * 1024;
const SUI = '0x2::sui::SUI';

let devnet: RunningDevnet;
let sui: SuiGrpcClient;
const tipAddress = new Ed25519Keypair().toSuiAddress();
const servers: Listener[] = [];
const events: UploadRelayEvent[] = [];
const registry = new Registry();
const metrics = uploadRelayMetrics(registry);

/** Counts the sliver PUTs that went out through one relay's transport. */
function countingTransport(): NodeTransport & { sliverPuts: number } {
  const inner = fetchTransport();
  const transport = {
    sliverPuts: 0,
    request: (request: Parameters<NodeTransport['request']>[0]) => {
      if (request.method === 'PUT' && request.url.includes('/slivers/')) transport.sliverPuts++;
      return inner.request(request);
    },
    close: () => inner.close(),
  };
  return transport;
}

async function startRelay(tip: RelayTip, options: { tipMaxAgeMs?: number; maxConcurrent?: number } = {}) {
  const transport = countingTransport();
  const app = new Hono();
  const { maxConcurrent, ...relayOptions } = options;
  const relay: UploadRelayDeps = {
    committee: async (signal) =>
      (
        await readSuiCommittee(
          {
            client: sui,
            systemObjectId: devnet.packageConfig.systemObjectId,
            stakingObjectId: devnet.packageConfig.stakingPoolId,
            urlScheme: 'http',
          },
          signal,
        )
      ).committee,
    codec: inlineCodec(),
    transport,
    sui,
    tip,
    // Every node's part is awaited (they finish long before this), so the store counts are exact.
    distribution: { graceMs: 30_000 },
    ...relayOptions,
  };
  uploadRelayRoutes(app, {
    tip,
    relay: (request) => relayBlob(relay, request),
    maxBodyBytes: MAX_BODY,
    maxConcurrent,
    onRelay: (event) => {
      events.push(event);
      metrics(event);
    },
  });
  const listener = await listen(app, '127.0.0.1', 0);
  servers.push(listener);
  return { url: listener.url, transport };
}

async function fundedSigner() {
  const signer = new Ed25519Keypair();
  const answer = await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: signer.toSuiAddress() });
  expect(answer.status).toBe('Success');
  return signer;
}

const walrus = (uploadRelay?: ConstructorParameters<typeof WalrusClient>[0]['uploadRelay']) =>
  new WalrusClient({
    packageConfig: devnet.packageConfig,
    suiClient: new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }),
    storageNodeUrlScheme: 'http',
    ...(uploadRelay ? { uploadRelay } : {}),
  });

const stored = async () => ({
  slivers: await nodeRequests(devnet, 'store-sliver'),
  metadata: await nodeRequests(devnet, 'store-metadata'),
});
/** The status and reason of an error answer, which must be AIP-193 JSON. */
async function refusal(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { details: { reason: string }[] } };
  expect(aip193Problems(body, response.status)).toEqual([]);
  return [response.status, body.error.details[0]!.reason];
}
const suiBalance = async (owner: string) =>
  BigInt((await sui.core.getBalance({ owner, coinType: SUI })).balance.balance);

let free: Awaited<ReturnType<typeof startRelay>>;
let tipped: Awaited<ReturnType<typeof startRelay>>;
/** Same tip, but every tip transaction counts as too old, and one request at a time. */
let strict: Awaited<ReturnType<typeof startRelay>>;
const linearTipAddress = new Ed25519Keypair().toSuiAddress();
let linear: Awaited<ReturnType<typeof startRelay>>;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: NODES, shards: SHARDS });
  sui = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
  free = await startRelay(parseRelayTip('none', undefined));
  tipped = await startRelay(parseRelayTip(`const:${TIP_MIST}`, tipAddress));
  strict = await startRelay(parseRelayTip(`const:${TIP_MIST}`, tipAddress), {
    tipMaxAgeMs: 1,
    maxConcurrent: 1,
  });
  linear = await startRelay(parseRelayTip('linear:100:3', linearTipAddress));
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await devnet?.stop();
});

describe('upload relay with the stock SDK', () => {
  it('answers the official tip configurations', async () => {
    expect(await (await fetch(`${free.url}/v1/tip-config`)).json()).toBe('no_tip');
    expect(await (await fetch(`${tipped.url}/v1/tip-config`)).json()).toEqual({
      send_tip: { address: tipAddress, kind: { const: Number(TIP_MIST) } },
    });
    expect(tipConfigJson(parseRelayTip('linear:10:2', tipAddress))).toEqual({
      send_tip: { address: tipAddress, kind: { linear: { base: 10, encoded_size_mul_per_kib: 2 } } },
    });
  });

  it('writeBlob through the relay without a tip: certified, readable, every sliver sent by the relay', async () => {
    const data = randomBytes(40_000, 2101);
    const signer = await fundedSigner();
    const before = await stored();
    const sent = free.transport.sliverPuts;
    const { blobId, blobObject } = await walrus({ host: free.url }).writeBlob({
      blob: data,
      deletable: false,
      epochs: 2,
      signer,
    });

    const plain = walrus();
    const onChain = await plain.getBlobObject(blobObject.id);
    expect(onChain.certified_epoch).not.toBeNull();
    expect(onChain.deletable).toBe(false);
    expect(await plain.readBlob({ blobId })).toEqual(data);
    // Every pair's two slivers reached the nodes, all of them through the relay's transport.
    const after = await stored();
    expect(after.slivers - before.slivers).toBe(2 * SHARDS);
    expect(free.transport.sliverPuts - sent).toBe(2 * SHARDS);
    expect(after.metadata - before.metadata).toBe(NODES);
    expect(events.at(-1)).toMatchObject({ outcome: 'ok', bytes: data.length });
  });

  it('writeBlob through the relay with a constant tip read from tip-config: the tip address is paid', async () => {
    const data = randomBytes(25_000, 2102);
    const signer = await fundedSigner();
    const tipBefore = await suiBalance(tipAddress);
    const sent = tipped.transport.sliverPuts;
    const { blobId, blobObject } = await walrus({ host: tipped.url, sendTip: { max: 10_000 } }).writeBlob({
      blob: data,
      deletable: true,
      epochs: 1,
      signer,
    });
    const plain = walrus();
    const onChain = await plain.getBlobObject(blobObject.id);
    expect(onChain.certified_epoch).not.toBeNull();
    expect(onChain.deletable).toBe(true);
    expect(await plain.readBlob({ blobId })).toEqual(data);
    expect(tipped.transport.sliverPuts - sent).toBe(2 * SHARDS);
    expect((await suiBalance(tipAddress)) - tipBefore).toBe(TIP_MIST);
  });

  it('writeBlob with a linear tip: the SDK pays what it computes for the encoded size, and the relay agrees', async () => {
    const data = randomBytes(60_000, 2105);
    const signer = await fundedSigner();
    const client = walrus({ host: linear.url, sendTip: { max: 1_000_000_000 } });
    const expected = await client.calculateUploadRelayTip({ size: data.length });
    expect(expected).toBeGreaterThan(100n);
    const { blobObject } = await client.writeBlob({ blob: data, deletable: false, epochs: 1, signer });
    expect((await walrus().getBlobObject(blobObject.id)).certified_epoch).not.toBeNull();
    expect(await suiBalance(linearTipAddress)).toBe(expected);
  });

  it('answers 429 with Retry-After beyond its concurrency cap', async () => {
    let release!: () => void;
    const held = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start(controller) {
        controller.enqueue(randomBytes(1000, 5) as Uint8Array<ArrayBuffer>);
        release = () => controller.close();
      },
    });
    const first = fetch(`${strict.url}/v1/blob-upload-relay?blob_id=${'A'.repeat(43)}`, {
      method: 'POST',
      body: held,
      duplex: 'half',
    } as RequestInit);
    // Until the held request has reached the handler, others pass (and are answered on their own).
    let second: Response;
    const deadline = Date.now() + 10_000;
    do {
      second = await fetch(`${strict.url}/v1/blob-upload-relay?blob_id=${'A'.repeat(43)}`, {
        method: 'POST',
        body: randomBytes(10, 6) as Uint8Array<ArrayBuffer>,
      });
    } while (second.status !== 429 && Date.now() < deadline);
    expect(await refusal(second)).toEqual([429, 'TOO_MANY_UPLOADS']);
    expect(second.headers.get('retry-after')).toBe('2');
    release();
    // The first one, once its body ended, goes on to its own answer (no tip transaction named).
    expect((await first).status).toBe(400);
  });

  it('refuses a short tip, a wrong nonce and a missing transaction, sending nothing to the nodes', async () => {
    const data = randomBytes(10_000, 2103);
    const signer = await fundedSigner();
    const before = await stored();

    // The SDK told to tip 1 MIST (its own config, not ours): the relay answers 402.
    const stingy = walrus({ host: tipped.url, sendTip: { address: tipAddress, kind: { const: 1 } } });
    const flow = stingy.writeBlobFlow({ blob: data });
    await flow.encode();
    const registered = await flow.executeRegister({
      signer,
      epochs: 1,
      deletable: false,
      owner: signer.toSuiAddress(),
    });
    await expect(flow.upload({ digest: registered.txDigest })).rejects.toMatchObject({ status: 402 });

    // A properly tipped registration, but the upload reveals another nonce: 401.
    const honest = walrus({ host: tipped.url, sendTip: { max: 10_000 } }).writeBlobFlow({ blob: data });
    const encoded = await honest.encode();
    const paid = await honest.executeRegister({
      signer,
      epochs: 1,
      deletable: false,
      owner: signer.toSuiAddress(),
    });
    const relay = (query: Record<string, string>, body: Uint8Array = data) =>
      fetch(
        `${tipped.url}/v1/blob-upload-relay?${new URLSearchParams({ blob_id: encoded.blobId, ...query })}`,
        {
          method: 'POST',
          body: body as Uint8Array<ArrayBuffer>,
        },
      );
    const nonce = bytesToBase64Url(base64ToBytes(paid.nonce!));
    const wrongNonce = await relay({ tx_id: paid.txDigest, nonce: bytesToBase64Url(randomBytes(32, 7)) });
    expect(await refusal(wrongNonce)).toEqual([401, 'INVALID_NONCE_HASH']);
    // The right nonce with other bytes of the same length: the payload binds the blob's digest.
    const otherBytes = await relay({ tx_id: paid.txDigest, nonce }, randomBytes(data.length, 99));
    expect(await refusal(otherBytes)).toEqual([401, 'BLOB_DIGEST_MISMATCH']);
    // No transaction at all.
    const untipped = await relay({});
    expect(await refusal(untipped)).toEqual([400, 'MISSING_TX_ID_OR_NONCE']);
    // A transaction Sui does not know.
    const unknown = await relay({ tx_id: '11111111111111111111111111111111', nonce });
    expect(await refusal(unknown)).toEqual([400, 'TIP_TRANSACTION_NOT_FOUND']);

    // The paid transaction at a relay that finds it too old.
    const stale = await fetch(
      `${strict.url}/v1/blob-upload-relay?${new URLSearchParams({ blob_id: encoded.blobId, tx_id: paid.txDigest, nonce })}`,
      { method: 'POST', body: data as Uint8Array<ArrayBuffer> },
    );
    expect(await refusal(stale)).toEqual([400, 'TIP_TRANSACTION_TOO_OLD']);

    expect(await stored()).toEqual(before);
    const counted = await registry.getSingleMetricAsString('walrus_edge_upload_relay_requests_total');
    for (const reason of [
      'INSUFFICIENT_TIP',
      'INVALID_NONCE_HASH',
      'BLOB_DIGEST_MISMATCH',
      'TIP_TRANSACTION_TOO_OLD',
    ]) {
      expect(counted).toContain(`outcome="${reason}"} 1`);
    }
    // And the honest upload of that registration still goes through.
    await honest.upload({ digest: paid.txDigest });
    expect((await stored()).slivers - before.slivers).toBe(2 * SHARDS);
  });

  it('refuses bad requests with AIP-193 errors: bad blob_id, another blob, a body over the limit', async () => {
    const before = await stored();
    const post = (query: string, body: Uint8Array) =>
      fetch(`${free.url}/v1/blob-upload-relay?${query}`, {
        method: 'POST',
        body: body as Uint8Array<ArrayBuffer>,
      });

    const bad = await post('blob_id=nope', randomBytes(10, 1));
    expect(await refusal(bad)).toEqual([400, 'INVALID_BLOB_ID']);
    const other = await post(`blob_id=${'A'.repeat(43)}`, randomBytes(100, 2));
    expect(await refusal(other)).toEqual([400, 'BLOB_ID_MISMATCH']);
    const big = await post(`blob_id=${'A'.repeat(43)}`, randomBytes(MAX_BODY + 1, 3));
    expect(await refusal(big)).toEqual([413, 'BODY_TOO_LARGE']);
    // Chunked (no Content-Length): cut off once past the limit.
    const chunks = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start(controller) {
        for (let i = 0; i < 9; i++)
          controller.enqueue(randomBytes(64 * 1024, 10 + i) as Uint8Array<ArrayBuffer>);
        controller.close();
      },
    });
    const streamed = await fetch(`${free.url}/v1/blob-upload-relay?blob_id=${'A'.repeat(43)}`, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(await refusal(streamed)).toEqual([413, 'BODY_TOO_LARGE']);
    expect(await stored()).toEqual(before);
  });

  it('answers 504 INSUFFICIENT_CONFIRMATIONS when too many nodes are down', async () => {
    const data = randomBytes(5_000, 2104);
    const { blobId } = await walrus().computeBlobMetadata({ bytes: data });
    const down = devnet.committee.nodes.slice(0, 5);
    try {
      for (const node of down) expect((await postFault(node.url, 'down')).ok).toBe(true);
      const response = await fetch(`${free.url}/v1/blob-upload-relay?blob_id=${blobId}`, {
        method: 'POST',
        body: data as Uint8Array<ArrayBuffer>,
      });
      expect(await refusal(response)).toEqual([504, 'INSUFFICIENT_CONFIRMATIONS']);
    } finally {
      for (const node of down) await postFault(node.url, 'ok');
    }
  });
});
