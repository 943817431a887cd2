// What a Sui full node knows of a Walrus devnet: the Walrus objects (System, Staking, their inner states,
// StakingPools; the chain's Blob objects and their attributes fields, its shared blobs) and the chain's events as Walrus
// Move events. One model, served twice: in process by the Sui stand-in client (sui-standin.ts) and over
// grpc-web by the devnet's Sui endpoint (sui-grpc-server.ts).
import type { Committee } from '../../network/committee.ts';
import type { ChainAccount, ChainBlobObject, ChainEvent } from '../../network/devnet-chain-client.ts';
import type { CoinRecord, SharedBlobRecord, StorageRecord } from '../chain/types.ts';
import { blobMetadataFieldId } from '../../network/sui/walrus-objects.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { normalizeStructTag, normalizeSuiAddress, toBase58 } from '@mysten/sui/utils';
import { hexToBytes } from '../../protocol/base64.ts';
import { moveEventOf, type MoveEvent } from './move-events.ts';
import { SUI_COIN_TYPE, suiIds, type SuiIds } from './sui-ids.ts';
import {
  blobMetadataFieldObject,
  blobObject,
  checkCommittee,
  coinObject,
  committeeObjects,
  sharedBlobObject,
  storageObject,
  type StoredObject,
} from './walrus-sui-objects.ts';

/** Where the devnet chain stands now: its epoch and timetable. */
export interface ChainClock {
  epoch: number;
  /** When the current epoch began (and its change was done). */
  epochStartedAtMs: number;
  /** Staking's timetable: epoch e begins no earlier than first + (e - 1) × duration. */
  firstEpochStartMs: number;
  epochDurationMs: number;
}

/** What the state reads from the devnet chain, where it was given access. */
export interface ChainFeeds {
  /** The chain's events after sequence number `after`, at most `limit`, in order. */
  chainEvents?: (after: number, limit: number) => Promise<ChainEvent[]>;
  /** A chain blob object by object ID, undefined when unknown. */
  chainBlob?: (objectId: string) => Promise<ChainBlobObject | undefined>;
  /** An account's balances, undefined when unknown. */
  chainAccount?: (address: string) => Promise<ChainAccount | undefined>;
  /**
   * The chain's coin objects, where it has them (the devnet ledger): an owner's, and one by ID. Without
   * them, an account's balances are shown as one coin per type (a read-only view).
   */
  chainCoins?: (owner: string) => Promise<CoinRecord[]>;
  chainCoin?: (coinId: string) => Promise<CoinRecord | undefined>;
  /** A free storage resource (delete_blob's), by ID, and an owner's. */
  chainStorage?: (id: string) => Promise<StorageRecord | undefined>;
  chainStorages?: (owner: string) => Promise<StorageRecord[]>;
  /**
   * A shared blob by ID. A Blob object whose owner is a shared blob is wrapped in it: Sui serves it
   * only inside that shared blob, never as an object of its own.
   */
  chainSharedBlob?: (id: string) => Promise<SharedBlobRecord | undefined>;
  /** An event's position among its transaction's events (by sequence number); default 0. */
  chainEventIndex?: (seq: number) => number;
  /** An object's version on the chain (1 when it never changed). */
  chainVersion?: (objectId: string) => number;
  /** The transaction (32 bytes, hex) that last changed an object, if one did. */
  chainPreviousTransaction?: (objectId: string) => string | undefined;
}

export interface SuiStateOptions extends ChainFeeds {
  committee: Committee;
  /** Staking's `previous_committee`; default `committee` itself. */
  previousCommittee?: Committee;
  storagePricePerUnit: bigint;
  writePricePerUnit: bigint;
  epochState?: 'EpochChangeDone' | 'EpochChangeSync';
  /** The chain's clock, read on every request; default: `committee.epoch`, begun now, 24 h epochs. */
  clock?: () => ChainClock;
  /** Object-ID namespace (see suiIds); default the stand-in's fixed IDs. */
  seed?: string;
}

