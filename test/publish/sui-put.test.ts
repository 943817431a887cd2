// `walrus-edge put` registers and certifies through Sui transactions on the devnet's Sui endpoint
// (signed by the directory's Ed25519 wallet, funded by the faucet). Witnesses: the chain's state as
// the official SDK reads it over that endpoint (the Blob object, its owner, its certification, the
// WAL spent), the SDK reading the blob back, and an edge on the devnet serving it.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '../../src/cli.ts');
let devnet: RunningDevnet;
let edge: RunningEdge;
const edgeDir = tempDir('sui-put-edge');
const files = tempDir('sui-put-files');

const walrus = () =>
  new WalrusClient({
    packageConfig: devnet.packageConfig,
    suiClient: new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }),
    storageNodeUrlScheme: 'http',
  });

async function put(data: Uint8Array, ...flags: string[]) {
  const path = join(files.path, `blob-${data.length}-${flags.join('')}.bin`);
  writeFileSync(path, data);
  const { stdout } = await run(process.execPath, [cli, 'put', path, '--devnet-dir', devnet.dir, ...flags]);
  return JSON.parse(stdout) as { blobId: string; objectId: string; owner: string; digest: string };
}

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  edge = await startEdge(
    loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: edgeDir.path, DEVNET_DIR: devnet.dir }),
  );
});
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  edgeDir.remove();
  files.remove();
});

describe('walrus-edge put on the devnet', () => {
  it('stores through Sui transactions: the SDK finds the certified Blob object, owned by the wallet, and reads it', async () => {
    const data = randomBytes(30_000, 1301);
    const stored = await put(data, '--epochs', '3');
    const wallet = JSON.parse(readFileSync(join(devnet.dir, 'wallet.json'), 'utf8')) as { address: string };
    expect(stored.owner).toBe(wallet.address);

    const sdk = walrus();
    const blob = await sdk.getBlobObject(stored.objectId);
    expect(blob.certified_epoch).not.toBeNull();
    expect(blob.deletable).toBe(false);
    expect(blob.storage.end_epoch - blob.registered_epoch).toBe(3);
    // The object belongs to the wallet's address, by Sui's own account.
    const [object] = (
      await new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }).core.getObjects({
        objectIds: [stored.objectId],
      })
    ).objects;
    expect(object).not.toBeInstanceOf(Error);
    expect(JSON.stringify((object as { owner: unknown }).owner)).toContain(wallet.address);
    // The transaction Sui executed is there by its digest.
    const tx = await new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }).core.getTransaction({
      digest: stored.digest,
    });
    expect(tx).toBeTruthy();

    expect(await sdk.readBlob({ blobId: stored.blobId })).toEqual(data);
    const served = await fetch(`${edge.url}/v1/blobs/${stored.blobId}`);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(data);
  });

  it('pays for the storage in WAL from the wallet, as much as the SDK says it costs', async () => {
    const data = randomBytes(50_000, 1302);
    const sdk = walrus();
    // A first put funds the wallet; the second is measured on its own.
    await put(randomBytes(1_000, 1303));
    const owner = (JSON.parse(readFileSync(join(devnet.dir, 'wallet.json'), 'utf8')) as { address: string })
      .address;
    const sui = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
    const walType = (await sui.core.listBalances({ owner })).balances.find((b) =>
      b.coinType.endsWith('::wal::WAL'),
    )!.coinType;
    const wal = async () => BigInt((await sui.core.getBalance({ owner, coinType: walType })).balance.balance);
    const before = await wal();
    await put(data, '--epochs', '2', '--deletable');
    const cost = await sdk.storageCost(data.length, 2);
    expect(before - (await wal())).toBe(cost.totalCost);
  });
});
