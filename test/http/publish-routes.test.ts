// The official publisher API through a running edge (startEdge on a test devnet): PUT /v1/blobs as
// clients of the official publisher call it. Witnesses never take the edge's word: the official SDK
// reads the bytes and the Blob objects over the devnet's Sui endpoint, SuiGrpcClient reads owners and
// balances, the storage nodes' own counters say what they were asked. Every answer is validated
// against the official spec's schemas (test/support/publisher-spec.ts says how the file maps to the service).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { describe, expect, it } from 'vitest';
import { computeBlobId } from '../../src/codec/blob-id-of.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault } from '../support/devnet.ts';
import { countedDuring } from '../support/node-stats.ts';
import {
  devnetSui,
  devnetWalrus,
  objectOwner,
  publisherWallet,
  publishingSetup,
  putBlob,
  putNewlyCreated,
  readCounted,
  walletBalances,
  withoutQuorum,
  type BlobStoreJson,
  type SpecAnswer,
} from '../support/publishing.ts';
import { waitFor } from './http-helpers.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli.ts');
const N_SHARDS = 100;
const MAX_BLOB_BYTES = 256 * 1024;

/** The edge under test; restarted on the same DATA_DIR, it is the same publisher (wallet, book). */
const setup = publishingSetup(
  'publish-edge',
  { nodes: 11, shards: N_SHARDS },
  {
    PUBLISH_MAX_BLOB_BYTES: String(MAX_BLOB_BYTES),
    PUBLISH_UPLOAD_DEADLINE_MS: '20000',
    // One upload at a time and one waiting: the third at once is refused (the last test).
    PUBLISH_MAX_CONCURRENT: '1',
    PUBLISH_MAX_QUEUED: '1',
    // Long enough that a remembered 404 would still be served when the blob is published.
    NEGATIVE_CACHE_TTL_MS: '60000',
  },
);
const walrus = () => devnetWalrus(setup.devnet);
const put = (query: string, body: BodyInit | Uint8Array) => putBlob(setup.edge, query, body);
const created = (query: string, data: Uint8Array) => putNewlyCreated(setup.edge, query, data);
type Answer = SpecAnswer<BlobStoreJson>;

function refusal(answer: Answer, status: number, reason?: string) {
  expect(answer.status, JSON.stringify(answer.json)).toBe(status);
  expect(answer.json.error?.code).toBe(status);
  if (reason) expect(answer.json.error?.details[0]?.reason).toBe(reason);
}

/** The edge's wallet (PUBLISHER_SUB_WALLETS=0: it signs every upload itself). */
const walletAddress = () => publisherWallet(setup.dataDir).address;

/** What the wallet holds, by Sui's own account: SUI (gas) and WAL (storage). */
const funds = () => walletBalances(setup.devnet, walletAddress());

const ownerOf = (objectId: string) => objectOwner(setup.devnet, objectId);

describe('PUT /v1/blobs stores blobs the official SDK reads', () => {
  it('deletable by default: the SDK reads the bytes and finds the Blob object, ours, for the epochs asked', async () => {
    const data = randomBytes(40_000, 1101);
    const before = await funds();
    const answer = await created('?epochs=2', data);
    const object = answer.blobObject;
    expect(object).toMatchObject({ size: data.length, encodingType: 'RS2', deletable: true });
    expect(object.blobId).toBe(computeBlobId(data, N_SHARDS));
    expect(answer.resourceOperation.registerFromScratch?.epochsAhead).toBe(2);

    const sdk = walrus();
    expect(await sdk.readBlob({ blobId: object.blobId })).toEqual(data);
    const blob = await sdk.getBlobObject(object.id);
    expect(blob.deletable).toBe(true);
    expect(blob.certified_epoch).not.toBeNull();
    expect(blob.storage.end_epoch - blob.registered_epoch).toBe(2);
    expect(blob.storage.end_epoch).toBe(object.storage.endEpoch);
    expect(await ownerOf(object.id)).toBe(walletAddress());
    // The cost it reports is the WAL the wallet paid, and what the SDK says storing it costs.
    const cost = await sdk.storageCost(data.length, 2);
    expect(BigInt(answer.cost)).toBe(cost.totalCost);
    expect(before.wal - (await funds()).wal).toBe(cost.totalCost);
  });

  it('permanent=true stores a permanent blob', async () => {
    const data = randomBytes(10_000, 1102);
    const answer = await created('?permanent=true', data);
    expect(answer.blobObject.deletable).toBe(false);
    const blob = await walrus().getBlobObject(answer.blobObject.id);
    expect(blob.deletable).toBe(false);
    expect(blob.storage.end_epoch - blob.registered_epoch).toBe(1);
  });

  it('send_object_to: the certified Blob object belongs to that address', async () => {
    const recipient = new Ed25519Keypair().toSuiAddress();
    const data = randomBytes(8_000, 1103);
    const answer = await created(`?send_object_to=${recipient}`, data);
    expect(await ownerOf(answer.blobObject.id)).toBe(recipient);
    expect((await walrus().getBlobObject(answer.blobObject.id)).certified_epoch).not.toBeNull();
    expect(await walrus().readBlob({ blobId: answer.blobObject.blobId })).toEqual(data);
  });

  it('walrus-edge put FILE --url uploads through the edge and prints blobId and objectId', async () => {
    const data = randomBytes(12_000, 1104);
    const file = join(setup.dataDir, 'cli-put.bin');
    writeFileSync(file, data);
    const { stdout } = await run(process.execPath, [
      CLI,
      'put',
      file,
      '--url',
      setup.edge.url,
      '--epochs',
      '2',
    ]);
    const printed = JSON.parse(stdout) as { blobId: string; objectId: string };
    expect(printed.blobId).toBe(computeBlobId(data, N_SHARDS));
    const blob = await walrus().getBlobObject(printed.objectId);
    expect(blob.deletable).toBe(false);
    expect(await walrus().readBlob({ blobId: printed.blobId })).toEqual(data);
  });
});

