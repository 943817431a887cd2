// BCS layouts of the Walrus Move objects, field for field as the chain stores them
// (contracts/walrus/sources in the Walrus repository). BCS has no field names or lengths, so one wrong
// field type or order shifts everything after it: keep these in lockstep with the Move structs.
// Used to read mainnet/testnet and, the other way round, to serve the devnet's Sui stand-in.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bcs, type BcsType } from '@mysten/sui/bcs';
import { deriveDynamicFieldID } from '@mysten/sui/utils';

// --- Sui framework types -------------------------------------------------------------------------

/** `UID` and `ID` are both a bare 32-byte address in BCS. */
export const ObjectId = bcs.Address;

/** `0x2::group_ops::Element<T>`; T is phantom (G1, UncompressedG1, ...), so one layout serves all. */
export const Element = bcs.struct('Element', { bytes: bcs.byteVector() });

/** `0x2::vec_map::VecMap<K, V>`: a vector of entries in insertion order (not sorted, not deduplicated). */
export function VecMap<K, V, KIn, VIn>(key: BcsType<K, KIn>, value: BcsType<V, VIn>) {
  return bcs.struct(`VecMap<${key.name}, ${value.name}>`, {
    contents: bcs.vector(bcs.struct(`Entry<${key.name}, ${value.name}>`, { key, value })),
  });
}

/** `Table`, `ObjectTable` and `Bag` all hold just their UID and entry count; entries are dynamic fields. */
export const TableHandle = bcs.struct('Table', { id: ObjectId, size: bcs.u64() });

/** `0x2::balance::Balance<T>`. */
export const Balance = bcs.struct('Balance', { value: bcs.u64() });

/** `0x2::dynamic_field::Field<Name, Value>`: the object a dynamic field is stored as. */
export function Field<N, V, NIn, VIn>(name: BcsType<N, NIn>, value: BcsType<V, VIn>) {
  return bcs.struct(`Field<${name.name}, ${value.name}>`, { id: ObjectId, name, value });
}

// --- walrus::extended_field, auth, pending_values, epoch_parameters ------------------------------

/** `ExtendedField<T>`: the value lives in a dynamic field of this UID, keyed by `Key()`. */
export const ExtendedField = bcs.struct('ExtendedField', { id: ObjectId });

export const Authorized = bcs.enum('Authorized', { Address: bcs.Address, ObjectID: ObjectId });

/** `PendingValues(VecMap<u32, u64>)`: epoch → amount. A positional struct, hence a 1-tuple. */
export const PendingValues = bcs.tuple([VecMap(bcs.u32(), bcs.u64())], { name: 'PendingValues' });

export const EpochParams = bcs.struct('EpochParams', {
  total_capacity_size: bcs.u64(),
  storage_price_per_unit_size: bcs.u64(),
  write_price_per_unit_size: bcs.u64(),
});

// --- System and its inner state -----------------------------------------------------------------

/** Shared object; the state lives in a dynamic field keyed by `version` (u64). */
export const System = bcs.struct('System', {
  id: ObjectId,
  version: bcs.u64(),
  package_id: ObjectId,
  new_package_id: bcs.option(ObjectId),
});

export const BlsCommitteeMember = bcs.struct('BlsCommitteeMember', {
  /** `Element<UncompressedG1>`: 96 bytes, not the 48-byte compressed form nodes advertise. */
  public_key: Element,
  /** Number of shards the node holds. */
  weight: bcs.u16(),
  node_id: ObjectId,
});

export const BlsCommittee = bcs.struct('BlsCommittee', {
  /** A member's position here is its signer index in certificates. */
  members: bcs.vector(BlsCommitteeMember),
  n_shards: bcs.u16(),
  epoch: bcs.u32(),
  /** `Element<G1>`: the compressed (48-byte) sum of all members' keys. */
  total_aggregated_key: Element,
});

