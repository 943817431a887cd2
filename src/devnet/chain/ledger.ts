// The devnet chain: the part of Sui + the Walrus contracts a devnet needs. Accounts hold WAL and SUI;
// blobs are registered (paying storage + write), certified with a quorum certificate verified against the
// committee by shard weight, extended, deleted, given attributes; epochs advance; every change is an event.
// State is written to disk (atomically) before a call returns, so a killed devnet loses nothing.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { toBase58 } from '@mysten/sui/utils';
import { base64ToBytes, bytesToHex, hexToBytes } from '../../protocol/base64.ts';
import { blobIdToU256, deriveBlobId, formatBlobId, parseBlobId } from '../../protocol/blob-id.ts';
import { blsVerifyAggregate } from '../../protocol/bls.ts';
import { isQuorum, parseConfirmationMessage } from '../../protocol/confirmation.ts';
import { IntentType } from '../../protocol/bcs.ts';
import {
  RS2_ENCODING_TYPE,
  encodedLength,
  maxBlobSize,
  storageCost,
  storageUnits,
} from '../../protocol/encoding.ts';
import type { Committee } from '../../network/committee.ts';
import type {
  Account,
  BlobObject,
  BlobStatus,
  ChainEvent,
  ChainEventType,
  ChainParams,
  ChainState,
  CoinKind,
  CoinRecord,
  ObjectChange,
  ObjectKind,
  SharedBlobRecord,
  StorageRecord,
} from './types.ts';

export class ChainError extends Error {
  override name = 'ChainError';
  readonly httpStatus: number;
  readonly reason: string;
  constructor(httpStatus: number, reason: string, message: string) {
    super(message);
    this.httpStatus = httpStatus;
    this.reason = reason;
  }
}

export const DEFAULT_CHAIN_PARAMS: Omit<ChainParams, 'nShards'> = {
  // Mainnet-like prices in FROST per MiB unit: storage per epoch, write once.
  storagePricePerUnit: '11000',
  writePricePerUnit: '20000',
  epochDurationMs: 0,
  faucetWal: (1_000n * 10n ** 9n).toString(),
  faucetSui: (100n * 10n ** 9n).toString(),
  gasPerTransaction: 2_000_000n.toString(),
  maxEpochsAhead: 53,
};

export interface CertificateInput {
  /** Committee member indices (the order of committee.nodes). */
  signers: number[];
  serializedMessage: Uint8Array;
  signature: Uint8Array;
}

const MAX_EVENTS_KEPT = 100_000;

export class DevnetLedger {
  #state: ChainState;
  readonly #path: string | undefined;
  readonly #committee: Committee;
  readonly #publicKeys: Uint8Array[];
  readonly #listeners = new Set<(event: ChainEvent) => void>();
  // Indexes derived from the state: every storage-node request asks for a blob ID's status, and
  // scanning all objects and events per sliver request would make a busy devnet crawl.
  readonly #objectIdsByBlobId = new Map<string, string[]>();
  /** Blob object ID → the last event about it (a storage node's status names it). */
  readonly #lastEventByObjectId = new Map<string, ChainEvent>();
  /** Wrapped blob object ID → the shared blob holding it. */
  readonly #sharedBlobByBlob = new Map<string, string>();
  /** Objects the change under way touched (assigned their new versions when it commits). */
  #touched = new Map<string, { change: ObjectChange; kind: ObjectKind }>();
  /** Events of the change under way, told to listeners when it commits. */
  #pendingEvents: ChainEvent[] = [];
  /** Set while transact() runs: the digest (hex) its events carry, and nothing is committed before its end. */
  #transaction: { digestHex: string } | undefined;
  /** A change outside transact() (the chain's HTTP API): the digest its events and objects get. */
  #changeDigestHex: string | undefined;

