// The Walrus objects as Sui stores them, BCS-encoded with the layouts of network/sui/walrus-objects.ts:
// System → SystemStateInnerV1, Staking → StakingInnerV1 (dynamic fields keyed by the u64 version), one
// StakingPool per node, and the devnet chain's Blob objects with their `metadata` (attributes) field,
// shared blobs (a SharedBlob wrapping a Blob).
// Pure builders: what they serve, and when, is sui-state.ts's business.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bcs } from '@mysten/sui/bcs';
import type { SuiClientTypes } from '@mysten/sui/client';
import { deriveDynamicFieldID, normalizeSuiAddress } from '@mysten/sui/utils';
import type { Committee, CommitteeNode } from '../../network/committee.ts';
import type { ChainBlobObject } from '../../network/devnet-chain-client.ts';
import type { SharedBlobRecord } from '../chain/types.ts';
import {
  Balance,
  BLOB_METADATA_KEY,
  BlobMetadataField,
  Blob,
  Field,
  innerStateFieldId,
  ObjectId,
  StakingInnerV1,
  StakingPool,
  Storage,
  Staking,
  System,
  SystemStateInnerV1,
  uncompressedG1,
} from '../../network/sui/walrus-objects.ts';
import { base64ToBytes } from '../../protocol/base64.ts';
import { FRAMEWORK, type SuiIds } from './sui-ids.ts';

/** One object as served: `content` is the Move struct's BCS bytes (UID first). */
export interface StoredObject {
  type: string;
  owner: SuiClientTypes.ObjectOwner;
  content: Uint8Array;
}

/** What the committee objects depend on besides the committee itself. */
export interface CommitteeObjectsInput {
  ids: SuiIds;
  committee: Committee;
  /** Staking's `previous_committee`; its nodes outside `committee` keep StakingPool objects too. */
  previousCommittee: Committee;
  epoch: number;
  storagePricePerUnit: bigint;
  writePricePerUnit: bigint;
  epochState: 'EpochChangeDone' | 'EpochChangeSync';
  /** When the current epoch's change was done (EpochChangeDone's timestamp). */
  epochStartedAtMs: number;
  /** Staking's timetable: epoch e begins no earlier than first + (e - 1) × duration. */
  firstEpochStartMs: number;
  epochDurationMs: number;
}

// The chain's future-accounting ring has one slot per epoch a blob may be stored ahead (53 on mainnet).
const MAX_EPOCHS_AHEAD = 53;
const NODE_CAPACITY = 1n << 40n;
// Not 1, so that a reader which skips System.version and assumes the first version fails here too.
export const INNER_STATE_VERSION = 2n;

const SHARED: SuiClientTypes.ObjectOwner = { $kind: 'Shared', Shared: { initialSharedVersion: '1' } };

