// A Sui stand-in for the devnet: just enough of a Sui client for the official `@mysten/walrus` SDK to
// discover the devnet's committee (DESIGN §7). The SDK reads Sui only through `core.getObjects`, so
// we serve the objects it walks — System → SystemStateInnerV1, Staking → StakingInnerV1, one
// StakingPool per node — BCS-encoded exactly as the chain would store them. Given access to the devnet
// chain it also serves its blob objects (Blob + `metadata` field) and its events as Walrus Move events,
// so the edge's Sui code paths run against a devnet. Everything else (coins, transactions) rejects:
// registering and certifying blobs cannot run against a stand-in.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bcs } from '@mysten/sui/bcs';
import { BaseClient, CoreClient, ObjectError, type SuiClientTypes } from '@mysten/sui/client';
import { deriveDynamicFieldID, normalizeSuiAddress, normalizeSuiObjectId, toBase58 } from '@mysten/sui/utils';
import type { Committee, CommitteeNode } from '../network/committee.ts';
import type { ChainBlobObject, ChainEvent } from '../network/devnet-chain-client.ts';
import { BlobCertifiedEvent, BlobDeletedEvent, EpochEvent } from '../network/sui/walrus-events.ts';
import { u256OfBlobId } from '../protocol/blob-id.ts';
import {
  BLOB_METADATA_KEY,
  BlobMetadataField,
  Blob,
  blobMetadataFieldId,
  Field,
  innerStateFieldId,
  StakingInnerV1,
  StakingPool,
  Staking,
  System,
  SystemStateInnerV1,
  uncompressedG1,
} from '../network/sui/walrus-objects.ts';
import { base64ToBytes, bytesToHex } from '../protocol/base64.ts';

export interface SuiStandInOptions {
  /** FROST per storage unit (1 MiB encoded) per epoch. */
  storagePricePerUnit?: bigint;
  /** FROST per storage unit, paid once at registration. */
  writePricePerUnit?: bigint;
  /** What `client.network` reports; the SDK only passes it along. Default `localnet`. */
  network?: string;
  /**
   * Staking's `epoch_state`. Default `EpochChangeDone`; with `EpochChangeSync` (shards still moving to
   * `committee` from `previousCommittee`) the SDK asks nodes for each blob's status before reading.
   */
  epochState?: 'EpochChangeDone' | 'EpochChangeSync';
  /**
   * Staking's `previous_committee` (epoch - 1); default `committee` itself. Its nodes that are not in
   * `committee` get StakingPool objects too, as nodes that left the committee keep theirs on chain.
   */
  previousCommittee?: Committee;
  /**
   * The devnet chain's events (e.g. `DevnetChainClient.events`), served by `core.listEvents` as the
   * Walrus Move events Sui would carry; without it listEvents is unsupported.
   */
  chainEvents?: (after: number, limit: number) => Promise<ChainEvent[]>;
  /**
   * The devnet chain's blob objects by object ID (e.g. `DevnetChainClient.blob`, undefined when
   * unknown), served by `core.getObjects` as Walrus `Blob` objects with their `metadata` field.
   */
  chainBlob?: (objectId: string) => Promise<ChainBlobObject | undefined>;
}

/** What the stand-in reads from the devnet chain, where it was given access. */
type ChainFeeds = Pick<SuiStandInOptions, 'chainEvents' | 'chainBlob'>;

export interface SuiStandIn {
  /** Pass as `suiClient` to `new WalrusClient(...)`. */
  client: SuiStandInClient;
  systemObjectId: string;
  stakingPoolId: string;
}

// Arbitrary non-zero prices, so cost arithmetic is exercised even when a caller does not care.
const DEFAULT_STORAGE_PRICE = 100_000n;
const DEFAULT_WRITE_PRICE = 20_000n;
const EPOCH_DURATION_MS = 24n * 60n * 60n * 1000n;
// The chain's future-accounting ring has one slot per epoch a blob may be stored ahead (53 on mainnet).
const MAX_EPOCHS_AHEAD = 53;
const NODE_CAPACITY = 1n << 40n;
// Not 1, so that a reader which skips System.version and assumes the first version fails here too.
const INNER_STATE_VERSION = 2n;

/** Deterministic, collision-free object IDs for the stand-in's own objects (not the nodes' IDs). */
function standInId(label: string): string {
  return `0x${bytesToHex(sha256(new TextEncoder().encode(`walrus-edge sui stand-in: ${label}`)))}`;
}

