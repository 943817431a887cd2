// Shared blobs on the devnet's Sui (walrus::shared_blob, shared_blob.move): `new` wraps the sender's Blob
// in a shared SharedBlob {id, blob, funds}, `fund` adds WAL to it and anyone may `extend` it from those
// funds. Witnesses: the stock SuiGrpcClient (owners, types, effects, balances), the Blob layout of the
// official SDK's generated contracts, the storage nodes' own blob status, the SDK reading the bytes.
// Also: a node's blob status names the certifying transaction as Sui does (base58 digest, the event's
// index in it), which GetTransaction finds.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { bcs, type BcsType } from '@mysten/sui/bcs';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { WalrusClient, blobIdFromInt } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, type RunningDevnet } from '../../src/devnet/devnet.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { tempDir } from '../support/devnet.ts';

const SHARDS = 100;
const NODES = 11; // the SDK writes and reads: ≥ 11 (DESIGN §7)
const SUI = '0x2::sui::SUI';

interface SdkBlob {
  id: string;
  blob_id: string;
  certified_epoch: number | null;
  deletable: boolean;
  storage: { end_epoch: number; storage_size: string };
}
/** The Blob layout as the official SDK's generated contracts have it (not exported by name). */
const { Blob } = (await import(
  new URL(
    './contracts/walrus/blob.mjs',
    pathToFileURL(createRequire(import.meta.url).resolve('@mysten/walrus')),
  ).href
)) as { Blob: BcsType<SdkBlob> };
/** shared_blob.move: `SharedBlob has key, store { id: UID, blob: Blob, funds: Balance<WAL> }`. */
const SharedBlob = bcs.struct('SharedBlob', {
  id: bcs.Address,
  blob: Blob,
  funds: bcs.struct('Balance', { value: bcs.u64() }),
});
/** events.move: `BlobCertified { epoch, blob_id, end_epoch, deletable, object_id, is_extension }`. */
const BlobCertified = bcs.struct('BlobCertified', {
  epoch: bcs.u32(),
  blob_id: bcs.u256(),
  end_epoch: bcs.u32(),
  deletable: bcs.bool(),
  object_id: bcs.Address,
  is_extension: bcs.bool(),
});

interface NodeStatus {
  permanent?: { endEpoch: number; isCertified: boolean; statusEvent: { txDigest: string; eventSeq: string } };
  deletable?: { deletableCounts: { count_deletable_certified: number } };
}

