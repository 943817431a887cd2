// The publisher on its sub-wallets (PUBLISHER_SUB_WALLETS=3): concurrent uploads are signed by
// different wallets at once (no gas coin shared), and a registration left by a 504 is certified by
// the wallet that owns it — the only one that can — so nothing is paid twice. Witnesses: owners and
// balances as Sui holds them (SuiGrpcClient), the bytes as the official SDK reads them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, startTestDevnet, tempDir } from '../support/devnet.ts';
import { waitFor } from './http-helpers.ts';

const N_SHARDS = 100;
let devnet: RunningDevnet;
let edge: RunningEdge;
const edgeDir = tempDir('publish-concurrent');

const sui = () => new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
const walrus = () =>
  new WalrusClient({ packageConfig: devnet.packageConfig, suiClient: sui(), storageNodeUrlScheme: 'http' });

interface Created {
  blobObject: { id: string; blobId: string };
  resourceOperation: Record<string, unknown>;
  cost: number;
}

async function put(query: string, data: Uint8Array) {
  const response = await fetch(`${edge.url}/v1/blobs${query}`, { method: 'PUT', body: data as BodyInit });
  const json = (await response.json()) as {
    newlyCreated?: Created;
    error?: { details: { reason: string }[] };
  };
  return { status: response.status, json };
}

const addresses = (file: string, pick: (json: never) => string[]) =>
  pick(JSON.parse(readFileSync(join(edgeDir.path, 'publisher', file), 'utf8')) as never);
const subWallets = () =>
  addresses('sub-wallets.json', (json: { wallets: { address: string }[] }) =>
    json.wallets.map((w) => w.address),
  );
const allWallets = () => [
  ...addresses('wallet.json', (json: { address: string }) => [json.address]),
  ...subWallets(),
];

/** WAL over all our wallets: top-ups move it between them, storage spends it. */
async function totalWal(): Promise<bigint> {
  let total = 0n;
  for (const owner of allWallets()) {
    const { balances } = await sui().core.listBalances({ owner });
    total += BigInt(balances.find((b) => b.coinType.endsWith('::wal::WAL'))?.balance ?? 0);
  }
  return total;
}

async function ownerOf(objectId: string): Promise<string | undefined> {
  const [object] = (await sui().core.getObjects({ objectIds: [objectId] })).objects;
  if (!object || object instanceof Error || object.owner.$kind !== 'AddressOwner') return undefined;
  return object.owner.AddressOwner;
}

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: N_SHARDS });
  edge = await startEdge(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: edgeDir.path,
      DEVNET_DIR: devnet.dir,
      PUBLISHER_SUB_WALLETS: '3',
      PUBLISH_MAX_CONCURRENT: '6',
      PUBLISH_UPLOAD_DEADLINE_MS: '20000',
    }),
  );
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  edgeDir.remove();
});

describe('the publisher on sub-wallets', () => {
  it('six concurrent uploads all certify, signed by the sub-wallets side by side', async () => {
    const blobs = Array.from({ length: 6 }, (_, i) => randomBytes(20_000 + i, 4100 + i));
    const answers = await Promise.all(blobs.map((data) => put('?permanent=true', data)));
    const owners = new Set<string>();
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      const object = answer.json.newlyCreated!.blobObject;
      expect(await walrus().readBlob({ blobId: object.blobId })).toEqual(blobs[i]);
      owners.add((await ownerOf(object.id))!);
    }
    for (const owner of owners) expect(subWallets()).toContain(owner);
    expect(owners.size).toBeGreaterThan(1);
  });

  it('a registration left by a 504 is certified by the sub-wallet that owns it, without paying again', async () => {
    const data = randomBytes(9_000, 4200);
    const byWeight = [...devnet.committee.nodes].sort((a, b) => b.shards.length - a.shards.length);
    const down: typeof byWeight = [];
    for (const node of byWeight) {
      if (down.reduce((sum, n) => sum + n.shards.length, 0) > N_SHARDS / 3) break;
      down.push(node);
    }
    let failed;
    try {
      for (const node of down) await postFault(node.url, 'down');
      failed = await put('?permanent=true', data);
    } finally {
      for (const node of down) await postFault(node.url, 'ok');
    }
    expect(failed.status).toBe(504);
    const paid = await totalWal();
    // Only the owner can certify it; with three sub-wallets, any free one would mostly be another.
    const retried = await put('?permanent=true', data);
    expect(retried.status, JSON.stringify(retried.json)).toBe(200);
    expect(Object.keys(retried.json.newlyCreated!.resourceOperation)).toEqual(['reuseRegistration']);
    expect(retried.json.newlyCreated!.cost).toBe(0);
    expect(await totalWal()).toBe(paid);
    expect(subWallets()).toContain(await ownerOf(retried.json.newlyCreated!.blobObject.id));
  });

  it('after an epoch change the publisher stores for the new epoch (confirmations, registration, certificate)', async () => {
    const epoch = devnet.ledger.advanceEpoch();
    // The edge's committee source follows the epoch on its next poll.
    const edgeEpoch = async () =>
      ((await (await fetch(`${edge.url}/status`)).json()) as { epoch: number }).epoch;
    expect(await waitFor(async () => (await edgeEpoch()) === epoch, 10_000)).toBe(true);
    const data = randomBytes(7_000, 4300);
    const answer = await put('?permanent=true&epochs=2', data);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const blob = await walrus().getBlobObject(answer.json.newlyCreated!.blobObject.id);
    expect(blob.registered_epoch).toBe(epoch);
    expect(blob.certified_epoch).toBe(epoch);
    expect(await walrus().readBlob({ blobId: answer.json.newlyCreated!.blobObject.blobId })).toEqual(data);
  });
});