const FRAMEWORK = normalizeSuiAddress('0x2');
const PACKAGE_ID = standInId('walrus package');
const SYSTEM_OBJECT_ID = standInId('system');
const STAKING_OBJECT_ID = standInId('staking');
// Any transaction digest will do: the SDK asks for it (getDynamicField) but never looks it up.
const GENESIS_DIGEST = toBase58(sha256(new TextEncoder().encode('walrus-edge sui stand-in: genesis')));

/** One object as the stand-in serves it: `content` is the Move struct's BCS bytes. */
export interface StoredObject {
  type: string;
  owner: SuiClientTypes.ObjectOwner;
  content: Uint8Array;
}

export function createSuiStandIn(committee: Committee, options: SuiStandInOptions = {}): SuiStandIn {
  checkCommittee(committee);
  const previous = options.previousCommittee ?? committee;
  if (previous !== committee) {
    checkCommittee(previous);
    if (previous.nShards !== committee.nShards) {
      throw new RangeError(
        `previous committee has ${previous.nShards} shards, committee ${committee.nShards}`,
      );
    }
  }
  const objects = new Map<string, StoredObject>();
  const put = (id: string, object: StoredObject) => objects.set(normalizeSuiObjectId(id), object);
  const shared: SuiClientTypes.ObjectOwner = { $kind: 'Shared', Shared: { initialSharedVersion: '1' } };
  const storagePrice = options.storagePricePerUnit ?? DEFAULT_STORAGE_PRICE;
  const writePrice = options.writePricePerUnit ?? DEFAULT_WRITE_PRICE;
  const now = BigInt(Date.now());

  put(SYSTEM_OBJECT_ID, {
    type: `${PACKAGE_ID}::system::System`,
    owner: shared,
    content: System.serialize({
      id: SYSTEM_OBJECT_ID,
      version: INNER_STATE_VERSION,
      package_id: PACKAGE_ID,
      new_package_id: null,
    }).toBytes(),
  });
  put(STAKING_OBJECT_ID, {
    type: `${PACKAGE_ID}::staking::Staking`,
    owner: shared,
    content: Staking.serialize({
      id: STAKING_OBJECT_ID,
      version: INNER_STATE_VERSION,
      package_id: PACKAGE_ID,
      new_package_id: null,
    }).toBytes(),
  });

  const keys = committee.nodes.map((node) => base64ToBytes(node.blsPublicKey));
  const systemInnerId = innerStateFieldId(SYSTEM_OBJECT_ID, INNER_STATE_VERSION);
  put(systemInnerId, {
    type: `${FRAMEWORK}::dynamic_field::Field<u64, ${PACKAGE_ID}::system_state_inner::SystemStateInnerV1>`,
    owner: { $kind: 'ObjectOwner', ObjectOwner: SYSTEM_OBJECT_ID },
    content: Field(bcs.u64(), SystemStateInnerV1)
      .serialize({
        id: systemInnerId,
        name: INNER_STATE_VERSION,
        value: {
          committee: {
            // Member order is the signer order in certificates; it must match the staking committee's.
            members: committee.nodes.map((node, i) => ({
              public_key: { bytes: uncompressedG1(keys[i]!) },
              weight: node.shards.length,
              node_id: node.nodeId,
            })),
            n_shards: committee.nShards,
            epoch: committee.epoch,
            total_aggregated_key: { bytes: bls12_381.longSignatures.aggregatePublicKeys(keys).toBytes(true) },
          },
          total_capacity_size: NODE_CAPACITY * BigInt(committee.nodes.length),
          used_capacity_size: 0n,
          storage_price_per_unit_size: storagePrice,
          write_price_per_unit_size: writePrice,
          future_accounting: {
            current_index: 0,
            length: MAX_EPOCHS_AHEAD,
            ring_buffer: Array.from({ length: MAX_EPOCHS_AHEAD }, (_, ahead) => ({
              epoch: committee.epoch + ahead,
              used_capacity: 0n,
              rewards_to_distribute: { value: 0n },
            })),
          },
          event_blob_certification_state: {
            latest_certified_blob: null,
            aggregate_weight_per_blob: { contents: [] },
          },
          deny_list_sizes: { id: standInId('deny list sizes') },
        },
      })
      .toBytes(),
  });

  const poolsTableId = standInId('staking pools');
  // The devnet's committee never changes, so by default the previous epoch had the same one.
  const shardMap = (of: Committee) =>
    [{ contents: of.nodes.map((node) => ({ key: node.nodeId, value: node.shards })) }] as const;
  const stakingInnerId = innerStateFieldId(STAKING_OBJECT_ID, INNER_STATE_VERSION);
  put(stakingInnerId, {
    type: `${FRAMEWORK}::dynamic_field::Field<u64, ${PACKAGE_ID}::staking_inner::StakingInnerV1>`,
    owner: { $kind: 'ObjectOwner', ObjectOwner: STAKING_OBJECT_ID },
    content: Field(bcs.u64(), StakingInnerV1)
      .serialize({
        id: stakingInnerId,
        name: INNER_STATE_VERSION,
        value: {
          n_shards: committee.nShards,
          epoch_duration: EPOCH_DURATION_MS,
          first_epoch_start: now,
          pools: { id: poolsTableId, size: BigInt(committee.nodes.length) },
          epoch: committee.epoch,
          active_set: { id: standInId('active set') },
          next_committee: null,
          committee: shardMap(committee),
          previous_committee: shardMap(previous),
          next_epoch_params: null,
          // By default not EpochChangeSync: then the SDK would ask nodes for every blob's status first.
          epoch_state:
            options.epochState === 'EpochChangeSync' ? { EpochChangeSync: 0 } : { EpochChangeDone: now },
          next_epoch_public_keys: { id: standInId('next epoch public keys') },
        },
      })
      .toBytes(),
  });

  const current = new Set(committee.nodes.map((node) => node.nodeId));
  const poolOwners = [...committee.nodes, ...previous.nodes.filter((node) => !current.has(node.nodeId))];
  poolOwners.forEach((node) => {
    // Pools live in an ObjectTable, i.e. each is owned by a dynamic-object-field wrapper of the table.
    const wrapperId = deriveDynamicFieldID(
      poolsTableId,
      `${FRAMEWORK}::dynamic_object_field::Wrapper<${FRAMEWORK}::object::ID>`,
      bcs.Address.serialize(node.nodeId).toBytes(),
    );
    put(node.nodeId, {
      type: `${PACKAGE_ID}::staking_pool::StakingPool`,
      owner: { $kind: 'ObjectOwner', ObjectOwner: wrapperId },
      content: stakingPoolBytes(
        node,
        uncompressedG1(base64ToBytes(node.blsPublicKey)),
        committee.epoch,
        storagePrice,
        writePrice,
      ),
    });
  });

  const client = new SuiStandInClient(options.network ?? 'localnet', objects, options);
  return { client, systemObjectId: SYSTEM_OBJECT_ID, stakingPoolId: STAKING_OBJECT_ID };
}