  constructor(committee: Committee, options: { statePath?: string; params?: Partial<ChainParams> } = {}) {
    this.#committee = committee;
    this.#publicKeys = committee.nodes.map((node) => base64ToBytes(node.blsPublicKey));
    this.#path = options.statePath;
    const saved =
      this.#path && existsSync(this.#path)
        ? (JSON.parse(readFileSync(this.#path, 'utf8')) as ChainState)
        : undefined;
    this.#state = saved ?? {
      params: { ...DEFAULT_CHAIN_PARAMS, ...options.params, nShards: committee.nShards },
      epoch: committee.epoch,
      epochStartedAtMs: Date.now(),
      accounts: {},
      blobs: {},
      events: [],
      nextEventSeq: 0,
    };
    if (saved && saved.params.nShards !== committee.nShards) {
      throw new Error(`chain state has ${saved.params.nShards} shards, committee ${committee.nShards}`);
    }
    if (!this.#state.coins) {
      // A state from before coin objects: each balance becomes one coin.
      this.#state.coins = {};
      for (const account of Object.values(this.#state.accounts)) {
        if (BigInt(account.sui) > 0n) this.#newCoin(account.address, 'SUI', BigInt(account.sui));
        if (BigInt(account.wal) > 0n) this.#newCoin(account.address, 'WAL', BigInt(account.wal));
      }
    }
    this.#state.storages ??= {};
    this.#state.sharedBlobs ??= {};
    this.#state.versions ??= {};
    this.#state.previousTransactions ??= {};
    this.#state.nextVersion ??= 2;
    this.#rebuildIndexes();
    this.#commit();
  }

  #rebuildIndexes(): void {
    this.#objectIdsByBlobId.clear();
    this.#lastEventByObjectId.clear();
    this.#sharedBlobByBlob.clear();
    for (const blob of Object.values(this.#state.blobs)) this.#index(blob);
    for (const event of this.#state.events) this.#indexEvent(event);
    for (const shared of Object.values(this.#state.sharedBlobs!)) {
      this.#sharedBlobByBlob.set(shared.blobObjectId, shared.id);
    }
  }

  get epoch(): number {
    return this.#state.epoch;
  }

  /** When the current epoch began (ms since 1970): with the duration, when later epochs begin. */
  get epochStartedAtMs(): number {
    return this.#state.epochStartedAtMs;
  }

  /** The sequence number the next event gets. */
  get nextEventSeq(): number {
    return this.#state.nextEventSeq;
  }

  get params(): ChainParams {
    return this.#state.params;
  }

  get committee(): Committee {
    return { ...this.#committee, epoch: this.#state.epoch };
  }

  onEvent(listener: (event: ChainEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ── accounts ──────────────────────────────────────────────────────────────────────────────────

  /** Devnet faucet: a new (or topped-up) account with the configured WAL and SUI. */
  fundAccount(address = randomObjectId()): Account {
    requireAddress(address);
    this.#newCoin(address, 'SUI', BigInt(this.params.faucetSui));
    this.#newCoin(address, 'WAL', BigInt(this.params.faucetWal));
    this.#commit();
    return { ...this.#state.accounts[address]! };
  }

  /** The faucet, as Sui's answers it: the new SUI and WAL coins, one of each. */
  faucet(address: string): { account: Account; coins: CoinRecord[] } {
    requireAddress(address);
    const coins = [
      this.#newCoin(address, 'SUI', BigInt(this.params.faucetSui)),
      this.#newCoin(address, 'WAL', BigInt(this.params.faucetWal)),
    ];
    this.#commit();
    return { account: { ...this.#state.accounts[address]! }, coins: coins.map((c) => ({ ...c })) };
  }

  // ── coins and object versions ─────────────────────────────────────────────────────────────────

  /** The coins an address owns, SUI first, then WAL, each in creation order. */
  coinsOf(owner: string): CoinRecord[] {
    const coins = Object.values(this.#state.coins!).filter((c) => c.owner === owner);
    return [...coins.filter((c) => c.kind === 'SUI'), ...coins.filter((c) => c.kind === 'WAL')].map((c) => ({
      ...c,
    }));
  }

  coin(id: string): CoinRecord | undefined {
    const coin = this.#state.coins![id];
    return coin && { ...coin };
  }

  /** The free storage resources an address owns. */
  storagesOf(owner: string): StorageRecord[] {
    return Object.values(this.#state.storages!)
      .filter((s) => s.owner === owner)
      .map((s) => ({ ...s }));
  }

  storage(id: string): StorageRecord | undefined {
    const storage = this.#state.storages![id];
    return storage && { ...storage };
  }

  /** The digest (hex) of the transaction that last changed an object, if any did. */
  previousTransactionOf(id: string): string | undefined {
    return this.#state.previousTransactions![id];
  }

  /** An object's version: 1 until a committed change touches it. */
  versionOf(id: string): number {
    return this.#state.versions![id] ?? 1;
  }

  /**
   * Runs `body` as one transaction: everything it changes is committed together (new versions, one
   * write to disk, then the events), or, when it throws, nothing is (the state is put back as it was).
   * `dryRun` always puts it back (a simulation). Returns what the transaction touched.
   */
  transact<T>(
    digestHex: string,
    body: () => T,
    options: { dryRun?: boolean } = {},
  ): { result: T; changes: Map<string, { change: ObjectChange; kind: ObjectKind; version: number }> } {
    if (this.#transaction) throw new Error('transactions do not nest');
    // Events are only ever appended (or the oldest dropped), never changed: a shallow copy of the list
    // is enough, and spares cloning up to MAX_EVENTS_KEPT of them per transaction.
    const saved = structuredClone({ ...this.#state, events: [] as ChainEvent[] });
    saved.events = this.#state.events.slice();
    this.#transaction = { digestHex };
    this.#touched = new Map();
    this.#pendingEvents = [];
    const rollback = () => {
      this.#state = saved;
      this.#touched = new Map();
      this.#pendingEvents = [];
      this.#rebuildIndexes();
    };
    try {
      const result = body();
      const version = this.#state.nextVersion!;
      const changes = new Map([...this.#touched].map(([id, t]) => [id, { ...t, version }] as const));
      this.#transaction = undefined;
      if (options.dryRun) rollback();
      else this.#commit(digestHex);
      return { result, changes };
    } catch (error) {
      this.#transaction = undefined;
      rollback();
      throw error;
    }
  }

  /** Takes `amount` out of a coin (Move's coin::split / balance::split), or throws. */
  withdraw(coinId: string, amount: bigint): void {
    const coin = this.#coinRecord(coinId);
    if (amount < 0n || BigInt(coin.balance) < amount) {
      throw new ChainError(
        402,
        'INSUFFICIENT_BALANCE',
        `coin ${coinId} holds ${coin.balance}, not ${amount}`,
      );
    }
    this.#setCoin(coin, BigInt(coin.balance) - amount);
  }

  /** SplitCoins: a new coin of `amount` taken from `coinId`, owned by the same owner. */
  splitCoin(coinId: string, amount: bigint): CoinRecord {
    const coin = this.#coinRecord(coinId);
    this.withdraw(coinId, amount);
    return { ...this.#newCoin(coin.owner, coin.kind, amount) };
  }

  /** MergeCoins: `sourceId`'s balance added to `destinationId`'s; the source is deleted. */
  mergeCoin(destinationId: string, sourceId: string): void {
    const destination = this.#coinRecord(destinationId);
    const source = this.#coinRecord(sourceId);
    if (destinationId === sourceId)
      throw new ChainError(400, 'INVALID_MERGE', 'a coin cannot merge into itself');
    if (destination.kind !== source.kind)
      throw new ChainError(400, 'INVALID_MERGE', 'coins of different types');
    this.#setCoin(destination, BigInt(destination.balance) + BigInt(source.balance));
    this.#deleteCoin(source);
  }

  /** coin::destroy_zero: deletes an empty coin; aborts on one holding anything. */
  destroyZeroCoin(coinId: string): void {
    const coin = this.#coinRecord(coinId);
    if (BigInt(coin.balance) !== 0n) {
      throw new ChainError(400, 'NON_ZERO_BALANCE', `coin ${coinId} still holds ${coin.balance}`);
    }
    this.#deleteCoin(coin);
  }

  /** TransferObjects of a coin, a blob or a free storage resource. */
  transferObject(objectId: string, recipient: string): void {
    requireAddress(recipient);
    const coin = this.#state.coins![objectId];
    const blob = this.#state.blobs[objectId];
    const storage = this.#state.storages![objectId];
    if (coin) {
      const from = coin.owner;
      coin.owner = recipient;
      this.#touch(coin.id, 'mutated', 'coin');
      this.#syncAccount(from);
      this.#syncAccount(recipient);
    } else if (blob && !blob.deleted && !this.#sharedBlobByBlob.has(objectId)) {
      blob.owner = recipient;
      this.#touch(blob.id, 'mutated', 'blob');
    } else if (storage) {
      storage.owner = recipient;
      this.#touch(storage.id, 'mutated', 'storage');
    } else throw new ChainError(404, 'OBJECT_NOT_FOUND', `no transferable object ${objectId}`);
    this.#commit();
  }

  /** A storage resource now owned by `owner` (delete_blob's result, once transferred). */
  keepStorage(storage: Omit<StorageRecord, 'owner'>, owner: string): void {
    requireAddress(owner);
    this.#state.storages![storage.id] = { ...storage, owner };
    this.#touch(storage.id, 'created', 'storage');
    this.#commit();
  }

  /**
   * system::reserve_space: storage for `encodedSize` bytes for `epochs` epochs from now, paid from a
   * WAL coin. The resource is a value of the transaction until register_blob puts it in a blob.
   */
  reserveSpace(encodedSize: bigint, epochs: number, paymentCoinId: string): Omit<StorageRecord, 'owner'> {
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > this.params.maxEpochsAhead) {
      throw new ChainError(400, 'INVALID_EPOCHS', `epochs must be 1..${this.params.maxEpochsAhead}`);
    }
    if (encodedSize < 0n || encodedSize > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ChainError(400, 'INVALID_SIZE', `storage size ${encodedSize} is out of range`);
    }
    const size = Number(encodedSize);
    this.#coinOfKind(paymentCoinId, 'WAL');
    this.withdraw(
      paymentCoinId,
      BigInt(storageUnits(size)) * BigInt(this.params.storagePricePerUnit) * BigInt(epochs),
    );
    return { id: randomObjectId(), startEpoch: this.epoch, endEpoch: this.epoch + epochs, storageSize: size };
  }

  /**
   * system::register_blob with a storage resource (from reserve_space): checks the blob ID against root
   * hash, size and encoding, the storage against the encoded size and the current epoch, and takes the
   * write cost from a WAL coin. The blob is owned by `sender` until transferred.
   */
  registerBlobWithStorage(input: {
    sender: string;
    storage: Omit<StorageRecord, 'owner'>;
    blobIdBytes: Uint8Array;
    rootHash: Uint8Array;
    size: bigint;
    encodingType: number;
    deletable: boolean;
    writePaymentCoinId: string;
  }): BlobObject {
    const { storage, size, encodingType } = input;
    if (encodingType !== RS2_ENCODING_TYPE)
      throw new ChainError(400, 'INVALID_ENCODING', 'only RS2 (1) is supported');
    if (size < 0n || size > BigInt(maxBlobSize(this.params.nShards))) {
      throw new ChainError(400, 'INVALID_SIZE', `size must be 0..${maxBlobSize(this.params.nShards)}`);
    }
    const derived = deriveBlobId(input.rootHash, Number(size), encodingType);
    if (bytesToHex(derived) !== bytesToHex(input.blobIdBytes)) {
      throw new ChainError(400, 'INVALID_BLOB_ID', 'the blob ID does not match root hash, size and encoding');
    }
    const encoded = encodedLength(Number(size), this.params.nShards);
    if (storage.storageSize < encoded) {
      throw new ChainError(
        400,
        'STORAGE_TOO_SMALL',
        `storage of ${storage.storageSize} bytes, the blob needs ${encoded}`,
      );
    }
    if (storage.startEpoch > this.epoch || storage.endEpoch <= this.epoch) {
      throw new ChainError(400, 'INVALID_STORAGE', 'the storage resource does not cover the current epoch');
    }
    this.#coinOfKind(input.writePaymentCoinId, 'WAL');
    this.withdraw(
      input.writePaymentCoinId,
      BigInt(storageUnits(encoded)) * BigInt(this.params.writePricePerUnit),
    );
    return this.#createBlob({
      owner: input.sender,
      blobIdBytes: derived,
      size: Number(size),
      encodingType,
      deletable: input.deletable,
      storage: { ...storage },
    });
  }

  /** Every account (copies). */
  accounts(): Account[] {
    return Object.values(this.#state.accounts).map((account) => ({ ...account }));
  }

  getAccount(address: string): Account {
    const account = this.#state.accounts[address];
    if (!account) throw new ChainError(404, 'ACCOUNT_NOT_FOUND', `no account ${address}`);
    return { ...account };
  }

  // ── blobs ─────────────────────────────────────────────────────────────────────────────────────

  quote(size: number, epochs: number) {
    this.#checkSizeAndEpochs(size, epochs);
    const cost = storageCost(size, this.params.nShards, epochs, this.#prices());
    return {
      ...cost,
      storage: cost.storage.toString(),
      write: cost.write.toString(),
      total: cost.total.toString(),
    };
  }

  /** reserve_space + register_blob in one transaction. The blob ID is derived, as the contract does. */
  registerBlob(input: {
    sender: string;
    rootHash: Uint8Array;
    size: number;
    epochs: number;
    deletable: boolean;
    encodingType?: number;
  }): BlobObject {
    const { sender, rootHash, size, epochs, deletable } = input;
    const encodingType = input.encodingType ?? RS2_ENCODING_TYPE;
    if (encodingType !== RS2_ENCODING_TYPE)
      throw new ChainError(400, 'INVALID_ENCODING', 'only RS2 (1) is supported');
    if (rootHash.length !== 32) throw new ChainError(400, 'INVALID_ROOT_HASH', 'root hash must be 32 bytes');
    this.#checkSizeAndEpochs(size, epochs);
    const cost = storageCost(size, this.params.nShards, epochs, this.#prices());
    this.#charge(sender, cost.total);
    return this.#createBlob({
      owner: sender,
      blobIdBytes: deriveBlobId(rootHash, size, encodingType),
      size,
      encodingType,
      deletable,
      storage: {
        id: randomObjectId(),
        startEpoch: this.epoch,
        endEpoch: this.epoch + epochs,
        storageSize: cost.units * 1024 * 1024,
      },
    });
  }

  #createBlob(input: {
    owner: string;
    blobIdBytes: Uint8Array;
    size: number;
    encodingType: number;
    deletable: boolean;
    storage: BlobObject['storage'];
  }): BlobObject {
    const { blobIdBytes, size, deletable } = input;
    const blob: BlobObject = {
      id: randomObjectId(),
      owner: input.owner,
      registeredEpoch: this.epoch,
      blobId: formatBlobId(blobIdBytes),
      blobIdU256: blobIdToU256(blobIdBytes).toString(),
      size,
      encodingType: input.encodingType,
      certifiedEpoch: null,
      storage: input.storage,
      deletable,
      deleted: false,
      attributes: {},
    };
    this.#state.blobs[blob.id] = blob;
    this.#index(blob);
    this.#touch(blob.id, 'created', 'blob');
    this.#emit('BlobRegistered', {
      objectId: blob.id,
      blobId: blob.blobId,
      size,
      endEpoch: blob.storage.endEpoch,
      deletable,
    });
    this.#commit();
    return snapshot(blob);
  }

  certifyBlob(objectId: string, certificate: CertificateInput): BlobObject {
    const blob = this.#liveBlob(objectId);
    if (blob.certifiedEpoch !== null) return snapshot(blob);
    let message;
    try {
      message = parseConfirmationMessage(certificate.serializedMessage);
    } catch {
      throw new ChainError(
        400,
        'INVALID_CERTIFICATE',
        'certificate message is not a BCS storage confirmation',
      );
    }
    if (message.intentType !== IntentType.blobCertification)
      throw new ChainError(400, 'INVALID_CERTIFICATE', 'wrong intent');
    if (message.epoch !== this.epoch) {
      throw new ChainError(
        400,
        'INVALID_CERTIFICATE',
        `certificate is for epoch ${message.epoch}, chain is at ${this.epoch}`,
      );
    }
    if (formatBlobId(message.blobId) !== blob.blobId)
      throw new ChainError(400, 'INVALID_CERTIFICATE', 'certificate is for another blob');
    const persistenceMatches =
      message.persistence.kind === 'deletable'
        ? blob.deletable && '0x' + bytesToHex(message.persistence.objectId) === blob.id
        : !blob.deletable;
    if (!persistenceMatches)
      throw new ChainError(
        400,
        'INVALID_CERTIFICATE',
        'certificate persistence type does not match the blob object',
      );
    const signers = [...new Set(certificate.signers)];
    if (signers.some((i) => !Number.isInteger(i) || i < 0 || i >= this.#committee.nodes.length)) {
      throw new ChainError(400, 'INVALID_CERTIFICATE', 'signer index out of range');
    }
    const weight = signers.reduce((sum, i) => sum + this.#committee.nodes[i]!.shards.length, 0);
    if (!isQuorum(weight, this.params.nShards)) {
      throw new ChainError(
        400,
        'NOT_ENOUGH_SIGNERS',
        `signers hold ${weight} shards; a quorum needs more than 2f`,
      );
    }
    const keys = signers.map((i) => this.#publicKeys[i]!);
    if (!blsVerifyAggregate(certificate.signature, certificate.serializedMessage, keys)) {
      throw new ChainError(400, 'INVALID_SIGNATURE', 'aggregate signature does not verify');
    }
    blob.certifiedEpoch = this.epoch;
    this.#touch(blob.id, 'mutated', 'blob');
    this.#emit('BlobCertified', {
      objectId: blob.id,
      blobId: blob.blobId,
      endEpoch: blob.storage.endEpoch,
      deletable: blob.deletable,
    });
    this.#commit();
    return snapshot(blob);
  }

  /** Extends a certified blob, paid by `sender`'s account, or (system::extend_blob) from a WAL coin. */
  extendBlob(objectId: string, sender: string, epochs: number, paymentCoinId?: string): BlobObject {
    return this.#extend(this.#liveBlob(objectId), epochs, (cost) => {
      if (paymentCoinId === undefined) this.#charge(sender, cost);
      else {
        this.#coinOfKind(paymentCoinId, 'WAL');
        this.withdraw(paymentCoinId, cost);
      }
    });
  }

  /** system::extend_blob's checks and effect, whoever pays the `cost` (FROST) it computes. */
  #extend(blob: BlobObject, epochs: number, pay: (cost: bigint) => void): BlobObject {
    if (blob.certifiedEpoch === null)
      throw new ChainError(400, 'NOT_CERTIFIED', 'only certified blobs can be extended');
    if (
      !Number.isInteger(epochs) ||
      epochs < 1 ||
      blob.storage.endEpoch + epochs - this.epoch > this.params.maxEpochsAhead
    ) {
      throw new ChainError(
        400,
        'INVALID_EPOCHS',
        `the end epoch may be at most ${this.params.maxEpochsAhead} ahead`,
      );
    }
    const units = BigInt(Math.ceil(blob.storage.storageSize / (1024 * 1024)));
    pay(units * BigInt(this.params.storagePricePerUnit) * BigInt(epochs));
    blob.storage.endEpoch += epochs;
    this.#touch(blob.id, 'mutated', 'blob');
    this.#emit('BlobExtended', { objectId: blob.id, blobId: blob.blobId, endEpoch: blob.storage.endEpoch });
    this.#commit();
    return snapshot(blob);
  }

  // ── shared blobs (walrus::shared_blob) ─────────────────────────────────────────────────────────

  /**
   * shared_blob::new / new_funded: wraps the sender's Blob (registered or certified: Move takes any) in a
   * new shared SharedBlob. The Blob is no object of its own any more (nobody can transfer, delete or
   * annotate it), but its blob ID keeps its status. `fundsCoinId`: a Coin<WAL> consumed as the funds.
   */
  shareBlob(objectId: string, sender: string, fundsCoinId?: string): SharedBlobRecord {
    const blob = this.#state.blobs[objectId];
    if (!blob || blob.deleted || this.#sharedBlobByBlob.has(objectId)) {
      throw new ChainError(404, 'OBJECT_NOT_FOUND', `no blob object ${objectId} of its own`);
    }
    if (blob.owner !== sender) throw new ChainError(403, 'NOT_OWNER', 'only the owner can share a blob');
    const shared: SharedBlobRecord = {
      id: randomObjectId(),
      blobObjectId: blob.id,
      funds: '0',
      // Shared at the version the change under way commits with (as Sui's initial_shared_version).
      initialSharedVersion: this.#state.nextVersion!,
    };
    this.#touch(blob.id, 'wrapped', 'blob');
    blob.owner = shared.id;
    this.#state.sharedBlobs![shared.id] = shared;
    this.#sharedBlobByBlob.set(blob.id, shared.id);
    this.#touch(shared.id, 'created', 'shared-blob');
    if (fundsCoinId !== undefined) this.#addFunds(shared, fundsCoinId);
    this.#commit();
    return { ...shared };
  }

  /** shared_blob::fund: the whole Coin<WAL> goes into the shared blob's funds (the coin is consumed). */
  fundSharedBlob(sharedBlobId: string, coinId: string): SharedBlobRecord {
    const shared = this.#sharedBlobRecord(sharedBlobId);
    this.#addFunds(shared, coinId);
    this.#commit();
    return { ...shared };
  }

  /**
   * shared_blob::extend: anyone may extend a shared blob, paid from its funds (system::extend_blob's
   * checks: certified, not expired, at most maxEpochsAhead).
   */
  extendSharedBlob(sharedBlobId: string, epochs: number): SharedBlobRecord {
    const shared = this.#sharedBlobRecord(sharedBlobId);
    this.#extend(this.#liveBlob(shared.blobObjectId), epochs, (cost) => {
      if (BigInt(shared.funds) < cost) {
        throw new ChainError(
          402,
          'INSUFFICIENT_FUNDS',
          `the shared blob holds ${shared.funds} FROST, extending costs ${cost}`,
        );
      }
      shared.funds = (BigInt(shared.funds) - cost).toString();
    });
    this.#touch(shared.id, 'mutated', 'shared-blob');
    this.#commit();
    return { ...shared };
  }

  sharedBlob(id: string): SharedBlobRecord | undefined {
    const shared = this.#state.sharedBlobs![id];
    return shared && { ...shared };
  }

  /** The shared blob a Blob object is wrapped in, if it is. */
  sharedBlobHolding(blobObjectId: string): SharedBlobRecord | undefined {
    const id = this.#sharedBlobByBlob.get(blobObjectId);
    return id === undefined ? undefined : this.sharedBlob(id);
  }

  #sharedBlobRecord(id: string): SharedBlobRecord {
    const shared = this.#state.sharedBlobs![id];
    if (!shared) throw new ChainError(404, 'OBJECT_NOT_FOUND', `no shared blob ${id}`);
    return shared;
  }

  #addFunds(shared: SharedBlobRecord, coinId: string): void {
    const coin = this.#coinOfKind(coinId, 'WAL');
    shared.funds = (BigInt(shared.funds) + BigInt(coin.balance)).toString();
    this.#deleteCoin(coin);
    this.#touch(shared.id, 'mutated', 'shared-blob');
  }

  deleteBlob(objectId: string, sender: string): BlobObject {
    const blob = this.#liveBlob(objectId);
    if (blob.owner !== sender) throw new ChainError(403, 'NOT_OWNER', 'only the owner can delete a blob');
    if (!blob.deletable) throw new ChainError(400, 'NOT_DELETABLE', 'the blob was registered as permanent');
    blob.deleted = true;
    this.#touch(blob.id, 'deleted', 'blob');
    this.#emit('BlobDeleted', {
      objectId: blob.id,
      blobId: blob.blobId,
      endEpoch: blob.storage.endEpoch,
      wasCertified: blob.certifiedEpoch !== null,
    });
    this.#commit();
    return snapshot(blob);
  }

  setAttributes(
    objectId: string,
    sender: string,
    set: Record<string, string>,
    remove: string[] = [],
  ): BlobObject {
    const blob = this.#liveBlob(objectId);
    if (blob.owner !== sender) throw new ChainError(403, 'NOT_OWNER', 'only the owner can change attributes');
    for (const key of remove) delete blob.attributes[key];
    Object.assign(blob.attributes, set);
    this.#touch(blob.id, 'mutated', 'blob');
    this.#commit();
    return snapshot(blob);
  }

  getBlob(objectId: string): BlobObject {
    const blob = this.#state.blobs[objectId];
    if (!blob) throw new ChainError(404, 'OBJECT_NOT_FOUND', `no blob object ${objectId}`);
    return snapshot(blob);
  }

  /** Blob objects carrying this blob ID, live or not. */
  blobsById(blobId: string): BlobObject[] {
    parseBlobId(blobId);
    return (this.#objectIdsByBlobId.get(blobId) ?? []).map((id) => snapshot(this.#state.blobs[id]!));
  }

  /** Aggregated status of a blob ID, as storage nodes report it. */
  blobStatus(blobId: string): BlobStatus {
    const live = this.blobsById(blobId).filter((b) => !b.deleted && b.storage.endEpoch > this.epoch);
    if (live.length === 0) return 'nonexistent';
    const certifiedEpochs = live.map((b) => b.certifiedEpoch).filter((e): e is number => e !== null);
    const initialCertifiedEpoch = certifiedEpochs.length ? Math.min(...certifiedEpochs) : null;
    const deletables = live.filter((b) => b.deletable);
    const deletableCounts = {
      count_deletable_total: deletables.length,
      count_deletable_certified: deletables.filter((b) => b.certifiedEpoch !== null).length,
    };
    const permanents = live.filter((b) => !b.deletable);
    if (permanents.length === 0) return { deletable: { initialCertifiedEpoch, deletableCounts } };
    // The event that last changed a permanent object of this ID (its registration, certification or
    // extension), named as Sui names events: the transaction's digest and the event's index in it.
    let latest: ChainEvent | undefined;
    for (const blob of permanents) {
      const event = this.#lastEventByObjectId.get(blob.id);
      if (event && (!latest || event.seq > latest.seq)) latest = event;
    }
    return {
      permanent: {
        endEpoch: Math.max(...permanents.map((b) => b.storage.endEpoch)),
        isCertified: permanents.some((b) => b.certifiedEpoch !== null),
        initialCertifiedEpoch,
        statusEvent: latest
          ? {
              txDigest: suiTransactionDigest(latest.txDigest),
              eventSeq: String(this.eventIndexInTransaction(latest.seq)),
            }
          : { txDigest: '', eventSeq: '0' },
        deletableCounts,
      },
    };
  }

  /**
   * An event's position among the events of its transaction (Sui's EventID.event_seq; a transaction's
   * events are consecutive in the chain's list). 0 for an event no longer kept.
   */
  eventIndexInTransaction(seq: number): number {
    const events = this.#state.events;
    let position = seq - (events[0]?.seq ?? 0);
    if (events[position]?.seq !== seq) position = events.findIndex((e) => e.seq === seq);
    if (position < 0) return 0;
    const digest = events[position]!.txDigest;
    let index = 0;
    while (position - index > 0 && events[position - index - 1]!.txDigest === digest) index++;
    return index;
  }

  /** True when some live object registers this ID (a node may then accept its metadata and slivers). */
  isRegistered(blobId: string): boolean {
    return this.blobStatus(blobId) !== 'nonexistent';
  }

  /** True when a live, certified object stores this ID (a node then serves it). */
  isCertified(blobId: string): boolean {
    const status = this.blobStatus(blobId);
    if (status === 'nonexistent') return false;
    if ('permanent' in status) {
      return status.permanent.isCertified || status.permanent.deletableCounts.count_deletable_certified > 0;
    }
    return status.deletable.deletableCounts.count_deletable_certified > 0;
  }

  // ── epochs and events ─────────────────────────────────────────────────────────────────────────

  advanceEpoch(): number {
    this.#startEpoch(Date.now());
    this.#commit();
    return this.#state.epoch;
  }

  /** Advances as many epochs as have elapsed by the clock (only with a configured epoch duration). */
  tick(now = Date.now()): void {
    const duration = this.params.epochDurationMs;
    if (duration <= 0 || now - this.#state.epochStartedAtMs < duration) return;
    // Each epoch starts when the previous one ended by the clock, not when tick() happened to run.
    while (now - this.#state.epochStartedAtMs >= duration) {
      this.#startEpoch(this.#state.epochStartedAtMs + duration);
    }
    this.#commit();
  }

  eventsAfter(seq: number, limit = 1000): ChainEvent[] {
    return this.#state.events.filter((e) => e.seq > seq).slice(0, limit);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────

  /** What registration accepts. A quote checks the same: no price for an impossible blob, no RangeError. */
  #checkSizeAndEpochs(size: number, epochs: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > maxBlobSize(this.params.nShards)) {
      throw new ChainError(400, 'INVALID_SIZE', `size must be 0..${maxBlobSize(this.params.nShards)}`);
    }
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > this.params.maxEpochsAhead) {
      throw new ChainError(400, 'INVALID_EPOCHS', `epochs must be 1..${this.params.maxEpochsAhead}`);
    }
  }

  #prices() {
    return {
      storagePricePerUnit: BigInt(this.params.storagePricePerUnit),
      writePricePerUnit: BigInt(this.params.writePricePerUnit),
    };
  }

  /** Takes gas in SUI and `wal` FROST from the sender's coins, or throws without taking anything. */
  #charge(sender: string, wal: bigint): void {
    const account = this.#state.accounts[sender];
    if (!account) throw new ChainError(404, 'ACCOUNT_NOT_FOUND', `no account ${sender}; fund it first`);
    const gas = BigInt(this.params.gasPerTransaction);
    if (BigInt(account.sui) < gas)
      throw new ChainError(402, 'INSUFFICIENT_GAS', `${sender} has too little SUI for gas`);
    if (BigInt(account.wal) < wal)
      throw new ChainError(402, 'INSUFFICIENT_WAL', `${sender} needs ${wal} FROST, has ${account.wal}`);
    this.#takeFromCoins(sender, 'SUI', gas);
    this.#takeFromCoins(sender, 'WAL', wal);
  }

  /** Takes `amount` from an owner's coins of a kind, largest first; emptied coins are deleted. */
  #takeFromCoins(owner: string, kind: CoinKind, amount: bigint): void {
    const coins = Object.values(this.#state.coins!)
      .filter((c) => c.owner === owner && c.kind === kind)
      .sort((a, b) => (BigInt(b.balance) > BigInt(a.balance) ? 1 : -1));
    for (const coin of coins) {
      if (amount === 0n) return;
      const take = BigInt(coin.balance) < amount ? BigInt(coin.balance) : amount;
      amount -= take;
      if (take === BigInt(coin.balance)) this.#deleteCoin(coin);
      else this.#setCoin(coin, BigInt(coin.balance) - take);
    }
  }

  #coinRecord(coinId: string): CoinRecord {
    const coin = this.#state.coins![coinId];
    if (!coin) throw new ChainError(404, 'OBJECT_NOT_FOUND', `no coin ${coinId}`);
    return coin;
  }

  #coinOfKind(coinId: string, kind: CoinKind): CoinRecord {
    const coin = this.#coinRecord(coinId);
    if (coin.kind !== kind)
      throw new ChainError(400, 'WRONG_COIN_TYPE', `coin ${coinId} is no Coin<${kind}>`);
    return coin;
  }

  #newCoin(owner: string, kind: CoinKind, amount: bigint): CoinRecord {
    const coin: CoinRecord = { id: randomObjectId(), owner, kind, balance: amount.toString() };
    this.#state.coins![coin.id] = coin;
    this.#touch(coin.id, 'created', 'coin');
    this.#syncAccount(owner);
    return coin;
  }

  #setCoin(coin: CoinRecord, balance: bigint): void {
    coin.balance = balance.toString();
    this.#touch(coin.id, 'mutated', 'coin');
    this.#syncAccount(coin.owner);
  }