export const FutureAccounting = bcs.struct('FutureAccounting', {
  epoch: bcs.u32(),
  used_capacity: bcs.u64(),
  rewards_to_distribute: Balance,
});

export const FutureAccountingRingBuffer = bcs.struct('FutureAccountingRingBuffer', {
  current_index: bcs.u32(),
  length: bcs.u32(),
  ring_buffer: bcs.vector(FutureAccounting),
});

export const EventBlob = bcs.struct('EventBlob', {
  blob_id: bcs.u256(),
  ending_checkpoint_sequence_number: bcs.u64(),
});

export const EventBlobCertificationState = bcs.struct('EventBlobCertificationState', {
  latest_certified_blob: bcs.option(EventBlob),
  aggregate_weight_per_blob: VecMap(EventBlob, bcs.u16()),
});

export const SystemStateInnerV1 = bcs.struct('SystemStateInnerV1', {
  committee: BlsCommittee,
  total_capacity_size: bcs.u64(),
  used_capacity_size: bcs.u64(),
  /** FROST per storage unit (1 MiB of encoded size) per epoch. */
  storage_price_per_unit_size: bcs.u64(),
  /** FROST per storage unit, paid once when a blob is registered. */
  write_price_per_unit_size: bcs.u64(),
  future_accounting: FutureAccountingRingBuffer,
  event_blob_certification_state: EventBlobCertificationState,
  deny_list_sizes: ExtendedField,
});

// --- Staking and its inner state ----------------------------------------------------------------

/** Shared object; the state lives in a dynamic field keyed by `version` (u64). */
export const Staking = bcs.struct('Staking', {
  id: ObjectId,
  version: bcs.u64(),
  package_id: ObjectId,
  new_package_id: bcs.option(ObjectId),
});

/** `Committee(VecMap<ID, vector<u16>>)`: node ID → the shards it holds. A 1-tuple, like the Move struct. */
export const Committee = bcs.tuple([VecMap(ObjectId, bcs.vector(bcs.u16()))], { name: 'Committee' });

export const EpochState = bcs.enum('EpochState', {
  /** Epoch change in progress; the weight of nodes that reported their shard sync done. */
  EpochChangeSync: bcs.u16(),
  /** Epoch change finished at this timestamp (ms). */
  EpochChangeDone: bcs.u64(),
  /** Next epoch's parameters selected; the timestamp (ms) at which the current epoch started. */
  NextParamsSelected: bcs.u64(),
});

export const StakingInnerV1 = bcs.struct('StakingInnerV1', {
  n_shards: bcs.u16(),
  /** Milliseconds. */
  epoch_duration: bcs.u64(),
  first_epoch_start: bcs.u64(),
  /** `ObjectTable<ID, StakingPool>`; a pool's object ID is its node ID. */
  pools: TableHandle,
  epoch: bcs.u32(),
  active_set: ExtendedField,
  next_committee: bcs.option(Committee),
  committee: Committee,
  previous_committee: Committee,
  next_epoch_params: bcs.option(EpochParams),
  epoch_state: EpochState,
  next_epoch_public_keys: ExtendedField,
});

// --- StakingPool ----------------------------------------------------------------------------------

export const StorageNodeInfo = bcs.struct('StorageNodeInfo', {
  name: bcs.string(),
  node_id: ObjectId,
  /** `host:port`, no scheme: clients pick http/https themselves. */
  network_address: bcs.string(),
  /** `Element<UncompressedG1>`: the BLS key, 96 bytes uncompressed. */
  public_key: Element,
  next_epoch_public_key: bcs.option(Element),
  /** Compressed secp256r1 key (33 bytes) that pins the node's TLS certificate. */
  network_public_key: bcs.byteVector(),
  metadata: ExtendedField,
});

export const PoolState = bcs.enum('PoolState', { Active: null, Withdrawing: bcs.u32(), Withdrawn: null });

export const VotingParams = bcs.struct('VotingParams', {
  storage_price: bcs.u64(),
  write_price: bcs.u64(),
  node_capacity: bcs.u64(),
});