/** An object as served: the stored type, owner and contents, with its ID, version and digest. */
export interface ServedObject extends StoredObject {
  objectId: string;
  /** 1 until a transaction changes it (the chain's version of the object). */
  version: bigint;
  /** base58 of 32 bytes: the SHA-256 of version and contents, so it changes when either does. */
  digest: string;
  previousTransaction: string;
  /** Coins: the balance they hold. */
  balance?: bigint;
}

export interface EventQuery {
  /** Exclusive bounds on the chain's sequence numbers. */
  after?: number;
  before?: number;
  descending: boolean;
  limit: number;
  matches: (event: MoveEvent) => boolean;
}

export interface EventPage {
  events: MoveEvent[];
  /** The chain positions looked at, first and last in the query's order (matching or not). */
  scannedFrom: number | undefined;
  scannedTo: number | undefined;
  /** No further matching event exists in that direction (now). */
  exhausted: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE = 1000;

export class SuiState {
  readonly ids: SuiIds;
  readonly #options: SuiStateOptions;
  readonly #clock: () => ChainClock;
  #committeeObjects: { key: string; objects: Map<string, StoredObject> } | undefined;
  /** Attribute-field ID → its blob object, learned as blob objects are served or from the events. */
  readonly #metadataFieldOwners = new Map<string, string>();
  /** The last chain event #learnBlobObjects has read. */
  #learnedSeq = -1;
  /** Every blob object ID the chain's events named, in registration order. */
  readonly #blobIds: string[] = [];
  /** Coin ID → whose balance of which type it shows (learned as owned objects are listed). */
  readonly #coins = new Map<string, { owner: string; coinType: string }>();

  constructor(options: SuiStateOptions) {
    checkCommittee(options.committee);
    const previous = options.previousCommittee;
    if (previous && previous !== options.committee) {
      checkCommittee(previous);
      if (previous.nShards !== options.committee.nShards) {
        throw new RangeError(
          `previous committee has ${previous.nShards} shards, committee ${options.committee.nShards}`,
        );
      }
    }
    this.#options = options;
    this.ids = suiIds(options.seed);
    const startedAt = Date.now();
    const fixed: ChainClock = {
      epoch: options.committee.epoch,
      epochStartedAtMs: startedAt,
      firstEpochStartMs: startedAt,
      epochDurationMs: DAY_MS,
    };
    this.#clock = options.clock ?? (() => fixed);
    // Fail now, not on the first request, on a committee the objects cannot express.
    this.#staticObjects();
  }

  get clock(): ChainClock {
    return this.#clock();
  }

  /** The WAL coin type (what GetFunction's stake_with_pool takes). */
  get walType(): string {
    return `${this.ids.walPackageId}::wal::WAL`;
  }