/** System, Staking, their inner states and the StakingPools, by normalized object ID. */
export function committeeObjects(input: CommitteeObjectsInput): Map<string, StoredObject> {
  const { ids, committee, previousCommittee: previous, epoch } = input;
  const PACKAGE_ID = ids.packageId;
  const objects = new Map<string, StoredObject>();
  const put = (id: string, object: StoredObject) => objects.set(normalizeSuiAddress(id), object);

  put(ids.systemObjectId, {
    type: `${PACKAGE_ID}::system::System`,
    owner: SHARED,
    content: System.serialize({
      id: ids.systemObjectId,
      version: INNER_STATE_VERSION,
      package_id: PACKAGE_ID,
      new_package_id: null,
    }).toBytes(),
  });
  put(ids.stakingObjectId, {
    type: `${PACKAGE_ID}::staking::Staking`,
    owner: SHARED,
    content: Staking.serialize({
      id: ids.stakingObjectId,
      version: INNER_STATE_VERSION,
      package_id: PACKAGE_ID,
      new_package_id: null,
    }).toBytes(),
  });

  const keys = committee.nodes.map((node) => base64ToBytes(node.blsPublicKey));
  const systemInnerId = innerStateFieldId(ids.systemObjectId, INNER_STATE_VERSION);
  put(systemInnerId, {
    type: `${FRAMEWORK}::dynamic_field::Field<u64, ${PACKAGE_ID}::system_state_inner::SystemStateInnerV1>`,
    owner: { $kind: 'ObjectOwner', ObjectOwner: ids.systemObjectId },
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
            epoch,
            total_aggregated_key: { bytes: bls12_381.longSignatures.aggregatePublicKeys(keys).toBytes(true) },
          },
          total_capacity_size: NODE_CAPACITY * BigInt(committee.nodes.length),
          used_capacity_size: 0n,
          storage_price_per_unit_size: input.storagePricePerUnit,
          write_price_per_unit_size: input.writePricePerUnit,
          future_accounting: {
            current_index: 0,
            length: MAX_EPOCHS_AHEAD,
            ring_buffer: Array.from({ length: MAX_EPOCHS_AHEAD }, (_, ahead) => ({
              epoch: epoch + ahead,
              used_capacity: 0n,
              rewards_to_distribute: { value: 0n },
            })),
          },
          event_blob_certification_state: {
            latest_certified_blob: null,
            aggregate_weight_per_blob: { contents: [] },
          },
          deny_list_sizes: { id: ids.id('deny list sizes') },
        },
      })
      .toBytes(),
  });

  const poolsTableId = ids.id('staking pools');
  const shardMap = (of: Committee) =>
    [{ contents: of.nodes.map((node) => ({ key: node.nodeId, value: node.shards })) }] as const;
  const stakingInnerId = innerStateFieldId(ids.stakingObjectId, INNER_STATE_VERSION);
  put(stakingInnerId, {
    type: `${FRAMEWORK}::dynamic_field::Field<u64, ${PACKAGE_ID}::staking_inner::StakingInnerV1>`,
    owner: { $kind: 'ObjectOwner', ObjectOwner: ids.stakingObjectId },
    content: Field(bcs.u64(), StakingInnerV1)
      .serialize({
        id: stakingInnerId,
        name: INNER_STATE_VERSION,
        value: {
          n_shards: committee.nShards,
          epoch_duration: BigInt(input.epochDurationMs),
          first_epoch_start: BigInt(input.firstEpochStartMs),
          pools: { id: poolsTableId, size: BigInt(committee.nodes.length) },
          epoch,
          active_set: { id: ids.id('active set') },
          next_committee: null,
          committee: shardMap(committee),
          previous_committee: shardMap(previous),
          next_epoch_params: null,
          // By default not EpochChangeSync: then the SDK would ask nodes for every blob's status first.
          epoch_state:
            input.epochState === 'EpochChangeSync'
              ? { EpochChangeSync: 0 }
              : { EpochChangeDone: BigInt(input.epochStartedAtMs) },
          next_epoch_public_keys: { id: ids.id('next epoch public keys') },
        },
      })
      .toBytes(),
  });

  const current = new Set(committee.nodes.map((node) => node.nodeId));
  const poolOwners = [...committee.nodes, ...previous.nodes.filter((node) => !current.has(node.nodeId))];
  for (const node of poolOwners) {
    // Pools live in an ObjectTable, i.e. each is owned by a dynamic-object-field wrapper of the table.
    const wrapperId = deriveDynamicFieldID(
      poolsTableId,
      `${FRAMEWORK}::dynamic_object_field::Wrapper<${FRAMEWORK}::object::ID>`,
      bcs.Address.serialize(node.nodeId).toBytes(),
    );
    put(node.nodeId, {
      type: `${PACKAGE_ID}::staking_pool::StakingPool`,
      owner: { $kind: 'ObjectOwner', ObjectOwner: wrapperId },
      content: stakingPoolBytes(ids, node, epoch, input.storagePricePerUnit, input.writePricePerUnit),
    });
  }
  return objects;
}