describe('the sponsored account on /status and /readyz', () => {
  it("/status shows the publisher's wallet and its balances as Sui holds them; /readyz no low-balance warning", async () => {
    const status = (await (await fetch(`${setup.edge.url}/status`)).json()) as {
      publisher: { main: { address: string; suiMist: string; walFrost: string } | null };
    };
    expect(status.publisher.main?.address).toBe(walletAddress());
    const held = await funds();
    // Balances as last read: never more than what was there before this test's uploads.
    expect(BigInt(status.publisher.main!.walFrost)).toBeGreaterThanOrEqual(held.wal);
    const ready = (await (await fetch(`${setup.edge.url}/readyz`)).json()) as {
      publisher: { lowBalance: null };
    };
    expect(ready.publisher).toEqual({ lowBalance: null });
  });
});

describe('what is certified already is not paid for again', () => {
  it('a permanent blob certified for long enough is answered alreadyCertified with no transaction and no upload; force stores it anew', async () => {
    const data = randomBytes(20_000, 1201);
    const first = await created('?permanent=true&epochs=3', data);
    const before = await funds();
    const { result: again, counted } = await countedDuring(setup.devnet.committee, () =>
      put('?permanent=true&epochs=2', data),
    );
    expect(again.status).toBe(200);
    expect(again.json.alreadyCertified).toMatchObject({
      blobId: first.blobObject.blobId,
      endEpoch: first.blobObject.storage.endEpoch,
    });
    // The certification event as the nodes report it: Sui's base58 transaction digest.
    expect(again.json.alreadyCertified!.event?.txDigest).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/);
    // No transaction (not even gas), and the nodes were sent nothing.
    expect(await funds()).toEqual(before);
    expect(counted.total('store-sliver')).toBe(0);
    expect(counted.total('store-metadata')).toBe(0);

    const forced = await created('?permanent=true&epochs=2&force=true', data);
    expect(forced.blobObject.id).not.toBe(first.blobObject.id);
    expect((await funds()).wal).toBeLessThan(before.wal);
  });

  it('a longer lifetime than the certified one is stored anew', async () => {
    const data = randomBytes(6_000, 1202);
    const short = await created('?permanent=true&epochs=1', data);
    const longer = await created('?permanent=true&epochs=4', data);
    expect(longer.blobObject.id).not.toBe(short.blobObject.id);
    expect(longer.blobObject.storage.endEpoch).toBe(short.blobObject.storage.endEpoch + 3);
  });

  it('a deletable blob of ours, certified, is answered alreadyCertified with its object', async () => {
    const data = randomBytes(7_000, 1203);
    const first = await created('?epochs=2', data);
    const before = await funds();
    const again = await put('?epochs=2', data);
    expect(again.json.alreadyCertified).toEqual({
      blobId: first.blobObject.blobId,
      object: first.blobObject.id,
      endEpoch: first.blobObject.storage.endEpoch,
    });
    expect(await funds()).toEqual(before);
  });

  it('an upload that registered but could not certify (504) leaves the registration, which the next upload certifies without paying again, after a restart too', async () => {
    const data = randomBytes(9_000, 1204);
    const before = await funds();
    // Nodes holding more than a third of the shards down: no quorum of confirmations.
    const failed = await withoutQuorum(setup.devnet, () => put('?permanent=true', data));
    refusal(failed, 504, 'INSUFFICIENT_CONFIRMATIONS');
    const cost = (await walrus().storageCost(data.length, 1)).totalCost;
    const afterFailure = await funds();
    // Paid once, for the registration that is kept.
    expect(before.wal - afterFailure.wal).toBe(cost);

    // The registration is remembered in the data directory, not in the process.
    await setup.restartEdge();
    const retried = await created('?permanent=true', data);
    expect(retried.resourceOperation).toEqual({
      reuseRegistration: { encodedLength: retried.resourceOperation.reuseRegistration!.encodedLength },
    });
    expect(retried.cost).toBe(0);
    expect((await funds()).wal).toBe(afterFailure.wal);
    expect((await walrus().getBlobObject(retried.blobObject.id)).certified_epoch).not.toBeNull();
    expect(await walrus().readBlob({ blobId: retried.blobObject.blobId })).toEqual(data);
  });
});