export const StakingPool = bcs.struct('StakingPool', {
  id: ObjectId,
  state: PoolState,
  voting_params: VotingParams,
  node_info: StorageNodeInfo,
  activation_epoch: bcs.u32(),
  latest_epoch: bcs.u32(),
  wal_balance: bcs.u64(),
  num_shares: bcs.u64(),
  pending_shares_withdraw: PendingValues,
  pre_active_withdrawals: PendingValues,
  pending_commission_rate: PendingValues,
  /** Basis points. */
  commission_rate: bcs.u16(),
  /** `Table<u32, PoolExchangeRate>`. */
  exchange_rates: TableHandle,
  pending_stake: PendingValues,
  rewards_pool: Balance,
  commission: Balance,
  commission_receiver: Authorized,
  governance_authorized: Authorized,
  /** `Bag`. */
  extra_fields: TableHandle,
});

// --- Blob -----------------------------------------------------------------------------------------

export const Storage = bcs.struct('Storage', {
  id: ObjectId,
  start_epoch: bcs.u32(),
  /** Exclusive. */
  end_epoch: bcs.u32(),
  storage_size: bcs.u64(),
});

export const Blob = bcs.struct('Blob', {
  id: ObjectId,
  registered_epoch: bcs.u32(),
  /** The 32 blob ID bytes read as a little-endian integer. */
  blob_id: bcs.u256(),
  /** Unencoded length in bytes. */
  size: bcs.u64(),
  encoding_type: bcs.u8(),
  certified_epoch: bcs.option(bcs.u32()),
  storage: Storage,
  deletable: bcs.bool(),
});

/** `walrus::metadata::Metadata`: a blob's attributes (e.g. content-type), stored under `b"metadata"`. */
export const BlobAttributes = bcs.struct('Metadata', { metadata: VecMap(bcs.string(), bcs.string()) });

export type SystemValue = typeof System.$inferType;
export type SystemStateInnerV1Value = typeof SystemStateInnerV1.$inferType;
export type StakingValue = typeof Staking.$inferType;
export type StakingInnerV1Value = typeof StakingInnerV1.$inferType;
export type StakingPoolValue = typeof StakingPool.$inferType;
export type BlobValue = typeof Blob.$inferType;

// --- Where things live --------------------------------------------------------------------------

/** ID of the dynamic field holding System's or Staking's inner state for a given `version`. */
export function innerStateFieldId(parentId: string, version: bigint | number | string): string {
  return deriveDynamicFieldID(parentId, 'u64', bcs.u64().serialize(version).toBytes());
}

// Nodes advertise (and sign with) 48-byte compressed G1 keys; the contracts store them uncompressed.

/** 48-byte compressed BLS12-381 G1 key → the 96-byte form `Element<UncompressedG1>` holds. */
export function uncompressedG1(compressed: Uint8Array): Uint8Array {
  return bls12_381.G1.Point.fromBytes(compressed).toBytes(false);
}

/** On-chain BLS key (either form) → the 48-byte compressed form. */
export function compressedG1(bytes: Uint8Array): Uint8Array {
  return bls12_381.G1.Point.fromBytes(bytes).toBytes(true);
}

// --- A Blob's attributes field ------------------------------------------------------------------

/** A Blob's attributes: the dynamic field `b"metadata"` holding `Metadata { metadata: VecMap }`. */
export const BlobMetadataField = Field(bcs.vector(bcs.u8()), BlobAttributes);

/** The key a Blob's attributes field is stored under. */
export const BLOB_METADATA_KEY = new TextEncoder().encode('metadata');

/** The object ID of a Blob's attributes field. */
export function blobMetadataFieldId(blobObjectId: string): string {
  return deriveDynamicFieldID(
    blobObjectId,
    'vector<u8>',
    bcs.vector(bcs.u8()).serialize(BLOB_METADATA_KEY).toBytes(),
  );
}