function stakingPoolBytes(
  ids: SuiIds,
  node: CommitteeNode,
  epoch: number,
  storagePrice: bigint,
  writePrice: bigint,
): Uint8Array {
  const label = (what: string) => ids.id(`node ${node.nodeId} ${what}`);
  const noPending = [{ contents: [] }] as const;
  return StakingPool.serialize({
    id: node.nodeId,
    state: { Active: true },
    voting_params: { storage_price: storagePrice, write_price: writePrice, node_capacity: NODE_CAPACITY },
    node_info: {
      name: node.name,
      node_id: node.nodeId,
      network_address: networkAddress(node.url),
      public_key: { bytes: uncompressedG1(base64ToBytes(node.blsPublicKey)) },
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

/** A devnet chain blob as a Walrus `Blob` object, owned by its owner's address. */
export function blobObject(ids: SuiIds, blob: ChainBlobObject): StoredObject {
  return {
    type: `${ids.packageId}::blob::Blob`,
    owner: {
      $kind: 'AddressOwner',
      AddressOwner: normalizeSuiAddress(blob.owner.startsWith('0x') ? blob.owner : '0x0'),
    },
    content: Blob.serialize(blobFields(blob)).toBytes(),
  };
}

/** `walrus::shared_blob::SharedBlob` {id, blob, funds: Balance<WAL>} (shared_blob.move). */
const SharedBlob = bcs.struct('SharedBlob', { id: ObjectId, blob: Blob, funds: Balance });

/** A shared blob: a shared object (at its initial shared version) holding `blob`, the Blob it wraps. */
export function sharedBlobObject(ids: SuiIds, shared: SharedBlobRecord, blob: ChainBlobObject): StoredObject {
  return {
    type: `${ids.packageId}::shared_blob::SharedBlob`,
    owner: { $kind: 'Shared', Shared: { initialSharedVersion: String(shared.initialSharedVersion) } },
    content: SharedBlob.serialize({
      id: shared.id,
      blob: blobFields(blob),
      funds: { value: BigInt(shared.funds) },
    }).toBytes(),
  };
}

function blobFields(blob: ChainBlobObject): typeof Blob.$inferInput {
  return {
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
  };
}

/** A blob's attributes as its `metadata` dynamic field (ID `fieldId`); undefined while it has none. */
export function blobMetadataFieldObject(
  ids: SuiIds,
  blob: ChainBlobObject,
  fieldId: string,
): StoredObject | undefined {
  const entries = Object.entries(blob.attributes);
  if (entries.length === 0) return undefined; // the field exists only once attributes were set
  return {
    type: `${FRAMEWORK}::dynamic_field::Field<vector<u8>, ${ids.packageId}::metadata::Metadata>`,
    owner: { $kind: 'ObjectOwner', ObjectOwner: blob.id },
    content: BlobMetadataField.serialize({
      id: fieldId,
      name: BLOB_METADATA_KEY,
      value: { metadata: { contents: entries.map(([key, value]) => ({ key, value })) } },
    }).toBytes(),
  };
}

/** `0x2::coin::Coin<T>`. */
const Coin = bcs.struct('Coin', { id: ObjectId, balance: Balance });

/** A coin of `coinType` holding `balance`, owned by `owner`. */
export function coinObject(coinId: string, owner: string, coinType: string, balance: bigint): StoredObject {
  return {
    type: `${FRAMEWORK}::coin::Coin<${coinType}>`,
    owner: { $kind: 'AddressOwner', AddressOwner: normalizeSuiAddress(owner) },
    content: Coin.serialize({ id: coinId, balance: { value: balance } }).toBytes(),
  };
}

/** A free `Storage` resource (what delete_blob returns), owned by an address. */
export function storageObject(
  ids: SuiIds,
  storage: { id: string; owner: string; startEpoch: number; endEpoch: number; storageSize: number },
): StoredObject {
  return {
    type: `${ids.packageId}::storage_resource::Storage`,
    owner: { $kind: 'AddressOwner', AddressOwner: normalizeSuiAddress(storage.owner) },
    content: Storage.serialize({
      id: storage.id,
      start_epoch: storage.startEpoch,
      end_epoch: storage.endEpoch,
      storage_size: BigInt(storage.storageSize),
    }).toBytes(),
  };
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
export function checkCommittee(committee: Committee): void {
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
