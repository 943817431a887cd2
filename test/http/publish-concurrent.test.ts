// The publisher on its sub-wallets (PUBLISHER_SUB_WALLETS=3): concurrent uploads are signed by
// different wallets at once (no gas coin shared), and a registration left by a 504 is certified by
// the wallet that owns it — the only one that can — so nothing is paid twice. Witnesses: owners and
// balances as Sui holds them (SuiGrpcClient), the bytes as the official SDK reads them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import {
  devnetWalrus,
  objectOwner,
  publisherWallet,
  publishingSetup,
  putBlob,
  putNewlyCreated,
  walletBalances,
  withoutQuorum,
} from '../support/publishing.ts';
import { waitFor } from './http-helpers.ts';

const setup = publishingSetup(
  'publish-concurrent',
  { nodes: 11, shards: 100 },
  { PUBLISHER_SUB_WALLETS: '3', PUBLISH_MAX_CONCURRENT: '6', PUBLISH_UPLOAD_DEADLINE_MS: '20000' },
);
const walrus = () => devnetWalrus(setup.devnet);

const subWallets = () =>
  (
    JSON.parse(readFileSync(join(setup.dataDir, 'publisher', 'sub-wallets.json'), 'utf8')) as {
      wallets: { address: string }[];
    }
  ).wallets.map((w) => w.address);
const allWallets = () => [publisherWallet(setup.dataDir).address, ...subWallets()];

/** WAL over all our wallets: top-ups move it between them, storage spends it. */
async function totalWal(): Promise<bigint> {
  let total = 0n;
  for (const owner of allWallets()) total += (await walletBalances(setup.devnet, owner)).wal;
  return total;
}

const ownerOf = (objectId: string) => objectOwner(setup.devnet, objectId);

describe('the publisher on sub-wallets', () => {
  it('six concurrent uploads all certify, signed by the sub-wallets side by side', async () => {
    const blobs = Array.from({ length: 6 }, (_, i) => randomBytes(20_000 + i, 4100 + i));
    const answers = await Promise.all(
      blobs.map((data) => putNewlyCreated(setup.edge, '?permanent=true', data)),
    );
    const owners = new Set<string>();
    for (const [i, answer] of answers.entries()) {
      const object = answer.blobObject;
      expect(await walrus().readBlob({ blobId: object.blobId })).toEqual(blobs[i]);
      owners.add(await ownerOf(object.id));
    }
    for (const owner of owners) expect(subWallets()).toContain(owner);
    expect(owners.size).toBeGreaterThan(1);
  });

  it('a registration left by a 504 is certified by the sub-wallet that owns it, without paying again', async () => {
    const data = randomBytes(9_000, 4200);
    const failed = await withoutQuorum(setup.devnet, () => putBlob(setup.edge, '?permanent=true', data));
    expect(failed.status).toBe(504);
    const paid = await totalWal();
    // Only the owner can certify it; with three sub-wallets, any free one would mostly be another.
    const retried = await putNewlyCreated(setup.edge, '?permanent=true', data);
    expect(Object.keys(retried.resourceOperation)).toEqual(['reuseRegistration']);
    expect(retried.cost).toBe(0);
    expect(await totalWal()).toBe(paid);
    expect(subWallets()).toContain(await ownerOf(retried.blobObject.id));
  });

  it('after an epoch change the publisher stores for the new epoch (confirmations, registration, certificate)', async () => {
    const epoch = setup.devnet.ledger.advanceEpoch();
    // The edge's committee source follows the epoch on its next poll.
    const edgeEpoch = async () =>
      ((await (await fetch(`${setup.edge.url}/status`)).json()) as { epoch: number }).epoch;
    expect(await waitFor(async () => (await edgeEpoch()) === epoch, 10_000)).toBe(true);
    const data = randomBytes(7_000, 4300);
    const answer = await putNewlyCreated(setup.edge, '?permanent=true&epochs=2', data);
    const blob = await walrus().getBlobObject(answer.blobObject.id);
    expect(blob.registered_epoch).toBe(epoch);
    expect(blob.certified_epoch).toBe(epoch);
    expect(await walrus().readBlob({ blobId: answer.blobObject.blobId })).toEqual(data);
  });
});
