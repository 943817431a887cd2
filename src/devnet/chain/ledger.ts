// The devnet chain: the part of Sui + the Walrus contracts a devnet needs. Accounts hold WAL and SUI;
// blobs are registered (paying storage + write), certified with a quorum certificate verified against the
// committee by shard weight, extended, deleted, given attributes; epochs advance; every change is an event.
// State is written to disk (atomically) before a call returns, so a killed devnet loses nothing.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { base64ToBytes, bytesToHex } from '../../protocol/base64.ts';
import { blobIdToU256, deriveBlobId, formatBlobId, parseBlobId } from '../../protocol/blob-id.ts';
import { blsVerifyAggregate } from '../../protocol/bls.ts';
import { isQuorum, parseConfirmationMessage } from '../../protocol/confirmation.ts';
import { IntentType } from '../../protocol/bcs.ts';
import { RS2_ENCODING_TYPE, maxBlobSize, storageCost } from '../../protocol/encoding.ts';
import type { Committee } from '../../network/committee.ts';
import type {
  Account,
  BlobObject,
  BlobStatus,
  ChainEvent,
  ChainEventType,
  ChainParams,
  ChainState,
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
  readonly #lastEventByBlobId = new Map<string, ChainEvent>();

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
    for (const blob of Object.values(this.#state.blobs)) this.#index(blob);
    for (const event of this.#state.events) this.#indexEvent(event);
    this.#persist();
  }

  get epoch(): number {
    return this.#state.epoch;
  }

  /** When the current epoch began (ms since 1970): with the duration, when later epochs begin. */
  get epochStartedAtMs(): number {
    return this.#state.epochStartedAtMs;
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
    const account = this.#state.accounts[address] ?? { address, wal: '0', sui: '0' };
    account.wal = (BigInt(account.wal) + BigInt(this.params.faucetWal)).toString();
    account.sui = (BigInt(account.sui) + BigInt(this.params.faucetSui)).toString();
    this.#state.accounts[address] = account;
    this.#persist();
    return { ...account };
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
    const blobIdBytes = deriveBlobId(rootHash, size, encodingType);
    const blob: BlobObject = {
      id: randomObjectId(),
      owner: sender,
      registeredEpoch: this.epoch,
      blobId: formatBlobId(blobIdBytes),
      blobIdU256: blobIdToU256(blobIdBytes).toString(),
      size,
      encodingType,
      certifiedEpoch: null,
      storage: {
        id: randomObjectId(),
        startEpoch: this.epoch,
        endEpoch: this.epoch + epochs,
        storageSize: cost.units * 1024 * 1024,
      },
      deletable,
      deleted: false,
      attributes: {},
    };
    this.#state.blobs[blob.id] = blob;
    this.#index(blob);
    this.#emit('BlobRegistered', {
      objectId: blob.id,
      blobId: blob.blobId,
      size,
      endEpoch: blob.storage.endEpoch,
      deletable,
    });
    this.#persist();
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
    this.#emit('BlobCertified', {
      objectId: blob.id,
      blobId: blob.blobId,
      endEpoch: blob.storage.endEpoch,
      deletable: blob.deletable,
    });
    this.#persist();
    return snapshot(blob);
  }

  extendBlob(objectId: string, sender: string, epochs: number): BlobObject {
    const blob = this.#liveBlob(objectId);
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
    this.#charge(sender, units * BigInt(this.params.storagePricePerUnit) * BigInt(epochs));
    blob.storage.endEpoch += epochs;
    this.#emit('BlobExtended', { objectId: blob.id, blobId: blob.blobId, endEpoch: blob.storage.endEpoch });
    this.#persist();
    return snapshot(blob);
  }

  deleteBlob(objectId: string, sender: string): BlobObject {
    const blob = this.#liveBlob(objectId);
    if (blob.owner !== sender) throw new ChainError(403, 'NOT_OWNER', 'only the owner can delete a blob');
    if (!blob.deletable) throw new ChainError(400, 'NOT_DELETABLE', 'the blob was registered as permanent');
    blob.deleted = true;
    this.#emit('BlobDeleted', {
      objectId: blob.id,
      blobId: blob.blobId,
      endEpoch: blob.storage.endEpoch,
      wasCertified: blob.certifiedEpoch !== null,
    });
    this.#persist();
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
    this.#persist();
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
    const latest = this.#lastEventByBlobId.get(blobId);
    return {
      permanent: {
        endEpoch: Math.max(...permanents.map((b) => b.storage.endEpoch)),
        isCertified: permanents.some((b) => b.certifiedEpoch !== null),
        initialCertifiedEpoch,
        statusEvent: { txDigest: latest?.txDigest ?? '', eventSeq: String(latest?.seq ?? 0) },
        deletableCounts,
      },
    };
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
    this.#persist();
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
    this.#persist();
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

  /** Takes gas in SUI and `wal` FROST, or throws without taking anything. */
  #charge(sender: string, wal: bigint): void {
    const account = this.#state.accounts[sender];
    if (!account) throw new ChainError(404, 'ACCOUNT_NOT_FOUND', `no account ${sender}; fund it first`);
    const gas = BigInt(this.params.gasPerTransaction);
    if (BigInt(account.sui) < gas)
      throw new ChainError(402, 'INSUFFICIENT_GAS', `${sender} has too little SUI for gas`);
    if (BigInt(account.wal) < wal)
      throw new ChainError(402, 'INSUFFICIENT_WAL', `${sender} needs ${wal} FROST, has ${account.wal}`);
    account.sui = (BigInt(account.sui) - gas).toString();
    account.wal = (BigInt(account.wal) - wal).toString();
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
      txDigest: bytesToHex(randomBytes(32)),
      timestampMs: Date.now(),
      data,
    };
    this.#state.events.push(event);
    this.#indexEvent(event);
    if (this.#state.events.length > MAX_EVENTS_KEPT)
      this.#state.events.splice(0, this.#state.events.length - MAX_EVENTS_KEPT);
    for (const listener of this.#listeners) listener(event);
  }

  #index(blob: BlobObject): void {
    const ids = this.#objectIdsByBlobId.get(blob.blobId);
    if (ids) ids.push(blob.id);
    else this.#objectIdsByBlobId.set(blob.blobId, [blob.id]);
  }

  #indexEvent(event: ChainEvent): void {
    if (typeof event.data.blobId === 'string') this.#lastEventByBlobId.set(event.data.blobId, event);
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

export function randomObjectId(): string {
  return '0x' + bytesToHex(randomBytes(32));
}

function requireAddress(address: string): void {
  if (!/^0x[0-9a-f]{64}$/.test(address))
    throw new ChainError(400, 'INVALID_ADDRESS', 'address must be 0x + 64 lowercase hex');
}