function stakingPoolBytes(
  node: CommitteeNode,
  publicKey: Uint8Array,
  epoch: number,
  storagePrice: bigint,
  writePrice: bigint,
): Uint8Array {
  const label = (what: string) => standInId(`node ${node.nodeId} ${what}`);
  const noPending = [{ contents: [] }] as const;
  return StakingPool.serialize({
    id: node.nodeId,
    state: { Active: true },
    voting_params: { storage_price: storagePrice, write_price: writePrice, node_capacity: NODE_CAPACITY },
    node_info: {
      name: node.name,
      node_id: node.nodeId,
      network_address: networkAddress(node.url),
      public_key: { bytes: publicKey },
      next_epoch_public_key: null,
      // Devnet nodes speak plain HTTP, so nothing pins this key; but readers parse it, so it must be
      // a valid compressed P-256 point like a real node's.
      network_public_key: p256.getPublicKey(sha256(new TextEncoder().encode(label('network key'))), true),
      metadata: { id: label('metadata') },
    },
    activation_epoch: 0,
    latest_epoch: epoch,
    wal_balance: 0n,
    num_shares: 0n,
    pending_shares_withdraw: noPending,
    pre_active_withdrawals: noPending,
    pending_commission_rate: noPending,
    commission_rate: 0,
    exchange_rates: { id: label('exchange rates'), size: 0n },
    pending_stake: noPending,
    rewards_pool: { value: 0n },
    commission: { value: 0n },
    commission_receiver: { Address: normalizeSuiAddress('0x0') },
    governance_authorized: { Address: normalizeSuiAddress('0x0') },
    extra_fields: { id: label('extra fields'), size: 0n },
  }).toBytes();
}