describe('a certify that fails keeps the registration', () => {
  it('the wallet has no SUI for gas when it certifies: the upload fails (500) and, gas back, the same upload certifies the kept registration unpaid', async () => {
    const data = randomBytes(5_000, 1205);
    const blobId = computeBlobId(data, N_SHARDS);
    const wallet = Ed25519Keypair.fromSecretKey(publisherWallet(setup.dataDir).secretKey);
    const parking = new Ed25519Keypair();
    // Once the blob is registered, all the wallet's SUI moves away (while the slow nodes hold the
    // upload back), so the certify transaction finds no gas.
    let drained: Promise<unknown> | undefined;
    const stop = setup.devnet.ledger.onEvent((event) => {
      if (event.type !== 'BlobRegistered' || event.data.blobId !== blobId || drained) return;
      const tx = new Transaction();
      tx.transferObjects([tx.gas], parking.toSuiAddress());
      drained = wallet.signAndExecuteTransaction({ transaction: tx, client: devnetSui(setup.devnet) });
    });
    const before = await funds();
    let failed: Answer;
    try {
      for (const node of setup.devnet.committee.nodes) await postFault(node.url, 'slow', 300);
      failed = await put('?permanent=true', data);
    } finally {
      stop();
      for (const node of setup.devnet.committee.nodes) await postFault(node.url, 'ok');
    }
    expect(drained).toBeDefined();
    await drained;
    refusal(failed, 500);
    expect(failed.json.error?.message).toMatch(/Coin<SUI>/);
    const paid = before.wal - (await funds()).wal;
    expect(paid).toBe((await walrus().storageCost(data.length, 1)).totalCost);
    // The SUI comes back; the retry reuses the registration and pays no WAL.
    const back = new Transaction();
    back.transferObjects([back.gas], wallet.toSuiAddress());
    await parking.signAndExecuteTransaction({ transaction: back, client: devnetSui(setup.devnet) });
    const kept = await funds();
    const retried = await created('?permanent=true', data);
    expect(Object.keys(retried.resourceOperation)).toEqual(['reuseRegistration']);
    expect((await funds()).wal).toBe(kept.wal);
    expect(await ownerOf(retried.blobObject.id)).toBe(walletAddress());
    expect(await walrus().readBlob({ blobId })).toEqual(data);
  });
});

describe('the upload relay is mounted', () => {
  it("the official SDK's writeBlob through the edge's relay (uploadRelay.host) stores a blob the edge serves", async () => {
    const signer = new Ed25519Keypair();
    await requestSuiFromFaucetV2({ host: setup.devnet.faucetUrl, recipient: signer.toSuiAddress() });
    const sdk = devnetWalrus(setup.devnet, { uploadRelay: { host: setup.edge.url } });
    const data = randomBytes(15_000, 1206);
    const { blobId, blobObject } = await sdk.writeBlob({ blob: data, deletable: true, epochs: 1, signer });
    expect(blobObject.certified_epoch).not.toBeNull();
    const served = await fetch(`${setup.edge.url}/v1/blobs/${blobId}`);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(data);
  });
});

