// The cache on a Sui network (NETWORK=testnet), driven through the devnet's Sui stand-in: the committee
// from the Walrus objects, end epochs from the storage nodes' blob status, deletions and epoch changes
// from the Walrus events on Sui. The edge reads nothing from the devnet chain's own API; the test
// checks it against outside witnesses: Redis's TTLs against Sui's timetable as the official SDK reads
// it, hits against the storage nodes' request counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { createSuiStandIn } from '../../src/devnet/sui-standin.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { endEpochFromNodes, lifeFromStatus } from '../../src/network/blob-status.ts';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { Redis } from 'ioredis';
import { WalrusClient } from '@mysten/walrus';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { waitFor } from '../http/http-helpers.ts';
import { blobKeys, nodeReadsDuring, storedKeys, ttlProblems } from '../support/witnesses.ts';

let devnet: RunningDevnet;
let edge: RunningEdge;
let standIn: ReturnType<typeof createSuiStandIn>;
const dir = tempDir('sui-cache');
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `walrus-edge-test:sui:${process.pid}:${Date.now()}:`;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  const chain = new DevnetChainClient(devnet.chainUrl);
  standIn = createSuiStandIn(devnet.committee, {
    chainEvents: async (after, limit) => (await chain.events(after, limit)).events,
    chainBlob: (objectId) => chain.blob(objectId).catch(() => undefined),
  });
  edge = await startEdge(
    loadConfig({
      PORT: '0',
      DATA_DIR: dir.path,
      NETWORK: 'testnet',
      LOG_LEVEL: 'silent',
      SUI_EVENT_POLL_MS: '100',
      REDIS_URL,
      REDIS_PREFIX: prefix,
    }),
    {
      sui: {
        client: standIn.client,
        systemObjectId: standIn.systemObjectId,
        stakingObjectId: standIn.stakingPoolId,
        urlScheme: 'http',
      },
    },
  );
  // Connected to Redis before any test asks (a just-started edge waits only a moment for it).
  const up = async () =>
    ((await (await fetch(`${edge.url}/readyz`)).json()) as { redis: string }).redis === 'up';
  expect(await waitFor(up, 10_000)).toBe(true);
});
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  dir.remove();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

/** The cap on an entry's life in Redis (README: 7 days). */
const CAP_MS = 7 * 24 * 3600 * 1000;

/** The official SDK on the stand-in: a reader of Sui's state that shares no code with the edge. */
const sdk = () =>
  new WalrusClient({
    packageConfig: { systemObjectId: standIn.systemObjectId, stakingPoolId: standIn.stakingPoolId },
    suiClient: standIn.client,
    storageNodeUrlScheme: 'http',
  });

/** A memory hit, proven by the storage nodes: it costs them no metadata or sliver request. */
async function expectMemoryHit(blobId: string): Promise<void> {
  const { result, reads } = await nodeReadsDuring(devnet, () => cacheOf(blobId));
  expect({ ...result, reads }).toEqual({
    status: 200,
    tier: 'HIT-MEMORY',
    reads: { metadata: 0, sliver: 0 },
  });
}

/** Gone: a 404, from no cache tier. */
const gone = async (blobId: string) => {
  const { status, tier } = await cacheOf(blobId);
  return status === 404 && !/^HIT/.test(tier ?? '');
};

const cacheOf = async (blobId: string) => {
  const response = await fetch(`${edge.url}/v1/blobs/${blobId}`);
  await response.arrayBuffer();
  return { status: response.status, tier: response.headers.get('x-cache') };
};

describe('lifetimes from the storage nodes', () => {
  it('reads BlobStatus as nodes send it and as the spec writes it', () => {
    const counts = { count_deletable_total: 1, count_deletable_certified: 1 };
    expect(
      lifeFromStatus({ permanent: { endEpoch: 9, isCertified: true, deletableCounts: counts } }),
    ).toEqual({
      kind: 'permanent',
      endEpoch: 9,
    });
    expect(lifeFromStatus({ permanent: { end_epoch: 9, is_certified: true } })).toEqual({
      kind: 'permanent',
      endEpoch: 9,
    });
    expect(
      lifeFromStatus({ permanent: { endEpoch: 9, isCertified: false, deletableCounts: counts } }),
    ).toEqual({
      kind: 'deletable',
    });
    expect(lifeFromStatus({ deletable: { deletable_counts: counts } })).toEqual({ kind: 'deletable' });
    expect(
      lifeFromStatus({ deletable: { deletableCounts: { ...counts, count_deletable_certified: 0 } } }),
    ).toEqual({ kind: 'none' });
    expect(lifeFromStatus('nonexistent')).toEqual({ kind: 'none' });
  });

  it('gives a permanent blob its end epoch and a deletable one the rest of this epoch', async () => {
    const permanent = await storeOnDevnet(devnet, randomBytes(3_000, 501), { epochs: 4 });
    const deletable = await storeOnDevnet(devnet, randomBytes(3_000, 502), { deletable: true });
    const epoch = devnet.ledger.epoch;
    const ask = (blobId: string) => endEpochFromNodes({ committee: devnet.committee, blobId, epoch });
    expect(await ask(permanent.blobId)).toBe(permanent.blob.storage.endEpoch);
    expect(await ask(deletable.blobId)).toBe(epoch + 1);
    expect(await ask('A'.repeat(43))).toBeUndefined();
  });
});