/** The chain stores `host:port` and clients add the scheme, so a node URL can carry nothing else. */
function networkAddress(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') {
    throw new RangeError(`node URL ${url} cannot be expressed as an on-chain host:port network address`);
  }
  return parsed.host;
}

/** What the Move contracts (and so the SDK) assume of a committee; catch a bad devnet config here. */
function checkCommittee(committee: Committee): void {
  if (committee.nShards > 0xffff) throw new RangeError(`n_shards is a u16; ${committee.nShards} is too many`);
  const owner = new Int32Array(committee.nShards).fill(-1);
  const seenIds = new Set<string>();
  committee.nodes.forEach((node, index) => {
    if (seenIds.has(node.nodeId)) throw new RangeError(`node ID ${node.nodeId} appears twice`);
    seenIds.add(node.nodeId);
    // bls_aggregate asserts every member's weight (its shard count) is positive.
    if (node.shards.length === 0) throw new RangeError(`node ${node.name} holds no shards`);
    for (const shard of node.shards) {
      if (!Number.isInteger(shard) || shard < 0 || shard >= committee.nShards) {
        throw new RangeError(`node ${node.name} holds shard ${shard}, outside 0..${committee.nShards - 1}`);
      }
      if (owner[shard] !== -1) throw new RangeError(`shard ${shard} is assigned to two nodes`);
      owner[shard] = index;
    }
  });
  const orphan = owner.indexOf(-1);
  if (orphan !== -1) throw new RangeError(`shard ${orphan} is assigned to no node`);
}

/** The client to hand to WalrusClient: a BaseClient whose `core` serves the stand-in's objects. */
export class SuiStandInClient extends BaseClient {
  override core: SuiStandInCoreClient;

  constructor(network: string, objects: ReadonlyMap<string, StoredObject>, chain: ChainFeeds = {}) {
    super({ network });
    this.core = new SuiStandInCoreClient({ network, base: this, cache: this.cache }, objects, chain);
  }
}

function unsupported(method: string): Promise<never> {
  return Promise.reject(
    new Error(`the devnet's Sui stand-in serves objects only; ${method} is not supported`),
  );
}

export class SuiStandInCoreClient extends CoreClient {
  #objects: ReadonlyMap<string, StoredObject>;
  #chainEvents: SuiStandInOptions['chainEvents'];
  #chainBlob: SuiStandInOptions['chainBlob'];
  /** Attribute-field ID → its blob object, learned as blob objects are served or registered. */
  readonly #metadataFieldOwners = new Map<string, string>();
  /** The last chain event #learnFieldOwners has read. */
  #fieldOwnersSeq = -1;

  constructor(
    options: ConstructorParameters<typeof CoreClient>[0],
    objects: ReadonlyMap<string, StoredObject>,
    chain: ChainFeeds = {},
  ) {
    super(options);
    this.#objects = objects;
    this.#chainEvents = chain.chainEvents;
    this.#chainBlob = chain.chainBlob;
  }

