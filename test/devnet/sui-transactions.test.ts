// The devnet executes the transactions the official SDK builds (issue 10): the stock WalrusClient and
// SuiGrpcClient, configured only from committee.json (suiUrl, faucetUrl, packageConfig), with a fresh
// Ed25519 keypair funded by the devnet's faucet, write, read, annotate, extend and delete blobs; what
// they pay is witnessed through GetBalance. Rejected transactions change nothing.
import { readFileSync } from 'node:fs';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Transaction, TransactionDataBuilder } from '@mysten/sui/transactions';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { WalrusClient, WalrusFile } from '@mysten/walrus';
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
    // The transactions emitted the Walrus events the edge's follower reads, with the transaction's digest.
    const eventTypes = async () => {
      const [system] = (await sui.core.getObjects({ objectIds: [file.packageConfig.systemObjectId] }))
        .objects;
      if (!system || system instanceof Error) throw new Error('no System');
      const { events } = await sui.core.listEvents({
        filter: { eventType: `${system.type.split('::')[0]}::events` },
        order: 'descending',
        limit: 50,
      });
      return events.map((e) => e.eventType.split('::').at(-1));
    };
    expect((await eventTypes()).slice(0, 2)).toEqual(['BlobCertified', 'BlobRegistered']);

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

    const beforeDelete = await balances(owner);
    const node = devnet.committee.nodes[0]!;
    expect((await fetch(`${node.url}/v1/blobs/${blobId}/metadata`)).status).toBe(200);
    await client.executeDeleteBlobTransaction({ blobObjectId: blobObject.id, signer });
    const { objects } = await sui.core.getObjects({ objectIds: [blobObject.id] });
    expect(objects[0]).toBeInstanceOf(Error);
    // The storage resource comes back to the owner; the nodes stop serving the blob.
    const owned = await sui.core.listOwnedObjects({ owner });
    expect(owned.objects.some((o) => o.type.endsWith('::storage_resource::Storage'))).toBe(true);
    expect(beforeDelete.sui - (await balances(owner)).sui).toBe(
      BigInt(devnet.ledger.params.gasPerTransaction),
    );
    expect((await fetch(`${node.url}/v1/blobs/${blobId}/metadata`)).status).toBe(404);
    expect((await eventTypes())[0]).toBe('BlobDeleted');
    await expect(walrus().readBlob({ blobId })).rejects.toThrow();
  }, 120_000);

  it('runs two keypairs’ writes at once, and writes a quilt with writeFiles', async () => {
    const [one, two] = await Promise.all([funded(), funded()]);
    const blobs = [randomBytes(3_000, 21), randomBytes(4_000, 22)];
    const written = await Promise.all(
      [one, two].map((signer, i) =>
        walrus().writeBlob({ blob: blobs[i]!, deletable: i === 0, epochs: 1, signer }),
      ),
    );
    for (const [i, { blobId }] of written.entries())
      expect(await walrus().readBlob({ blobId })).toEqual(blobs[i]);
    const files = await walrus().writeFiles({
      files: [
        WalrusFile.from({ contents: new TextEncoder().encode('hello'), identifier: 'a.txt' }),
        WalrusFile.from({ contents: new TextEncoder().encode('world'), identifier: 'b.txt' }),
      ],
      epochs: 1,
      deletable: true,
      signer: one,
    });
    expect(files).toHaveLength(2);
    const [a, b] = await walrus().getFiles({ ids: files.map((f) => f.id) });
    expect(new TextDecoder().decode(await a!.bytes())).toBe('hello');
    expect(await b!.getIdentifier()).toBe('b.txt');
  }, 120_000);

  /** What an owner has: balances and every owned object's ID, version and digest. */
  const holdings = async (owner: string) => ({
    ...(await balances(owner)),
    objects: (await sui.core.listOwnedObjects({ owner })).objects
      .map((o) => `${o.objectId}@${o.version}/${o.digest}`)
      .sort(),
  });

  /** Signed bytes of a transaction built offline, every input and the gas given explicitly (no simulation). */
  const offline = async (
    signer: Ed25519Keypair,
    body: (
      tx: Transaction,
      refs: { wal: ReturnType<Transaction['objectRef']>; system: ReturnType<Transaction['object']> },
    ) => void,
    options: { budget?: bigint; edit?: (builder: TransactionDataBuilder) => void } = {},
  ) => {
    const owner = signer.toSuiAddress();
    const [gas] = (await sui.core.listCoins({ owner, coinType: SUI })).objects;
    const [wal] = (await sui.core.listCoins({ owner, coinType: walType })).objects;
    const tx = new Transaction();
    tx.setSender(owner);
    tx.setGasPrice(1000);
    tx.setGasBudget(options.budget ?? 10_000_000n);
    tx.setGasPayment([{ objectId: gas!.objectId, version: gas!.version, digest: gas!.digest }]);
    body(tx, {
      wal: tx.objectRef({ objectId: wal!.objectId, version: wal!.version, digest: wal!.digest }),
      system: tx.sharedObjectRef({
        objectId: file.packageConfig.systemObjectId,
        initialSharedVersion: 1,
        mutable: true,
      }),
    });
    let bytes = await tx.build();
    if (options.edit) {
      const builder = TransactionDataBuilder.fromBytes(bytes);
      options.edit(builder);
      bytes = builder.build();
    }
    return { bytes, signature: (await signer.signTransaction(bytes)).signature };
  };
  const execute = (bytes: Uint8Array, signature: string) =>
    sui.core.executeTransaction({ transaction: bytes, signatures: [signature], include: { effects: true } });
  const failure = async (bytes: Uint8Array, signature: string) => {
    const result = await execute(bytes, signature);
    if (result.$kind !== 'FailedTransaction') throw new Error('the transaction succeeded');
    return result.FailedTransaction.effects!.status.error!;
  };

  it('refuses a transaction signed by someone else than its sender, and nothing changes', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const before = await holdings(owner);
    const { bytes } = await offline(signer, (tx) => {
      const [coin] = tx.splitCoins(tx.gas, [1000]);
      tx.transferObjects([coin!], owner);
    });
    const forged = (await new Ed25519Keypair().signTransaction(bytes)).signature;
    await expect(execute(bytes, forged)).rejects.toThrow(/Invalid user signature/);
    // A signature over other bytes is refused too.
    const other = await offline(signer, (tx) => tx.transferObjects([tx.splitCoins(tx.gas, [7])[0]!], owner));
    await expect(execute(bytes, other.signature)).rejects.toThrow(/Invalid user signature/);
    expect(await holdings(owner)).toEqual(before);
  });

  it('fails a transaction whose gas budget is too small (InsufficientGas) and charges nothing', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const before = await holdings(owner);
    const { bytes, signature } = await offline(
      signer,
      (tx) => tx.transferObjects([tx.splitCoins(tx.gas, [1000])[0]!], owner),
      { budget: 1000n },
    );
    expect((await failure(bytes, signature)).message).toMatch(/InsufficientGas/);
    expect(await holdings(owner)).toEqual(before);
    // The SDK's own build simulates first and stops there.
    const tx = new Transaction();
    tx.setGasBudget(1000);
    tx.transferObjects([tx.splitCoins(tx.gas, [1000])[0]!], owner);
    await expect(signer.signAndExecuteTransaction({ transaction: tx, client: sui })).rejects.toThrow(
      /InsufficientGas/,
    );
    // A budget beyond what the gas coins hold is refused before execution.
    const { bytes: rich, signature: richSignature } = await offline(
      signer,
      (t) => t.transferObjects([t.splitCoins(t.gas, [1])[0]!], owner),
      { budget: BigInt(devnet.ledger.params.faucetSui) + 1n },
    );
    await expect(execute(rich, richSignature)).rejects.toThrow(/less than the gas budget/);
    expect(await holdings(owner)).toEqual(before);
  });

  it('fails on too little WAL (reserve_space, SplitCoins) and on destroy_zero of a non-empty coin; nothing changes', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const before = await holdings(owner);
    const pkg = (await sui.core.getObjects({ objectIds: [file.packageConfig.systemObjectId] })).objects[0];
    if (!pkg || pkg instanceof Error) throw new Error('no System');
    const target = `${pkg.type.split('::')[0]}::system::reserve_space`;
    // reserve_space paid with a coin of 1 FROST: the Move call aborts.
    const tooLittle = await offline(signer, (tx, { wal, system }) => {
      const [coin] = tx.splitCoins(wal, [1]);
      const storage = tx.moveCall({
        target,
        arguments: [system, tx.pure.u64(10_000_000), tx.pure.u32(2), coin!],
      });
      tx.transferObjects([storage, coin!], owner);
    });
    const abort = await failure(tooLittle.bytes, tooLittle.signature);
    expect(abort.$kind).toBe('MoveAbort');
    expect(abort.message).toMatch(/reserve_space/);
    // Splitting more than the coin holds.
    const overdrawn = await offline(signer, (tx, { wal }) => {
      tx.transferObjects([tx.splitCoins(wal, [BigInt(before.wal) + 1n])[0]!], owner);
    });
    expect((await failure(overdrawn.bytes, overdrawn.signature)).message).toMatch(/INSUFFICIENT_BALANCE/);
    // destroy_zero of a coin that still holds 5 FROST.
    const nonZero = await offline(signer, (tx, { wal }) => {
      const [coin] = tx.splitCoins(wal, [5]);
      tx.moveCall({ target: '0x2::coin::destroy_zero', typeArguments: [walType], arguments: [coin!] });
    });
    const destroy = await failure(nonZero.bytes, nonZero.signature);
    expect(destroy.$kind).toBe('MoveAbort');
    expect(destroy.message).toMatch(/destroy_zero/);
    expect(await holdings(owner)).toEqual(before);
  });

  it('refuses malformed transactions and unknown Move calls; nothing changes', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const before = await holdings(owner);
    // Bytes that are no TransactionData.
    const garbage = new Uint8Array([1, 2, 3, 4, 5]);
    await expect(execute(garbage, (await signer.signTransaction(garbage)).signature)).rejects.toThrow(
      /no TransactionData/,
    );
    // A result of a command that does not exist.
    const dangling = await offline(
      signer,
      (tx) => tx.transferObjects([tx.splitCoins(tx.gas, [10])[0]!], owner),
      {
        edit: (builder) => {
          const transfer = builder.commands[1]!;
          if (transfer.$kind !== 'TransferObjects') throw new Error('unexpected command');
          transfer.TransferObjects.objects[0] = { $kind: 'NestedResult', NestedResult: [7, 0] };
        },
      },
    );
    expect((await failure(dangling.bytes, dangling.signature)).message).toMatch(/no result 0 of command 7/);
    // A coin split and left unused (Move values without drop must go somewhere).
    const unused = await offline(signer, (tx) => void tx.splitCoins(tx.gas, [10]));
    expect((await failure(unused.bytes, unused.signature)).message).toMatch(/UnusedValueWithoutDrop/);
    // A Move function the devnet does not know: refused, never guessed at.
    const unknown = await offline(signer, (tx, { system, wal }) => {
      tx.moveCall({
        target: `${file.packageConfig.systemObjectId}::system::withdraw_everything`,
        arguments: [system, wal],
      });
    });
    expect((await failure(unknown.bytes, unknown.signature)).message).toMatch(/FunctionNotFound/);
    const walrusPkg = (await sui.core.getObjects({ objectIds: [file.packageConfig.systemObjectId] }))
      .objects[0];
    if (!walrusPkg || walrusPkg instanceof Error) throw new Error('no System');
    const unknownWalrus = await offline(signer, (tx, { system }) => {
      tx.moveCall({
        target: `${walrusPkg.type.split('::')[0]}::system::invalidate_blob_id`,
        arguments: [system],
      });
    });
    expect((await failure(unknownWalrus.bytes, unknownWalrus.signature)).message).toMatch(/FunctionNotFound/);
    expect(await holdings(owner)).toEqual(before);
  });

  it('writes a permanent blob with attributes, keeps it readable across a devnet restart; 1 MiB timing', async () => {
    const signer = await funded();
    const owner = signer.toSuiAddress();
    const blob = randomBytes(1024 * 1024, 11);
    const start = await balances(owner);
    const client = walrus();
    const began = performance.now();
    const { blobId, blobObject } = await client.writeBlob({
      blob,
      deletable: false,
      epochs: 3,
      signer,
      attributes: { 'content-type': 'application/octet-stream' },
    });
    const elapsed = performance.now() - began;

    console.log(
      `SDK writeBlob of 1 MiB on the devnet (n=${SHARDS}, ${NODES} nodes): ${elapsed.toFixed(0)} ms`,
    );
    const cost = await client.storageCost(blob.length, 3);
    expect(start.wal - (await balances(owner)).wal).toBe(cost.totalCost);
    expect(blobObject.deletable).toBe(false);
    expect(await walrus().readBlobAttributes({ blobObjectId: blobObject.id })).toEqual({
      'content-type': 'application/octet-stream',
    });
    // A permanent blob cannot be deleted: the SDK's transaction fails and nothing changes.
    const before = await holdings(owner);
    await expect(
      client.executeDeleteBlobTransaction({ blobObjectId: blobObject.id, signer }),
    ).rejects.toThrow(/MoveAbort.*delete_blob/);
    expect(await holdings(owner)).toEqual(before);

    // A plain SDK transaction using the gas coin (as the upload relay's tip does): split and send SUI.
    const tip = new Transaction();
    const friend = new Ed25519Keypair().toSuiAddress();
    tip.transferObjects([tip.splitCoins(tip.gas, [12_345])[0]!], friend);
    tip.setSender(owner);
    const tipBytes = await tip.build({ client: sui });
    const sent = await sui.core.executeTransaction({
      transaction: tipBytes,
      signatures: [(await signer.signTransaction(tipBytes)).signature],
      include: { effects: true, balanceChanges: true },
    });
    if (sent.$kind !== 'Transaction') throw new Error('the tip failed');
    // Balance changes as Sui reports them: what the sender paid (sent + gas) and the friend received.
    expect(sent.Transaction.balanceChanges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          address: owner,
          amount: (-12_345n - BigInt(devnet.ledger.params.gasPerTransaction)).toString(),
        }),
        expect.objectContaining({ address: friend, amount: '12345' }),
      ]),
    );
    expect((await balances(friend)).sui).toBe(12_345n);
    const before2 = await holdings(owner);
    expect(before2.sui).toBe(before.sui - 12_345n - BigInt(devnet.ledger.params.gasPerTransaction));

    await devnet.stop();
    // Let this process's HTTP client notice that the old servers closed its kept-alive connections.
    await new Promise((resolve) => setTimeout(resolve, 200));
    devnet = await startDevnet({ dir: dir.path });
    file = JSON.parse(readFileSync(devnet.committeePath, 'utf8')) as CommitteeFile;
    sui = new SuiGrpcClient({ baseUrl: file.suiUrl, network: 'localnet' });
    expect(await walrus().readBlob({ blobId })).toEqual(blob);
    expect(await holdings(owner)).toEqual(before2);
    // Transactions executed before the restart are still found.
    const found = await sui.core.getTransaction({
      digest: sent.Transaction.digest,
      include: { effects: true },
    });
    expect(found.$kind).toBe('Transaction');
    // The friend's new coin names that transaction as the one that last changed it.
    const [received] = (await sui.core.listCoins({ owner: friend, coinType: SUI })).objects;
    const [object] = (
      await sui.core.getObjects({ objectIds: [received!.objectId], include: { previousTransaction: true } })
    ).objects;
    if (!object || object instanceof Error) throw new Error('no coin');
    expect(object.previousTransaction).toBe(sent.Transaction.digest);
    // The restarted devnet keeps executing: the same keypair extends the blob.
    await walrus().executeExtendBlobTransaction({ blobObjectId: blobObject.id, epochs: 1, signer });
    expect((await walrus().getBlobObject(blobObject.id)).storage.end_epoch).toBe(
      blobObject.storage.end_epoch + 1,
    );
  }, 180_000);

  it("refuses to touch another owner's blob, and a blob used after it moved; nothing changes", async () => {
    const [alice, bob] = await Promise.all([funded(), funded()]);
    const { blobObject } = await walrus().writeBlob({
      blob: randomBytes(2_000, 31),
      deletable: true,
      epochs: 1,
      signer: alice,
    });
    const before = await holdings(alice.toSuiAddress());
    const bobBefore = await holdings(bob.toSuiAddress());
    await expect(
      walrus().executeDeleteBlobTransaction({ blobObjectId: blobObject.id, signer: bob }),
    ).rejects.toThrow(/owned by/);
    // Alice transfers the blob and then deletes it in the same transaction: the second use is refused.
    const [blob] = (await sui.core.getObjects({ objectIds: [blobObject.id] })).objects;
    if (!blob || blob instanceof Error) throw new Error('no blob');
    const pkg = (await sui.core.getObjects({ objectIds: [file.packageConfig.systemObjectId] })).objects[0];
    if (!pkg || pkg instanceof Error) throw new Error('no System');
    const moved = await offline(alice, (tx, { system }) => {
      const ref = tx.objectRef({ objectId: blob.objectId, version: blob.version, digest: blob.digest });
      tx.transferObjects([ref], bob.toSuiAddress());
      const storage = tx.moveCall({
        target: `${pkg.type.split('::')[0]}::system::delete_blob`,
        arguments: [system, ref],
      });
      tx.transferObjects([storage], alice.toSuiAddress());
    });
    expect((await failure(moved.bytes, moved.signature)).message).toMatch(/already moved/);
    expect(await holdings(alice.toSuiAddress())).toEqual(before);
    expect(await holdings(bob.toSuiAddress())).toEqual(bobBefore);
    expect((await walrus().getBlobObject(blobObject.id)).id).toBe(blobObject.id);
  }, 60_000);
});
