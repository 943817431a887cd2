// The devnet chain's records, in JSON-friendly form (bigints as decimal strings, bytes as hex/base64url).

// The wire forms are the client's (one definition for both ends of the chain API).
export type {
  ChainAccount as Account,
  ChainBlobObject as BlobObject,
  ChainEvent,
  ChainEventType,
} from '../../network/devnet-chain-client.ts';
import type { ChainAccount, ChainBlobObject, ChainEvent } from '../../network/devnet-chain-client.ts';

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
  accounts: Record<string, ChainAccount>;
  blobs: Record<string, ChainBlobObject>;
  events: ChainEvent[];
  nextEventSeq: number;
  /** Owned coin objects (absent in states saved before coins existed: made from the balances). */
  coins?: Record<string, CoinRecord>;
  /** Storage resources owned outside a blob (what delete_blob gives back), by object ID. */
  storages?: Record<string, StorageRecord>;
  /** Shared blobs (walrus::shared_blob::SharedBlob), by object ID; each wraps one of `blobs`. */
  sharedBlobs?: Record<string, SharedBlobRecord>;
  /** Object versions that moved past 1, by object ID (coins, blobs, storage resources). */
  versions?: Record<string, number>;
  /** The transaction (hex digest) that last changed each object, where one did. */
  previousTransactions?: Record<string, string>;
  /** The version the next committed change gives the objects it touches (Sui's Lamport version). */
  nextVersion?: number;
}

export type CoinKind = 'SUI' | 'WAL';

/** A `0x2::coin::Coin<SUI|WAL>` object. An account's balance is the sum of its coins. */
export interface CoinRecord {
  id: string;
  owner: string;
  kind: CoinKind;
  /** decimal string */
  balance: string;
}

export interface StorageRecord {
  id: string;
  owner: string;
  startEpoch: number;
  endEpoch: number;
  storageSize: number;
}

/**
 * A `walrus::shared_blob::SharedBlob` {id, blob, funds: Balance<WAL>}: a shared object holding a Blob
 * (which is then wrapped: no object of its own, and no owner can use it) and the WAL anyone may add
 * to pay for extending it.
 */
export interface SharedBlobRecord {
  id: string;
  /** The wrapped Blob, still among the chain's blobs (its blob ID stays registered or certified). */
  blobObjectId: string;
  /** FROST, decimal string. */
  funds: string;
  /** The version at which it was shared (Sui's `Shared { initial_shared_version }`). */
  initialSharedVersion: number;
}

/** What a committed change did to an object ('wrapped': moved inside another object). */
export type ObjectChange = 'created' | 'mutated' | 'deleted' | 'wrapped';
export type ObjectKind = 'coin' | 'blob' | 'storage' | 'shared-blob';

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
