// What the official SDK writes on the devnet — by URL only (suiUrl, faucetUrl, packageConfig), with a
// fresh faucet-funded Ed25519 key, no project code on its side — the edge serves: by blob ID, and by
// object ID with the attribute's Content-Type; across a restart of the devnet; and once the SDK
// deletes it, the edge stops serving it (the purge comes from the Walrus events over Sui). The edge
// is the ordinary one on NETWORK=devnet, reading that devnet over its Sui endpoint.
import { readFileSync } from 'node:fs';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startDevnet, type RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { tempDir } from '../support/devnet.ts';
import { nodeReadsDuring, nodeReadsSettled } from '../support/witnesses.ts';
import { waitFor } from './http-helpers.ts';

const devnetDir = tempDir('sdk-written-devnet');
const edgeDir = tempDir('sdk-written-edge');
let devnet: RunningDevnet;
let edge: RunningEdge;

interface CommitteeFile {
  suiUrl: string;
  faucetUrl: string;
  packageConfig: { systemObjectId: string; stakingPoolId: string };
}
const committeeFile = () => JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as CommitteeFile;
const sdk = () => {
  const file = committeeFile();
  return new WalrusClient({
    packageConfig: file.packageConfig,
    suiClient: new SuiGrpcClient({ baseUrl: file.suiUrl, network: 'localnet' }),
    storageNodeUrlScheme: 'http',
  });
};
const startEdgeOn = () =>
  startEdge(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: edgeDir.path,
      DEVNET_DIR: devnet.dir,
      SUI_EVENT_POLL_MS: '200',
    }),
  );

beforeAll(async () => {
  devnet = await startDevnet({ dir: devnetDir.path, nodes: 11, shards: 100 });
  edge = await startEdgeOn();
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  edgeDir.remove();
  devnetDir.remove();
});

describe('blobs the official SDK wrote, through the edge', () => {
  it('serves them with their attributes, keeps them across a devnet restart, and drops them when the SDK deletes them', async () => {
    const signer = new Ed25519Keypair();
    const funded = await requestSuiFromFaucetV2({
      host: committeeFile().faucetUrl,
      recipient: signer.toSuiAddress(),
    });
    expect(funded.status).toBe('Success');
    // Random bytes: only the attribute can make them image/webp on by-object-id.
    const data = randomBytes(40_000, 1401);
    const written = await sdk().writeBlob({ blob: data, epochs: 3, deletable: true, signer });
    // A blob without metadata yet is passed as an object argument (an SDK quirk, DESIGN §7 notes).
    const transaction = new Transaction();
    await sdk().executeWriteBlobAttributesTransaction({
      transaction,
      blobObject: transaction.object(written.blobObject.id),
      attributes: { 'content-type': 'image/webp' },
      signer,
    });

    const byId = await fetch(`${edge.url}/v1/blobs/${written.blobId}`);
    expect(byId.status).toBe(200);
    expect(new Uint8Array(await byId.arrayBuffer())).toEqual(data);
    const byObject = await fetch(`${edge.url}/v1/blobs/by-object-id/${written.blobObject.id}`);
    expect(byObject.status).toBe(200);
    expect(byObject.headers.get('content-type')).toBe('image/webp');
    expect(byObject.headers.get('x-walrus-blob-id')).toBe(written.blobId);
    expect(new Uint8Array(await byObject.arrayBuffer())).toEqual(data);
    // Cached now: served again without a storage-node read (the nodes' own counters).
    const hit = await nodeReadsDuring(devnet, async () => {
      const again = await fetch(`${edge.url}/v1/blobs/${written.blobId}`);
      return { status: again.status, body: new Uint8Array(await again.arrayBuffer()) };
    });
    expect(hit.result.status).toBe(200);
    expect(hit.result.body).toEqual(data);
    expect(hit.reads).toEqual({ metadata: 0, sliver: 0 });

    // The devnet restarts (same directory, same ports): the SDK's blob is still there for a fresh edge.
    await edge.stop();
    await devnet.stop();
    devnet = await startDevnet({ dir: devnetDir.path });
    edge = await startEdgeOn();
    const afterRestart = await fetch(`${edge.url}/v1/blobs/by-object-id/${written.blobObject.id}`);
    expect(afterRestart.status).toBe(200);
    expect(afterRestart.headers.get('content-type')).toBe('image/webp');
    expect(new Uint8Array(await afterRestart.arrayBuffer())).toEqual(data);
    expect(await sdk().readBlob({ blobId: written.blobId })).toEqual(data);
    // The SDK's last sliver requests may still be on their way (on Bun one was counted in the window below).
    await nodeReadsSettled(devnet);

    // The fresh edge has it in memory now (no storage-node read) ...
    const inMemory = await nodeReadsDuring(devnet, async () => {
      const again = await fetch(`${edge.url}/v1/blobs/${written.blobId}`);
      return again.status;
    });
    expect(inMemory).toEqual({ result: 200, reads: { metadata: 0, sliver: 0 } });
    // ... and stops serving it once the SDK deletes it and Sui's events say so.
    await sdk().executeDeleteBlobTransaction({ blobObjectId: written.blobObject.id, signer });
    expect(
      await waitFor(
        async () => (await fetch(`${edge.url}/v1/blobs/${written.blobId}`)).status === 404,
        10_000,
      ),
    ).toBe(true);
    expect((await fetch(`${edge.url}/v1/blobs/by-object-id/${written.blobObject.id}`)).status).toBe(404);
  });
});
