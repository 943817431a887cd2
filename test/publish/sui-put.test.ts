// `walrus-edge put` registers and certifies through Sui transactions on the devnet's Sui endpoint
// (signed by the directory's Ed25519 wallet, funded by the faucet). Witnesses: the chain's state as
// the official SDK reads it over that endpoint (the Blob object, its owner, its certification, the
// WAL spent), the SDK reading the blob back, and an edge on the devnet serving it.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { tempDir } from '../support/devnet.ts';
import {
  devnetSui,
  devnetWalrus,
  objectOwner,
  publishingSetup,
  walletBalances,
} from '../support/publishing.ts';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '../../src/cli.ts');
// An edge on the devnet, to serve what the CLI stored.
const setup = publishingSetup('sui-put-edge', { nodes: 11, shards: 100 });
const files = tempDir('sui-put-files');
afterAll(() => files.remove());

const walrus = () => devnetWalrus(setup.devnet);
/** The wallet `walrus-edge put --devnet-dir` pays from. */
const walletAddress = () =>
  (JSON.parse(readFileSync(join(setup.devnet.dir, 'wallet.json'), 'utf8')) as { address: string }).address;

async function put(data: Uint8Array, ...flags: string[]) {
  const path = join(files.path, `blob-${data.length}-${flags.join('')}.bin`);
  writeFileSync(path, data);
  const { stdout } = await run(process.execPath, [
    cli,
    'put',
    path,
    '--devnet-dir',
    setup.devnet.dir,
    ...flags,
  ]);
  return JSON.parse(stdout) as { blobId: string; objectId: string; owner: string; digest: string };
}

describe('walrus-edge put on the devnet', () => {
  it('stores through Sui transactions: the SDK finds the certified Blob object, owned by the wallet, and reads it', async () => {
    const data = randomBytes(30_000, 1301);
    const stored = await put(data, '--epochs', '3');
    const owner = walletAddress();
    expect(stored.owner).toBe(owner);

    const sdk = walrus();
    const blob = await sdk.getBlobObject(stored.objectId);
    expect(blob.certified_epoch).not.toBeNull();
    expect(blob.deletable).toBe(false);
    expect(blob.storage.end_epoch - blob.registered_epoch).toBe(3);
    // The object belongs to the wallet's address, by Sui's own account.
    expect(await objectOwner(setup.devnet, stored.objectId)).toBe(owner);
    // The transaction Sui executed is there by its digest.
    const tx = await devnetSui(setup.devnet).core.getTransaction({ digest: stored.digest });
    expect(tx).toBeTruthy();

    expect(await sdk.readBlob({ blobId: stored.blobId })).toEqual(data);
    const served = await fetch(`${setup.edge.url}/v1/blobs/${stored.blobId}`);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(data);
  });

  it('pays for the storage in WAL from the wallet, as much as the SDK says it costs', async () => {
    const data = randomBytes(50_000, 1302);
    const sdk = walrus();
    // A first put funds the wallet; the second is measured on its own.
    await put(randomBytes(1_000, 1303));
    const wal = async () => (await walletBalances(setup.devnet, walletAddress())).wal;
    const before = await wal();
    await put(data, '--epochs', '2', '--deletable');
    const cost = await sdk.storageCost(data.length, 2);
    expect(before - (await wal())).toBe(cost.totalCost);
  });
});
