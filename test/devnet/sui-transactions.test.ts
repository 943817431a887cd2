// The devnet executes the transactions the official SDK builds (issue 10): the stock WalrusClient and
// SuiGrpcClient, configured only from committee.json (suiUrl, faucetUrl, packageConfig), with a fresh
// Ed25519 keypair funded by the devnet's faucet, write, read, annotate, extend and delete blobs; what
// they pay is witnessed through GetBalance. Rejected transactions change nothing.
import { readFileSync } from 'node:fs';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Transaction } from '@mysten/sui/transactions';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, type RunningDevnet } from '../../src/devnet/devnet.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { tempDir } from '../support/devnet.ts';

const SHARDS = 100;
const NODES = 11; // ≥ 11: the SDK's metadata fallback crashes with 10 or fewer (DESIGN §7)
const SUI = '0x2::sui::SUI';

interface CommitteeFile {
  suiUrl: string;
  faucetUrl: string;
  packageConfig: { systemObjectId: string; stakingPoolId: string };
}

describe(`the official SDK's transactions on the devnet (n=${SHARDS}, ${NODES} nodes)`, () => {
  const dir = tempDir('sui-transactions');
  let devnet: RunningDevnet;
  let file: CommitteeFile;
  let sui: SuiGrpcClient;
  let walType: string;

  const walrus = () =>
    new WalrusClient({
      packageConfig: file.packageConfig,
      suiClient: new SuiGrpcClient({ baseUrl: file.suiUrl, network: 'localnet' }),
      storageNodeUrlScheme: 'http',
    });
  const balances = async (owner: string) => ({
    sui: BigInt((await sui.core.getBalance({ owner, coinType: SUI })).balance.balance),
    wal: BigInt((await sui.core.getBalance({ owner, coinType: walType })).balance.balance),
  });
  const funded = async () => {
    const signer = new Ed25519Keypair();
    const answer = await requestSuiFromFaucetV2({ host: file.faucetUrl, recipient: signer.toSuiAddress() });
    expect(answer.status).toBe('Success');
    return signer;
  };

  beforeAll(async () => {
    devnet = await startDevnet({ dir: dir.path, nodes: NODES, shards: SHARDS });
    file = JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as CommitteeFile;
    sui = new SuiGrpcClient({ baseUrl: file.suiUrl, network: 'localnet' });
    // The WAL type as the SDK finds it: stake_with_pool's Coin<T> in the System's type-origin package.
    const [system] = (await sui.core.getObjects({ objectIds: [file.packageConfig.systemObjectId] })).objects;
    if (!system || system instanceof Error) throw new Error('no System object');
    const { function: fn } = await sui.core.getMoveFunction({
      packageId: system.type.split('::')[0]!,
      moduleName: 'staking',
      name: 'stake_with_pool',
    });
    const coin = fn.parameters[1]!.body;
    const wal = coin.$kind === 'datatype' ? coin.datatype.typeParameters[0] : undefined;
    if (wal?.$kind !== 'datatype') throw new Error('no WAL type');
    walType = wal.datatype.typeName;
  }, 60_000);
  afterAll(async () => {
    await devnet?.stop();
    dir.remove();
  });

  it('funds a fresh keypair with SUI and WAL coins through the faucet', async () => {
    expect(file.faucetUrl).toBe(devnet.faucetUrl);
    const signer = new Ed25519Keypair();
    const owner = signer.toSuiAddress();
    const answer = await requestSuiFromFaucetV2({ host: file.faucetUrl, recipient: owner });
    expect(answer.coins_sent).toHaveLength(2);
    const { sui: mist, wal } = await balances(owner);
    expect(mist).toBe(BigInt(devnet.ledger.params.faucetSui));
    expect(wal).toBe(BigInt(devnet.ledger.params.faucetWal));
    const coins = await sui.core.listCoins({ owner, coinType: walType });
    expect(coins.objects.map((c) => c.objectId)).toEqual([answer.coins_sent?.[1]?.id]);
  });

  it('writeBlob (deletable), readBlob, attributes, extend, deleteBlob with the stock SDK', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const blob = randomBytes(10_000, 7);
    const start = await balances(owner);
    const client = walrus();
    const { blobId, blobObject } = await client.writeBlob({ blob, deletable: true, epochs: 2, signer });
    const after = await balances(owner);
    const cost = await client.storageCost(blob.length, 2);
    expect(start.wal - after.wal).toBe(cost.totalCost);
    // Two transactions (register, certify), each paying the devnet's gas.
    expect(start.sui - after.sui).toBe(2n * BigInt(devnet.ledger.params.gasPerTransaction));
    expect(blobObject.certified_epoch).not.toBeNull();
    expect(await walrus().readBlob({ blobId })).toEqual(blob);

    // Attributes on a blob with none yet: the SDK wants it as an object argument (DESIGN notes §2).
    const tx = new Transaction();
    await client.writeBlobAttributesTransaction({
      transaction: tx,
      blobObject: tx.object(blobObject.id),
      attributes: { 'content-type': 'text/plain', note: 'first' },
    });
    const first = await signer.signAndExecuteTransaction({ transaction: tx, client: sui });
    expect(first.$kind).toBe('Transaction');
    expect(await walrus().readBlobAttributes({ blobObjectId: blobObject.id })).toEqual({
      'content-type': 'text/plain',
      note: 'first',
    });
    // Then by ID: update one, remove one, add one.
    await client.executeWriteBlobAttributesTransaction({
      blobObjectId: blobObject.id,
      attributes: { 'content-type': 'application/json', note: null, extra: 'yes' },
      signer,
    });
    expect(await walrus().readBlobAttributes({ blobObjectId: blobObject.id })).toEqual({
      'content-type': 'application/json',
      extra: 'yes',
    });

    const beforeExtend = await balances(owner);
    const endEpoch = (await client.getBlobObject(blobObject.id)).storage.end_epoch;
    await client.executeExtendBlobTransaction({ blobObjectId: blobObject.id, epochs: 3, signer });
    expect((await walrus().getBlobObject(blobObject.id)).storage.end_epoch).toBe(endEpoch + 3);
    const units = BigInt(Math.ceil(Number(blobObject.storage.storage_size) / (1024 * 1024)));
    expect(beforeExtend.wal - (await balances(owner)).wal).toBe(
      units * BigInt(devnet.ledger.params.storagePricePerUnit) * 3n,
    );

    await client.executeDeleteBlobTransaction({ blobObjectId: blobObject.id, signer });
    const { objects } = await sui.core.getObjects({ objectIds: [blobObject.id] });
    expect(objects[0]).toBeInstanceOf(Error);
  }, 120_000);
});