describe('the read stack sees a published blob at once', () => {
  it('a read right after the PUT is served from the warmed cache: no sliver request reaches a node', async () => {
    const data = randomBytes(30_000, 1301);
    const answer = await created('', data);
    const read = await readCounted(setup.edge, setup.devnet, answer.blobObject.blobId);
    expect(read.status).toBe(200);
    expect(read.bytes).toEqual(data);
    expect(read.counted.total('sliver')).toBe(0);
    expect(read.counted.total('metadata')).toBe(0);
  });

  it('a blob first read as missing (remembered) is served once it is published', async () => {
    const data = randomBytes(11_000, 1302);
    const blobId = computeBlobId(data, N_SHARDS);
    const missing = await fetch(`${setup.edge.url}/v1/blobs/${blobId}`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    // Remembered: a second miss is answered from the negative cache.
    const remembered = await fetch(`${setup.edge.url}/v1/blobs/${blobId}`);
    expect(remembered.headers.get('x-cache')).toBe('HIT-NEGATIVE');
    await remembered.arrayBuffer();

    await created('', data);
    const served = await fetch(`${setup.edge.url}/v1/blobs/${blobId}`);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(data);
  });
});

describe('limits: nothing read, registered or paid beyond them', () => {
  it('413 from Content-Length before the body is read, with nothing charged', async () => {
    const before = await funds();
    const { result: answer, counted } = await countedDuring(setup.devnet.committee, () =>
      put('', randomBytes(MAX_BLOB_BYTES + 1, 1401)),
    );
    refusal(answer, 413);
    expect(await funds()).toEqual(before);
    expect(counted.total('store-metadata')).toBe(0);
  });

  it('413 as soon as a chunked body passes the limit, with nothing charged', async () => {
    const before = await funds();
    let sent = 0;
    const chunk = randomBytes(64 * 1024, 1402);
    // A body with no Content-Length that would go on for 64 MiB if it were read to the end.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const answer = await put('', body);
    refusal(answer, 413);
    expect(sent).toBeLessThan(8 * 1024 * 1024);
    expect(await funds()).toEqual(before);
  });

  it('400 with an AIP-193 body for bad parameters, before anything is read', async () => {
    const data = randomBytes(100, 1403);
    const cases: [string, string][] = [
      ['?epochs=0', 'INVALID_EPOCHS'],
      ['?epochs=abc', 'INVALID_EPOCHS'],
      ['?epochs=-1', 'INVALID_EPOCHS'],
      ['?epochs=99999999999', 'INVALID_EPOCHS'],
      ['?permanent=true&deletable=true', 'DELETABLE_AND_PERMANENT'],
      [`?share=true&send_object_to=${new Ed25519Keypair().toSuiAddress()}`, 'SEND_AND_SHARE'],
      ['?encoding_type=RS1', 'UNSUPPORTED_ENCODING_TYPE'],
      ['?send_object_to=0xnothex', 'INVALID_PARAMETER'],
      ['?force=maybe', 'INVALID_PARAMETER'],
      ['?quilt_version=v2', 'UNSUPPORTED_QUILT_VERSION'],
    ];
    const before = await funds();
    for (const [query, reason] of cases) refusal(await put(query, data), 400, reason);
    // More epochs than the network stores ahead: the publisher's own check, not a failed transaction.
    refusal(await put('?epochs=10000', data), 400, 'INVALID_ARGUMENT');
    expect(await funds()).toEqual(before);
  });

  it('unknown parameters are tolerated (cache busters)', async () => {
    const answer = await put('?epochs=1&cachebust=123', randomBytes(500, 1404));
    expect(answer.status).toBe(200);
  });
});

describe('load: a bounded queue, then 429', () => {
  it('with one upload running and one waiting, the next is refused at once with Retry-After', async () => {
    const gauge = async (name: string) => {
      const text = await (await fetch(`${setup.edge.url}/metrics`)).text();
      return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    };
    // Two uploads whose bodies never end: the first holds the slot, the second waits for it.
    const stalled = [new AbortController(), new AbortController()];
    const pending = stalled.map((controller, i) =>
      fetch(`${setup.edge.url}/v1/blobs`, {
        method: 'PUT',
        body: new ReadableStream<Uint8Array>({
          start: (stream) => stream.enqueue(randomBytes(1000, 1500 + i)),
        }),
        duplex: 'half',
        signal: controller.signal,
      } as RequestInit).catch(() => undefined),
    );
    try {
      await waitFor(
        async () =>
          (await gauge('walrus_edge_publish_uploads_in_progress')) === 1 &&
          (await gauge('walrus_edge_publish_uploads_queued')) === 1,
        10_000,
      );
      const busy = await put('', randomBytes(1000, 1502));
      refusal(busy, 429, 'TOO_MANY_UPLOADS');
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      for (const controller of stalled) controller.abort();
      await Promise.all(pending);
    }
    // The slots come back: the next upload goes through.
    await waitFor(async () => (await gauge('walrus_edge_publish_uploads_in_progress')) === 0, 10_000);
    expect((await put('', randomBytes(1000, 1503))).status).toBe(200);
    // Counted by outcome, with the phases of the pipeline and the distribution's nodes.
    const metrics = await (await fetch(`${setup.edge.url}/metrics`)).text();
    expect(metrics).toMatch(/^walrus_edge_publish_uploads_total\{route="blob",outcome="busy"\} [1-9]/m);
    expect(metrics).toMatch(
      /^walrus_edge_publish_uploads_total\{route="blob",outcome="newly-created"\} [1-9]/m,
    );
    for (const phase of ['encode', 'status', 'register', 'upload', 'certify'])
      expect(metrics).toMatch(
        new RegExp(`^walrus_edge_publish_phase_seconds_count\\{phase="${phase}"\\} [1-9]`, 'm'),
      );
    expect(metrics).toMatch(/^walrus_edge_publish_node_uploads_total\{outcome="confirmed"\} [1-9]/m);
  });
});