  #staticObjects(): Map<string, StoredObject> {
    const clock = this.#clock();
    const key = JSON.stringify(clock);
    if (this.#committeeObjects?.key !== key) {
      const options = this.#options;
      this.#committeeObjects = {
        key,
        objects: committeeObjects({
          ids: this.ids,
          committee: options.committee,
          previousCommittee: options.previousCommittee ?? options.committee,
          epoch: clock.epoch,
          storagePricePerUnit: options.storagePricePerUnit,
          writePricePerUnit: options.writePricePerUnit,
          epochState: options.epochState ?? 'EpochChangeDone',
          epochStartedAtMs: clock.epochStartedAtMs,
          firstEpochStartMs: clock.firstEpochStartMs,
          epochDurationMs: clock.epochDurationMs,
        }),
      };
    }
    return this.#committeeObjects.objects;
  }

  /** An object by ID as Sui would serve it now, or undefined if it does not exist. */
  async object(objectId: string): Promise<ServedObject | undefined> {
    const id = normalizeSuiAddress(objectId);
    if (this.#options.chainCoin) {
      const record = await this.#options.chainCoin(id);
      if (record) return this.#servedCoin(record);
    }
    const coin = this.#coins.get(id);
    if (coin) return (await this.#coinsOf(coin.owner)).find((c) => c.objectId === id);
    const storage = await this.#options.chainStorage?.(id);
    if (storage) return this.#served(id, storageObject(this.ids, storage));
    const shared = await this.#sharedBlob(id);
    if (shared) return this.#served(id, shared);
    const stored = this.#staticObjects().get(id) ?? (await this.#chainObject(id));
    return stored && this.#served(id, stored);
  }

  /** The Move type of a coin kind. */
  coinType(kind: CoinRecord['kind']): string {
    return normalizeStructTag(kind === 'SUI' ? SUI_COIN_TYPE : this.walType);
  }

  #servedCoin(record: CoinRecord): ServedObject {
    const id = normalizeSuiAddress(record.id);
    const balance = BigInt(record.balance);
    return this.#served(id, coinObject(id, record.owner, this.coinType(record.kind), balance), balance);
  }

  #served(objectId: string, stored: StoredObject, balance?: bigint): ServedObject {
    const version = BigInt(this.#options.chainVersion?.(objectId) ?? 1);
    const versioned = new Uint8Array(8 + stored.content.length);
    new DataView(versioned.buffer).setBigUint64(0, version, true);
    versioned.set(stored.content, 8);
    return {
      ...stored,
      objectId,
      version,
      digest: toBase58(sha256(versioned)),
      previousTransaction:
        previousTransaction(this.#options.chainPreviousTransaction?.(objectId)) ?? this.ids.genesisDigest,
      ...(balance === undefined ? {} : { balance }),
    };
  }

  /**
   * The objects an address owns: its coins (the chain's coin objects where it has them, else one
   * Coin<SUI> and one Coin<WAL> holding the whole balance, a read-only view of the accounts), its live
   * Blob objects and its free storage resources, in that order.
   */
  async ownedObjects(owner: string): Promise<ServedObject[]> {
    const address = normalizeSuiAddress(owner);
    const owned = await this.#coinsOf(address);
    if (this.#options.chainBlob) {
      await this.#learnBlobObjects();
      for (const blobId of this.#blobIds) {
        const blob = await this.#options.chainBlob(blobId);
        if (
          blob &&
          !blob.deleted &&
          normalizeSuiAddress(blob.owner) === address &&
          !(await this.#wrapped(blob))
        ) {
          owned.push(this.#served(normalizeSuiAddress(blob.id), blobObject(this.ids, blob)));
        }
      }
    }
    for (const storage of (await this.#options.chainStorages?.(address)) ?? []) {
      owned.push(this.#served(normalizeSuiAddress(storage.id), storageObject(this.ids, storage)));
    }
    return owned;
  }

  async #coinsOf(address: string): Promise<ServedObject[]> {
    if (this.#options.chainCoins) {
      return (await this.#options.chainCoins(address)).map((record) => this.#servedCoin(record));
    }
    const account = await this.account(address);
    if (!account) return [];
    const coins = [];
    for (const [coinType, amount] of [
      [normalizeStructTag(SUI_COIN_TYPE), account.sui],
      [normalizeStructTag(this.walType), account.wal],
    ] as const) {
      const balance = BigInt(amount);
      if (balance === 0n) continue;
      const id = this.ids.id(`coin ${address} ${coinType}`);
      this.#coins.set(id, { owner: address, coinType });
      coins.push(this.#served(id, coinObject(id, address, coinType, balance), balance));
    }
    return coins;
  }

  async account(address: string): Promise<ChainAccount | undefined> {
    return this.#options.chainAccount?.(normalizeSuiAddress(address));
  }

  get servesEvents(): boolean {
    return this.#options.chainEvents !== undefined;
  }

  /** Every chain event after `after`, read in pages. */
  async #chainEventsAfter(after: number): Promise<ChainEvent[]> {
    const source = this.#options.chainEvents;
    if (!source) return [];
    const all: ChainEvent[] = [];
    for (;;) {
      const page = await source(after, PAGE);
      all.push(...page);
      if (page.length < PAGE) return all;
      after = page.at(-1)!.seq;
    }
  }

  /** Reads the chain's new events for the blob objects they name (and their attributes fields' IDs). */
  async #learnBlobObjects(): Promise<void> {
    for (const event of await this.#chainEventsAfter(this.#learnedSeq)) {
      // Two requests may have read the same events at once: each is learned once.
      if (event.seq <= this.#learnedSeq) continue;
      this.#learnedSeq = event.seq;
      if (event.type === 'BlobRegistered' && event.data.objectId) {
        this.#blobIds.push(event.data.objectId);
        this.#metadataFieldOwners.set(
          normalizeSuiAddress(blobMetadataFieldId(event.data.objectId)),
          event.data.objectId,
        );
      }
    }
  }

  /** A devnet blob object, or its attributes field, as Sui would store it; undefined if none. */
  async #chainObject(objectId: string): Promise<StoredObject | undefined> {
    const chainBlob = this.#options.chainBlob;
    if (!chainBlob) return undefined;
    // A field asked for before its blob (the SDK's getDynamicField does that): learn the owners of
    // every attributes field from the chain's events, which name every blob object.
    if (!this.#metadataFieldOwners.has(objectId)) await this.#learnBlobObjects();
    const owner = this.#metadataFieldOwners.get(objectId);
    const blob = await chainBlob(owner ?? objectId);
    if (!blob || blob.deleted) return undefined;
    // A wrapped blob's attributes field stays an object of its own (it belongs to the blob's UID).
    if (owner) return blobMetadataFieldObject(this.ids, blob, objectId);
    if (await this.#wrapped(blob)) return undefined;
    this.#metadataFieldOwners.set(normalizeSuiAddress(blobMetadataFieldId(blob.id)), blob.id);
    return blobObject(this.ids, blob);
  }

  /** A shared blob as Sui stores it, with the Blob it wraps; undefined if `id` is none. */
  async #sharedBlob(id: string): Promise<StoredObject | undefined> {
    const shared = await this.#options.chainSharedBlob?.(id);
    const blob = shared && (await this.#options.chainBlob?.(shared.blobObjectId));
    return shared && blob ? sharedBlobObject(this.ids, shared, blob) : undefined;
  }

  async #wrapped(blob: ChainBlobObject): Promise<boolean> {
    return (await this.#options.chainSharedBlob?.(normalizeSuiAddress(blob.owner))) !== undefined;
  }

  /** The chain's events as Walrus Move events, matching the query, up to its limit. */
  async events(query: EventQuery): Promise<EventPage> {
    const source = this.#options.chainEvents;
    if (!source) return { events: [], scannedFrom: undefined, scannedTo: undefined, exhausted: true };
    const before = query.before ?? Infinity;
    const events: MoveEvent[] = [];
    let scannedFrom: number | undefined;
    let scannedTo: number | undefined;
    const consider = (event: ChainEvent): boolean => {
      // true: the page is full and one more match exists beyond it.
      const entry = moveEventOf(this.ids, event, this.#options.chainEventIndex?.(event.seq));
      if (entry && query.matches(entry)) {
        if (events.length === query.limit) return true;
        events.push(entry);
      }
      scannedFrom ??= event.seq;
      scannedTo = event.seq;
      return false;
    };
    if (query.descending) {
      const all = (await this.#chainEventsAfter(query.after ?? -1)).filter((event) => event.seq < before);
      for (let i = all.length - 1; i >= 0; i--) {
        if (consider(all[i]!)) return { events, scannedFrom, scannedTo, exhausted: false };
      }
      return { events, scannedFrom, scannedTo, exhausted: true };
    }
    let after = query.after ?? -1;
    for (;;) {
      const page = await source(after, PAGE);
      for (const event of page) {
        if (event.seq >= before) return { events, scannedFrom, scannedTo, exhausted: true };
        if (consider(event)) return { events, scannedFrom, scannedTo, exhausted: false };
      }
      if (page.length < PAGE) return { events, scannedFrom, scannedTo, exhausted: true };
      after = page.at(-1)!.seq;
    }
  }
}

function previousTransaction(hex: string | undefined): string | undefined {
  return hex && /^[0-9a-f]{64}$/.test(hex) ? toBase58(hexToBytes(hex)) : undefined;
}