  /** Every chain event after `after`, read in pages. */
  async #chainEventsAfter(after: number): Promise<ChainEvent[]> {
    const all: ChainEvent[] = [];
    for (;;) {
      const page = await this.#chainEvents!(after, 1000);
      all.push(...page);
      if (page.length < 1000) return all;
      after = page.at(-1)!.seq;
    }
  }

  async #learnFieldOwners(): Promise<void> {
    for (const event of await this.#chainEventsAfter(this.#fieldOwnersSeq)) {
      this.#fieldOwnersSeq = event.seq;
      if (event.type === 'BlobRegistered' && event.data.objectId) {
        const fieldId = normalizeSuiObjectId(blobMetadataFieldId(event.data.objectId));
        this.#metadataFieldOwners.set(fieldId, event.data.objectId);
      }
    }
  }

  /** A devnet blob object, or its attributes field, as Sui would store it; undefined if none. */
  async #chainObject(objectId: string): Promise<StoredObject | undefined> {
    if (!this.#chainBlob) return undefined;
    // A field asked for before its blob (the SDK's getDynamicField does that): learn the owners of
    // every attributes field from the chain's events, which name every blob object.
    if (!this.#metadataFieldOwners.has(objectId) && this.#chainEvents) await this.#learnFieldOwners();
    const owner = this.#metadataFieldOwners.get(objectId);
    const blob = await this.#chainBlob(owner ?? objectId);
    if (!blob || blob.deleted) return undefined;
    const blobOwner: SuiClientTypes.ObjectOwner = {
      $kind: 'AddressOwner',
      AddressOwner: normalizeSuiAddress(blob.owner.startsWith('0x') ? blob.owner : '0x0'),
    };
    if (owner) {
      const entries = Object.entries(blob.attributes);
      if (entries.length === 0) return undefined; // the field exists only once attributes were set
      return {
        type: `${FRAMEWORK}::dynamic_field::Field<vector<u8>, ${PACKAGE_ID}::metadata::Metadata>`,
        owner: { $kind: 'ObjectOwner', ObjectOwner: blob.id },
        content: BlobMetadataField.serialize({
          id: objectId,
          name: BLOB_METADATA_KEY,
          value: { metadata: { contents: entries.map(([key, value]) => ({ key, value })) } },
        }).toBytes(),
      };
    }
    this.#metadataFieldOwners.set(normalizeSuiObjectId(blobMetadataFieldId(blob.id)), blob.id);
    return {
      type: `${PACKAGE_ID}::blob::Blob`,
      owner: blobOwner,
      content: Blob.serialize({
        id: blob.id,
        registered_epoch: blob.registeredEpoch,
        blob_id: BigInt(blob.blobIdU256),
        size: BigInt(blob.size),
        encoding_type: blob.encodingType,
        certified_epoch: blob.certifiedEpoch,
        storage: {
          id: blob.storage.id,
          start_epoch: blob.storage.startEpoch,
          end_epoch: blob.storage.endEpoch,
          storage_size: BigInt(blob.storage.storageSize),
        },
        deletable: blob.deletable,
      }).toBytes(),
    };
  }

  /** The chain's events as Walrus Move events; cursors are the chain's sequence numbers. */
  override async listEvents(
    options: SuiClientTypes.ListEventsOptions,
  ): Promise<SuiClientTypes.ListEventsResponse> {
    options.signal?.throwIfAborted();
    const source = this.#chainEvents;
    if (!source) return unsupported('listEvents without chain events');
    const filter = options.filter as { eventType?: string } | undefined;
    if (filter && !filter.eventType) return unsupported('listEvents filters other than eventType');
    const limit = options.limit ?? 50;
    // The chain events that map to a wanted Move event, each with its sequence number (the cursor).
    const matching = (events: ChainEvent[]) =>
      events.flatMap((event) => {
        const entry = moveEvent(event);
        const wanted =
          entry &&
          (!filter?.eventType ||
            entry.eventType === filter.eventType ||
            entry.eventType.startsWith(`${filter.eventType}::`));
        return wanted ? [{ seq: event.seq, entry }] : [];
      });
    if (options.order === 'descending' || options.before !== undefined) {
      // The newest ones (all the devnet has): what a poller starts from.
      const before =
        options.before === undefined || options.before === null ? Infinity : Number(options.before);
      const older = (await this.#chainEventsAfter(-1)).filter((event) => event.seq < before);
      const newest = matching(older).reverse().slice(0, limit);
      return {
        events: newest.map((m) => m.entry),
        hasNextPage: newest.length === limit,
        // Cursors are the chain's sequence numbers, so "after the newest" skips unmapped events too.
        startCursor: older.length ? String(older.at(-1)!.seq) : null,
        endCursor: newest.length ? String(newest.at(-1)!.seq) : null,
      };
    }
    const after = options.after === undefined || options.after === null ? -1 : Number(options.after);
    const page = await source(after, limit);
    const events = matching(page).map((m) => m.entry);
    return {
      events,
      hasNextPage: page.length === limit,
      startCursor: page.length ? String(page[0]!.seq) : null,
      endCursor: page.length ? String(page.at(-1)!.seq) : (options.after ?? null),
    };
  }

  override async getObjects<Include extends SuiClientTypes.ObjectInclude = SuiClientTypes.ObjectInclude>(
    options: SuiClientTypes.GetObjectsOptions<Include>,
  ): Promise<SuiClientTypes.GetObjectsResponse<Include>> {
    options.signal?.throwIfAborted();
    const include: SuiClientTypes.ObjectInclude = options.include ?? {};
    if (include.objectBcs || include.json || include.display) {
      return unsupported('getObjects with objectBcs, json or display');
    }
    const objects = [];
    // In order: a blob object read before its attributes field teaches the stand-in the field's owner.
    for (const requested of options.objectIds) {
      const objectId = normalizeSuiObjectId(requested);
      const stored = this.#objects.get(objectId) ?? (await this.#chainObject(objectId));
      // Like the real transports: a missing object is an Error in its slot, not a rejected call.
      if (!stored) {
        objects.push(
          new ObjectError('notExists', `Object ${objectId} does not exist`, {
            reason: 'notFound',
            objectId: requested,
          }),
        );
        continue;
      }
      objects.push({
        objectId,
        version: '1',
        digest: toBase58(sha256(stored.content)),
        owner: stored.owner,
        type: stored.type,
        // A copy: callers own what they get, and the stand-in's state must not change under them.
        content: include.content ? stored.content.slice() : undefined,
        previousTransaction: include.previousTransaction ? GENESIS_DIGEST : undefined,
        objectBcs: undefined,
        json: undefined,
        display: undefined,
      });
    }
    // The response type is conditional on `Include`; the fields above follow it at run time.
    return { objects } as SuiClientTypes.GetObjectsResponse<Include>;
  }

  override listCoins = () => unsupported('listCoins');
  override listOwnedObjects = () => unsupported('listOwnedObjects');
  override getBalance = () => unsupported('getBalance');
  override listBalances = () => unsupported('listBalances');
  override getCoinMetadata = () => unsupported('getCoinMetadata');
  override getTransaction = () => unsupported('getTransaction');
  override executeTransaction = () => unsupported('executeTransaction');
  override simulateTransaction = () => unsupported('simulateTransaction');
  override getReferenceGasPrice = () => unsupported('getReferenceGasPrice');
  override getCurrentSystemState = () => unsupported('getCurrentSystemState');
  override getProtocolConfig = () => unsupported('getProtocolConfig');
  override getChainIdentifier = () => unsupported('getChainIdentifier');
  override listDynamicFields = () => unsupported('listDynamicFields');
  override listTransactions = () => unsupported('listTransactions');
  override verifyZkLoginSignature = () => unsupported('verifyZkLoginSignature');
  override getMoveFunction = () => unsupported('getMoveFunction');
  override defaultNameServiceName = () => unsupported('defaultNameServiceName');
  override resolveNameServiceAddress = () => unsupported('resolveNameServiceAddress');
  override resolveTransactionPlugin = (): never => {
    throw new Error("the devnet's Sui stand-in cannot build transactions");
  };
}

const EVENTS = `${PACKAGE_ID}::events`;

/** A devnet chain event as the Walrus contracts would emit it on Sui (undefined for events they lack). */
function moveEvent(event: ChainEvent): SuiClientTypes.EventEntry | undefined {
  const { data } = event;
  let type: string;
  let content: Uint8Array;
  switch (event.type) {
    case 'BlobCertified':
    case 'BlobExtended': // the contracts announce an extension as a certification with is_extension
      type = 'BlobCertified';
      content = BlobCertifiedEvent.serialize({
        epoch: event.epoch,
        blob_id: u256OfBlobId(data.blobId!),
        end_epoch: data.endEpoch!,
        deletable: data.deletable ?? false,
        object_id: data.objectId!,
        is_extension: event.type === 'BlobExtended',
      }).toBytes();
      break;
    case 'BlobDeleted':
      type = 'BlobDeleted';
      content = BlobDeletedEvent.serialize({
        epoch: event.epoch,
        blob_id: u256OfBlobId(data.blobId!),
        end_epoch: data.endEpoch ?? 0,
        object_id: data.objectId!,
        was_certified: true,
      }).toBytes();
      break;
    case 'EpochChangeDone':
      type = 'EpochChangeDone';
      content = EpochEvent.serialize({ epoch: data.epoch ?? event.epoch }).toBytes();
      break;
    default:
      return undefined;
  }
  const digest = toBase58(sha256(new TextEncoder().encode(`walrus-edge sui stand-in: event ${event.seq}`)));
  return {
    packageId: PACKAGE_ID,
    module: 'events',
    sender: normalizeSuiAddress('0x0'),
    eventType: `${EVENTS}::${type}`,
    bcs: content,
    json: null,
    checkpoint: null,
    transactionDigest: digest,
    eventIndex: 0,
  };
}
