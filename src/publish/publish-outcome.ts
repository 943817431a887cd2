// What a publish ends in, as values: the official publisher's two successes (newly created, already
// certified) and the ways an upload can fail, which the routes map to responses in one place.
import type { SuiBlobRecord } from './sui-registrar.ts';

/** The official publisher's `resourceOperation` (what was bought or reused). */
export type ResourceOperation =
  | { registerFromScratch: { encodedLength: number; epochsAhead: number } }
  | { reuseRegistration: { encodedLength: number } };

export type StoreOutcome =
  | {
      kind: 'newly-created';
      blobId: string;
      blobObject: SuiBlobRecord;
      resourceOperation: ResourceOperation;
      /** Storage + write cost in FROST (no gas), as the official publisher reports it. */
      cost: bigint;
      sharedBlobObject?: string;
      /** The Sui transactions this upload executed (register when it registered, certify), in order. */
      transactions: string[];
      /** The certify transaction's gas (MIST), from its effects. */
      certifyGasMist: bigint;
    }
  | {
      kind: 'already-certified';
      blobId: string;
      endEpoch: number;
      /** The certification event (permanent blobs, from the nodes' status)… */
      event?: { txDigest: string; eventSeq: string };
      /** …or our own certified deletable Blob object. */
      object?: string;
    }
  | {
      /** Registered (paid), but too few nodes confirmed: the registration is kept for a retry. */
      kind: 'insufficient-confirmations';
      blobId: string;
      objectId: string;
      confirmedShards: number;
      nShards: number;
      message: string;
    }
  /** Larger than the network's largest blob (P·S·65534 bytes for its shard count). */
  | { kind: 'too-large'; size: number; max: number }
  /** The request asks for what the network does not allow (more epochs than it stores ahead, a bad quilt). */
  | { kind: 'invalid'; message: string }
  | { kind: 'chain-failed'; phase: 'register' | 'certify'; blobId: string; message: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'aborted' };

export interface StoredQuiltPatch {
  identifier: string;
  quiltPatchId: string;
}

export type QuiltOutcome =
  | (Extract<StoreOutcome, { kind: 'newly-created' | 'already-certified' }> & { patches: StoredQuiltPatch[] })
  | Exclude<StoreOutcome, { kind: 'newly-created' | 'already-certified' }>;

export type PublishPhase = 'encode' | 'status' | 'register' | 'upload' | 'certify';

/** Metrics stay out of the publisher (as ReadObserver keeps them out of the reader). */
export interface PublishObserver {
  phase(phase: PublishPhase, ms: number): void;
  /** A registration was bought: the WAL (FROST) it cost the network, storage and write (no gas). */
  registered?(costFrost: bigint): void;
}