describe('the cache on a Sui network', () => {
  it('lets Redis keep a blob no longer than the timetable start of its end epoch', async () => {
    const permanent = await storeOnDevnet(devnet, randomBytes(20_000, 505), { epochs: 3 });
    const from = Date.now();
    expect(await cacheOf(permanent.blobId)).toEqual({ status: 200, tier: 'MISS' });
    // Sui's timetable (Staking: epoch e begins no earlier than first_epoch_start + (e-1)·epoch_duration)
    // as the official SDK reads it, and the blob's end epoch as the chain holds it.
    const staking = await sdk().stakingState();
    const { endEpoch } = (await new DevnetChainClient(devnet.chainUrl).blob(permanent.objectId)).storage;
    const endsAt = Number(staking.first_epoch_start) + (endEpoch - 1) * Number(staking.epoch_duration);
    expect(endsAt).toBeGreaterThan(Date.now());
    // Redis's TTLs end then, or at the 7-day cap if that comes first.
    const expiresAt = Math.min(endsAt, from + CAP_MS);
    const redis = new Redis(REDIS_URL);
    try {
      const { keys, seenAt } = await storedKeys(redis, prefix, permanent.blobId, 1);
      expect(keys).toEqual([`${prefix}blob:{${permanent.blobId}}`, `${prefix}blob:{${permanent.blobId}}:0`]);
      expect(await ttlProblems(redis, keys, expiresAt, { from, to: seenAt })).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('caches blobs, and drops a deleted one when Sui says so', async () => {
    const deletable = await storeOnDevnet(devnet, randomBytes(20_000, 503), { deletable: true });
    expect(await cacheOf(deletable.blobId)).toEqual({ status: 200, tier: 'MISS' });
    await expectMemoryHit(deletable.blobId);
    await deletable.chain.deleteBlob(deletable.objectId, deletable.sender);
    expect(await waitFor(() => gone(deletable.blobId), 3_000)).toBe(true);
    // The deletion purged Redis too, by Redis's own account.
    const redis = new Redis(REDIS_URL);
    try {
      expect(
        await waitFor(async () => (await blobKeys(redis, prefix, deletable.blobId)).length === 0, 3_000),
      ).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('expires a blob when Sui announces its end epoch', async () => {
    const permanent = await storeOnDevnet(devnet, randomBytes(20_000, 504), { epochs: 1 });
    expect(await cacheOf(permanent.blobId)).toEqual({ status: 200, tier: 'MISS' });
    await expectMemoryHit(permanent.blobId);
    while (devnet.ledger.epoch < permanent.blob.storage.endEpoch) devnet.ledger.advanceEpoch();
    expect(await waitFor(() => gone(permanent.blobId), 3_000)).toBe(true);
  });
});

describe('blob objects on a Sui network', () => {
  it('serves /v1/blobs/by-object-id from the Blob object and its metadata field', async () => {
    const data = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    const stored = await storeOnDevnet(devnet, data, { deletable: true });
    await stored.chain.setAttributes(stored.objectId, stored.sender, { 'content-type': 'image/svg+xml' });
    const response = await fetch(`${edge.url}/v1/blobs/by-object-id/${stored.objectId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-walrus-blob-id')).toBe(stored.blobId);
    expect(response.headers.get('x-walrus-end-epoch')).toBe(String(stored.blob.storage.endEpoch));
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(data);

    // Without attributes there is no metadata field, and the type is sniffed.
    const plain = await storeOnDevnet(devnet, randomBytes(2_000, 506));
    const sniffed = await fetch(`${edge.url}/v1/blobs/by-object-id/${plain.objectId}`);
    expect(sniffed.status).toBe(200);
    expect(sniffed.headers.get('content-type')).toBe('application/octet-stream');
    await sniffed.arrayBuffer();

    await stored.chain.deleteBlob(stored.objectId, stored.sender);
    const gone = await fetch(`${edge.url}/v1/blobs/by-object-id/${stored.objectId}`);
    expect(gone.status).toBe(404);
    await gone.arrayBuffer();
    const never = await fetch(`${edge.url}/v1/blobs/by-object-id/0x${'ab'.repeat(32)}`);
    expect(never.status).toBe(404);
    await never.arrayBuffer();
  });

  it('lays Blob objects out as the official SDK reads them', async () => {
    const stored = await storeOnDevnet(devnet, randomBytes(1_000, 507));
    await stored.chain.setAttributes(stored.objectId, stored.sender, {
      'content-type': 'text/plain',
      a: 'b',
    });
    expect(await sdk().readBlobAttributes({ blobObjectId: stored.objectId })).toEqual({
      'content-type': 'text/plain',
      a: 'b',
    });
  });
});