describe(`shared blobs on the devnet's Sui (n=${SHARDS}, ${NODES} nodes)`, () => {
  const dir = tempDir('sui-shared-blob');
  let devnet: RunningDevnet;
  let file: {
    suiUrl: string;
    faucetUrl: string;
    packageConfig: { systemObjectId: string; stakingPoolId: string };
  };
  let sui: SuiGrpcClient;
  let pkg: string;
  let walType: string;
  /** The first test's shared blob, looked at again after a restart. */
  let firstShared: { id: string; blobObjectId: string; blobId: string; data: Uint8Array } | undefined;

  const walrus = () =>
    new WalrusClient({
      packageConfig: file.packageConfig,
      suiClient: new SuiGrpcClient({ baseUrl: file.suiUrl, network: 'localnet' }),
      storageNodeUrlScheme: 'http',
    });
  const funded = async () => {
    const signer = new Ed25519Keypair();
    await requestSuiFromFaucetV2({ host: file.faucetUrl, recipient: signer.toSuiAddress() });
    return signer;
  };
  const walBalance = async (owner: string) =>
    BigInt((await sui.core.getBalance({ owner, coinType: walType })).balance.balance);
  /** What an owner has, by Sui: balances and every owned object's reference. */
  const holdings = async (owner: string) => ({
    sui: (await sui.core.getBalance({ owner, coinType: SUI })).balance.balance,
    wal: await walBalance(owner),
    objects: (await sui.core.listOwnedObjects({ owner })).objects
      .map((o) => `${o.objectId}@${o.version}/${o.digest}`)
      .sort(),
  });
  const object = async (id: string) => {
    const [found] = (await sui.core.getObjects({ objectIds: [id], include: { content: true } })).objects;
    return found!;
  };
  const sharedBlob = async (id: string) => {
    const found = await object(id);
    if (found instanceof Error) throw found;
    return { object: found, value: SharedBlob.parse(found.content) };
  };
  /** Every node's answer to GET /v1/blobs/{id}/status. */
  const nodeStatuses = async (blobId: string) =>
    Promise.all(
      devnet.committee.nodes.map(async (node) => {
        const body = (await (await fetch(`${node.url}/v1/blobs/${blobId}/status`)).json()) as {
          success: { data: NodeStatus };
        };
        return body.success.data;
      }),
    );
  const share = async (signer: Ed25519Keypair, blobObjectId: string) => {
    const tx = new Transaction();
    tx.moveCall({ target: `${pkg}::shared_blob::new`, arguments: [tx.object(blobObjectId)] });
    return signer.signAndExecuteTransaction({ transaction: tx, client: sui });
  };
  const createdSharedBlob = (result: Awaited<ReturnType<typeof share>>) => {
    if (result.$kind !== 'Transaction') throw new Error(JSON.stringify(result.FailedTransaction.status));
    const created = result.Transaction.effects.changedObjects.filter((c) => c.idOperation === 'Created');
    expect(created).toHaveLength(1);
    return created[0]!;
  };

  beforeAll(async () => {
    devnet = await startDevnet({ dir: dir.path, nodes: NODES, shards: SHARDS });
    file = JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as typeof file;
    sui = new SuiGrpcClient({ baseUrl: file.suiUrl, network: 'localnet' });
    const system = await object(file.packageConfig.systemObjectId);
    if (system instanceof Error) throw system;
    pkg = system.type.split('::')[0]!;
    const { function: fn } = await sui.core.getMoveFunction({
      packageId: pkg,
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

  it('shared_blob::new wraps the Blob in a shared SharedBlob; its blob ID stays certified and readable', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const data = randomBytes(12_000, 31);
    const { blobId, blobObject } = await walrus().writeBlob({
      blob: data,
      deletable: false,
      epochs: 2,
      signer,
    });
    const result = await share(signer, blobObject.id);
    const created = createdSharedBlob(result);
    // Sui's effects: the SharedBlob created as a shared object, the Blob wrapped (gone, not deleted).
    expect(created.outputOwner).toEqual({
      $kind: 'Shared',
      Shared: { initialSharedVersion: created.outputVersion },
    });
    const wrapped = result.Transaction!.effects.changedObjects.find((c) => c.objectId === blobObject.id);
    expect(wrapped).toMatchObject({ inputState: 'Exists', outputState: 'DoesNotExist', idOperation: 'None' });

    firstShared = { id: created.objectId, blobObjectId: blobObject.id, blobId, data };
    const { object: shared, value } = await sharedBlob(created.objectId);
    expect(shared.type).toBe(`${pkg}::shared_blob::SharedBlob`);
    expect(shared.owner).toEqual({
      $kind: 'Shared',
      Shared: { initialSharedVersion: created.outputVersion },
    });
    expect(value.id).toBe(created.objectId);
    expect(value.funds.value).toBe('0');
    expect(value.blob).toMatchObject({ id: blobObject.id, deletable: false });
    expect(value.blob.certified_epoch).toBe(blobObject.certified_epoch);
    expect(blobIdFromInt(value.blob.blob_id)).toBe(blobId);

    // The Blob is no object of its own any more: not found, not among the owner's objects.
    expect(await object(blobObject.id)).toBeInstanceOf(Error);
    const owned = await sui.core.listOwnedObjects({ owner });
    expect(owned.objects.map((o) => o.objectId)).not.toContain(blobObject.id);
    expect(owned.objects.map((o) => o.objectId)).not.toContain(created.objectId);

    // The storage nodes still hold it as a certified permanent blob, and the SDK reads it.
    for (const status of await nodeStatuses(blobId)) {
      expect(status.permanent).toMatchObject({ isCertified: true, endEpoch: blobObject.storage.end_epoch });
    }
    expect(await walrus().readBlob({ blobId })).toEqual(data);
  }, 120_000);

  it('the wrapped Blob can be used no more, and a Blob moved in the same transaction cannot be shared; nothing changes', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const { blobObject } = await walrus().writeBlob({
      blob: randomBytes(3_000, 32),
      deletable: true,
      epochs: 1,
      signer,
    });
    // Shared, then transferred in the same PTB: Move has used the Blob up.
    const before = await holdings(owner);
    const twice = new Transaction();
    twice.moveCall({ target: `${pkg}::shared_blob::new`, arguments: [twice.object(blobObject.id)] });
    twice.transferObjects([twice.object(blobObject.id)], new Ed25519Keypair().toSuiAddress());
    await expect(signer.signAndExecuteTransaction({ transaction: twice, client: sui })).rejects.toThrow(
      /already moved/,
    );
    expect(await holdings(owner)).toEqual(before);

    // Someone else's Blob cannot be an input at all.
    const stranger = await funded();
    await expect(share(stranger, blobObject.id)).rejects.toThrow(/not the sender/);
    expect(await holdings(owner)).toEqual(before);

    // Once shared, the Blob is gone: not shareable again, not deletable by its former owner.
    createdSharedBlob(await share(signer, blobObject.id));
    await expect(share(signer, blobObject.id)).rejects.toThrow(/does not exist/);
    await expect(
      walrus().executeDeleteBlobTransaction({ blobObjectId: blobObject.id, signer }),
    ).rejects.toThrow();
  }, 120_000);

  it('fund adds WAL; anyone may extend from the funds (the nodes see the new end epoch); too little funds aborts and changes nothing', async () => {
    const signer = await funded();
    const data = randomBytes(8_000, 33);
    const { blobId, blobObject } = await walrus().writeBlob({
      blob: data,
      deletable: false,
      epochs: 1,
      signer,
    });
    const sharedId = createdSharedBlob(await share(signer, blobObject.id)).objectId;
    const units = BigInt(Math.ceil(Number(blobObject.storage.storage_size) / (1024 * 1024)));
    const perEpoch = units * BigInt(devnet.ledger.params.storagePricePerUnit);

    // A stranger funds it with three epochs' worth, from a coin split off their WAL.
    const stranger = await funded();
    const strangerWal = await walBalance(stranger.toSuiAddress());
    const fund = new Transaction();
    const [coin] = fund.splitCoins(
      fund.object(
        (await sui.core.listCoins({ owner: stranger.toSuiAddress(), coinType: walType })).objects[0]!
          .objectId,
      ),
      [3n * perEpoch],
    );
    fund.moveCall({ target: `${pkg}::shared_blob::fund`, arguments: [fund.object(sharedId), coin!] });
    expect((await stranger.signAndExecuteTransaction({ transaction: fund, client: sui })).$kind).toBe(
      'Transaction',
    );
    expect(strangerWal - (await walBalance(stranger.toSuiAddress()))).toBe(3n * perEpoch);
    expect((await sharedBlob(sharedId)).value.funds.value).toBe((3n * perEpoch).toString());

    // Anyone (a third keypair, paying only gas) extends it by two epochs from the funds.
    const extender = await funded();
    const extenderWal = await walBalance(extender.toSuiAddress());
    const extend = (epochs: number) => {
      const tx = new Transaction();
      tx.moveCall({
        target: `${pkg}::shared_blob::extend`,
        arguments: [tx.object(sharedId), tx.object(file.packageConfig.systemObjectId), tx.pure.u32(epochs)],
      });
      return extender.signAndExecuteTransaction({ transaction: tx, client: sui });
    };
    expect((await extend(2)).$kind).toBe('Transaction');
    const extended = (await sharedBlob(sharedId)).value;
    expect(extended.blob.storage.end_epoch).toBe(blobObject.storage.end_epoch + 2);
    expect(extended.funds.value).toBe(perEpoch.toString());
    expect(await walBalance(extender.toSuiAddress())).toBe(extenderWal);
    for (const status of await nodeStatuses(blobId)) {
      expect(status.permanent?.endEpoch).toBe(blobObject.storage.end_epoch + 2);
    }

    // Two more epochs cost more than the one left in the funds: the Move call aborts, nothing changes.
    const { object: before } = await sharedBlob(sharedId);
    await expect(extend(2)).rejects.toThrow(/MoveAbort.*shared_blob::extend/);
    // extend takes the SharedBlob by &mut: an immutable shared input is refused.
    const immutable = new Transaction();
    immutable.moveCall({
      target: `${pkg}::shared_blob::extend`,
      arguments: [
        immutable.sharedObjectRef({
          objectId: sharedId,
          initialSharedVersion:
            before.owner.$kind === 'Shared' ? before.owner.Shared.initialSharedVersion : 0,
          mutable: false,
        }),
        immutable.object(file.packageConfig.systemObjectId),
        immutable.pure.u32(1),
      ],
    });
    await expect(extender.signAndExecuteTransaction({ transaction: immutable, client: sui })).rejects.toThrow(
      /InvalidObjectByMutRef/,
    );
    const { object: after } = await sharedBlob(sharedId);
    expect(`${after.version}/${after.digest}`).toBe(`${before.version}/${before.digest}`);
  }, 120_000);

  it('new_funded shares a Blob with a Coin<WAL> as its funds', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const { blobObject } = await walrus().writeBlob({
      blob: randomBytes(2_000, 35),
      deletable: true,
      epochs: 1,
      signer,
    });
    const wal = await walBalance(owner);
    const tx = new Transaction();
    const [walCoin] = (await sui.core.listCoins({ owner, coinType: walType })).objects;
    const [funds] = tx.splitCoins(tx.object(walCoin!.objectId), [123_456n]);
    tx.moveCall({ target: `${pkg}::shared_blob::new_funded`, arguments: [tx.object(blobObject.id), funds!] });
    const sharedId = createdSharedBlob(
      await signer.signAndExecuteTransaction({ transaction: tx, client: sui }),
    ).objectId;
    const { value } = await sharedBlob(sharedId);
    expect(value.funds.value).toBe('123456');
    expect(value.blob.id).toBe(blobObject.id);
    expect(wal - (await walBalance(owner))).toBe(123_456n);
  }, 60_000);

  it("a node's blob status names the certifying transaction by its base58 digest; GetTransaction has the BlobCertified event at eventSeq", async () => {
    const signer = await funded();
    const { blobId, blobObject } = await walrus().writeBlob({
      blob: randomBytes(5_000, 34),
      deletable: false,
      epochs: 1,
      signer,
    });
    const statuses = await nodeStatuses(blobId);
    const event = statuses[0]!.permanent!.statusEvent;
    expect(statuses.every((s) => JSON.stringify(s.permanent?.statusEvent) === JSON.stringify(event))).toBe(
      true,
    );
    expect(event.txDigest).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/);
    const transaction = await sui.core.getTransaction({
      digest: event.txDigest,
      include: { events: true, effects: true },
    });
    if (transaction.$kind !== 'Transaction') throw new Error('the certifying transaction failed');
    expect(transaction.Transaction.digest).toBe(event.txDigest);
    const certified = transaction.Transaction.events[Number(event.eventSeq)]!;
    expect(certified.eventType).toBe(`${pkg}::events::BlobCertified`);
    const parsed = BlobCertified.parse(certified.bcs);
    expect(blobIdFromInt(parsed.blob_id)).toBe(blobId);
    expect(parsed).toMatchObject({ object_id: blobObject.id, is_extension: false });

    // Two extensions in one transaction: the status names the second event of that transaction, and
    // ListEvents gives both events their digest and index as the status does.
    const tx = new Transaction();
    tx.add(walrus().extendBlob({ blobObjectId: blobObject.id, epochs: 1 }));
    tx.add(walrus().extendBlob({ blobObjectId: blobObject.id, epochs: 1 }));
    const extended = await signer.signAndExecuteTransaction({ transaction: tx, client: sui });
    if (extended.$kind !== 'Transaction') throw new Error('the extensions failed');
    const latest = (await nodeStatuses(blobId))[0]!.permanent!;
    expect(latest.endEpoch).toBe(blobObject.storage.end_epoch + 2);
    expect(latest.statusEvent).toEqual({ txDigest: extended.Transaction.digest, eventSeq: '1' });
    const second = await sui.core.getTransaction({
      digest: latest.statusEvent.txDigest,
      include: { events: true },
    });
    if (second.$kind !== 'Transaction') throw new Error('no extension transaction');
    expect(second.Transaction.events).toHaveLength(2);
    expect(BlobCertified.parse(second.Transaction.events[1]!.bcs)).toMatchObject({
      is_extension: true,
      end_epoch: blobObject.storage.end_epoch + 2,
    });
    const { events } = await sui.core.listEvents({
      filter: { eventType: `${pkg}::events::BlobCertified` },
      order: 'descending',
      limit: 2,
    });
    expect(events.map((e) => [e.transactionDigest, e.eventIndex])).toEqual([
      [extended.Transaction.digest, 1],
      [extended.Transaction.digest, 0],
    ]);
  }, 120_000);

  // Last: it restarts the devnet.
  it('a restarted devnet still serves the shared blob, its Blob wrapped, its blob ID certified', async () => {
    const first = firstShared!;
    const { object: before } = await sharedBlob(first.id);
    await devnet.stop();
    // Let this process's HTTP client notice that the old servers closed its kept-alive connections.
    await new Promise((resolve) => setTimeout(resolve, 200));
    devnet = await startDevnet({ dir: dir.path });
    file = JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as typeof file;
    sui = new SuiGrpcClient({ baseUrl: file.suiUrl, network: 'localnet' });
    const { object: after, value } = await sharedBlob(first.id);
    expect(after).toEqual(before);
    expect(value.blob.id).toBe(first.blobObjectId);
    expect(await object(first.blobObjectId)).toBeInstanceOf(Error);
    for (const status of await nodeStatuses(first.blobId)) expect(status.permanent?.isCertified).toBe(true);
    expect(await walrus().readBlob({ blobId: first.blobId })).toEqual(first.data);
  }, 120_000);
});
