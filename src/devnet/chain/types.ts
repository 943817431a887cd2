// The devnet chain's records, in JSON-friendly form (bigints as decimal strings, bytes as hex/base64url).

export interface Account {
  address: string;
  /** FROST (1 WAL = 10^9 FROST), decimal string. */
  wal: string;
  /** MIST (1 SUI = 10^9 MIST), decimal string. */
  sui: string;
}

export interface BlobObject {
  /** Sui-style object ID, 0x + 64 hex. */
  id: string;
  owner: string;
  registeredEpoch: number;
  /** base64url blob ID */
  blobId: string;
  /** the same ID as the on-chain u256, decimal */
  blobIdU256: string;
  size: number;
  encodingType: number;
  certifiedEpoch: number | null;
  storage: { id: string; startEpoch: number; endEpoch: number; storageSize: number };
  deletable: boolean;
  deleted: boolean;
  attributes: Record<string, string>;
}

export type ChainEventType =
  'BlobRegistered' | 'BlobCertified' | 'BlobDeleted' | 'BlobExtended' | 'EpochChangeDone';

export interface ChainEvent {
  seq: number;
  type: ChainEventType;
  epoch: number;
  txDigest: string;
  timestampMs: number;
  data: Record<string, unknown>;
}

export interface ChainParams {
  nShards: number;
  storagePricePerUnit: string;
  writePricePerUnit: string;
  /** 0 = epochs advance only on command. */
  epochDurationMs: number;
  /** WAL and SUI a new faucet account receives. */
  faucetWal: string;
  faucetSui: string;
  /** Gas charged per transaction, MIST. */
  gasPerTransaction: string;
  maxEpochsAhead: number;
}

export interface ChainState {
  params: ChainParams;
  epoch: number;
  epochStartedAtMs: number;
  accounts: Record<string, Account>;
  blobs: Record<string, BlobObject>;
  events: ChainEvent[];
  nextEventSeq: number;
}

/** What a storage node sees of a blob ID (the official node's BlobStatus, camelCase as on the wire). */
export type BlobStatus =
  | 'nonexistent'
  | {
      permanent: {
        endEpoch: number;
        isCertified: boolean;
        initialCertifiedEpoch: number | null;
        statusEvent: { txDigest: string; eventSeq: string };
        deletableCounts: { count_deletable_total: number; count_deletable_certified: number };
      };
    }
  | {
      deletable: {
        initialCertifiedEpoch: number | null;
        deletableCounts: { count_deletable_total: number; count_deletable_certified: number };
      };
    };