  #deleteCoin(coin: CoinRecord): void {
    delete this.#state.coins![coin.id];
    this.#touch(coin.id, 'deleted', 'coin');
    this.#syncAccount(coin.owner);
  }

  /** An account's balances are the sums of its coins (the account exists once it has held one). */
  #syncAccount(owner: string): void {
    let sui = 0n;
    let wal = 0n;
    for (const coin of Object.values(this.#state.coins!)) {
      if (coin.owner !== owner) continue;
      if (coin.kind === 'SUI') sui += BigInt(coin.balance);
      else wal += BigInt(coin.balance);
    }
    this.#state.accounts[owner] = { address: owner, wal: wal.toString(), sui: sui.toString() };
  }

  #touch(id: string, change: ObjectChange, kind: ObjectKind): void {
    // A change to a wrapped blob is a change to the shared blob holding it (Sui sees only that one).
    const wrapper = this.#sharedBlobByBlob.get(id);
    if (wrapper !== undefined && change === 'mutated') {
      this.#touch(wrapper, 'mutated', 'shared-blob');
      return;
    }
    const earlier = this.#touched.get(id);
    // Created then deleted or wrapped within one change: it never existed outside it.
    if (earlier?.change === 'created' && (change === 'deleted' || change === 'wrapped'))
      this.#touched.delete(id);
    else if (earlier?.change === 'created') return;
    else this.#touched.set(id, { change, kind });
  }

  /** Ends a change (unless a transaction is under way): new versions, to disk, then the events. */
  #commit(digestHex?: string): void {
    if (this.#transaction) return;
    const version = this.#state.nextVersion!;
    if (this.#touched.size > 0) {
      // A change outside a transaction (the chain's HTTP API) gets a digest of its own.
      const digest = digestHex ?? this.#changeDigestHex ?? bytesToHex(randomBytes(32));
      for (const [id, { change }] of this.#touched) {
        if (change === 'deleted') {
          delete this.#state.versions![id];
          delete this.#state.previousTransactions![id];
        } else {
          this.#state.versions![id] = version;
          this.#state.previousTransactions![id] = digest;
        }
      }
      this.#state.nextVersion = version + 1;
    }
    this.#touched = new Map();
    this.#changeDigestHex = undefined;
    this.#persist();
    const events = this.#pendingEvents;
    this.#pendingEvents = [];
    for (const event of events) for (const listener of this.#listeners) listener(event);
  }

  #startEpoch(startedAtMs: number): void {
    this.#state.epoch += 1;
    this.#state.epochStartedAtMs = startedAtMs;
    this.#emit('EpochChangeDone', { epoch: this.#state.epoch });
  }

  #liveBlob(objectId: string): BlobObject {
    const blob = this.#state.blobs[objectId];
    if (!blob || blob.deleted)
      throw new ChainError(404, 'OBJECT_NOT_FOUND', `no live blob object ${objectId}`);
    if (blob.storage.endEpoch <= this.epoch)
      throw new ChainError(400, 'BLOB_EXPIRED', `blob object ${objectId} has expired`);
    return blob;
  }

  #emit(type: ChainEventType, data: ChainEvent['data']): void {
    const event: ChainEvent = {
      seq: this.#state.nextEventSeq++,
      type,
      epoch: this.epoch,
      txDigest: this.#transaction?.digestHex ?? (this.#changeDigestHex ??= bytesToHex(randomBytes(32))),
      timestampMs: Date.now(),
      data,
    };
    this.#state.events.push(event);
    this.#indexEvent(event);
    if (this.#state.events.length > MAX_EVENTS_KEPT)
      this.#state.events.splice(0, this.#state.events.length - MAX_EVENTS_KEPT);
    this.#pendingEvents.push(event);
  }

  #index(blob: BlobObject): void {
    const ids = this.#objectIdsByBlobId.get(blob.blobId);
    if (ids) ids.push(blob.id);
    else this.#objectIdsByBlobId.set(blob.blobId, [blob.id]);
  }

  #indexEvent(event: ChainEvent): void {
    if (typeof event.data.objectId === 'string') this.#lastEventByObjectId.set(event.data.objectId, event);
  }

  #persist(): void {
    if (!this.#path) return;
    mkdirSync(dirname(this.#path), { recursive: true });
    const tmp = `${this.#path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.#state));
    renameSync(tmp, this.#path);
  }
}

/** A deep copy: callers must not see later changes through a returned object, nor reach into the state. */
function snapshot(blob: BlobObject): BlobObject {
  return { ...blob, storage: { ...blob.storage }, attributes: { ...blob.attributes } };
}

/** A chain transaction digest (32 bytes, hex) as Sui writes transaction digests: base58. */
export function suiTransactionDigest(digestHex: string): string {
  return toBase58(hexToBytes(digestHex));
}

export function randomObjectId(): string {
  return '0x' + bytesToHex(randomBytes(32));
}

function requireAddress(address: string): void {
  if (!/^0x[0-9a-f]{64}$/.test(address))
    throw new ChainError(400, 'INVALID_ADDRESS', 'address must be 0x + 64 lowercase hex');
}
