// The publisher: stores blobs (and quilts) for clients on the operator's sponsored account, the way the
// official Walrus publisher does. One upload: encode in the codec's worker threads → if not `force`,
// answer `alreadyCertified` when the blob is certified with enough lifetime (no transaction at all) →
// lease a signer → reuse a registration we paid for earlier, or reserve + register in one transaction
// → send metadata and slivers to the nodes, collecting confirmations → certify (and hand the object on
// in the same transaction). Every outcome is a value (publish-outcome.ts); the routes map them once.
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { encodeQuilt, type WalrusClient } from '@mysten/walrus';
import type { BlobCache } from '../cache/blob-cache.ts';
import type { Codec } from '../codec/codec.ts';
import type { EncodedBlob } from '../codec/blob-encoder.ts';
import type { CommitteeView } from '../network/committee-source.ts';
import { Blob } from '../network/sui/walrus-objects.ts';
import type { NodeTransport } from '../network/transport/node-transport.ts';
import { formatBlobId, formatU256BlobId, parseBlobId } from '../protocol/blob-id.ts';
import { encodedLength, maxBlobSize } from '../protocol/encoding.ts';
import { formatQuiltPatchId } from '../protocol/quilt-id.ts';
import { certifiedPermanentStatus } from './certified-status.ts';
import { findOwnedRegistration } from './owned-registration.ts';
import type {
  PublishObserver,
  PublishPhase,
  QuiltOutcome,
  ResourceOperation,
  StoreOutcome,
} from './publish-outcome.ts';
import type { Registration, RegistrationBook } from './registration-book.ts';
import type { Sponsor } from './sponsor/sponsor.ts';
import { distributeBlob, type DistributionOptions } from './sliver-distributor.ts';
import { suiRegistrar, type BlobDestination, type SuiBlobRecord } from './sui-registrar.ts';

export interface StoreOptions {
  /** Epochs ahead of the current one (≥ 1). */
  epochs: number;
  deletable: boolean;
  /** Transfer the certified Blob object to this address (0x + 64 hex). */
  sendObjectTo?: string;
  /** Wrap the certified Blob object into a shared blob. */
  share?: boolean;
  /** Store even when the blob is certified already (a new Blob object). */
  force?: boolean;
  signal?: AbortSignal;
  /**
   * Told how far the upload got: paid uploads write it down so that after a crash their hold can be
   * settled or released against the chain.
   */
  progress?: UploadProgress;
}

export interface UploadProgress {
  /**
   * The Blob object the certificate will be for (registered now, or an earlier registration reused),
   * and the digest of the transaction that registered it when it was registered now. The slivers go
   * out meanwhile: what this starts must be done before `beforeCertify` resolves.
   */
  registered?(blobId: string, objectId: string, digest?: string): void;
  /**
   * Awaited before anything is spent (the register transaction, or the reuse of a registration): a
   * rejection ends the upload `unavailable` with nothing spent. Paid uploads place their hold meanwhile.
   */
  beforeRegister?(): Promise<void>;
  /** Awaited before the certify transaction; a rejection stops the upload before it certifies. */
  beforeCertify?(): Promise<void>;
}

export interface QuiltFile {
  identifier: string;
  contents: Uint8Array;
  tags: Record<string, string>;
}

export interface Publisher {
  storeBlob(data: Uint8Array, options: StoreOptions): Promise<StoreOutcome>;
  storeQuilt(files: QuiltFile[], options: StoreOptions): Promise<QuiltOutcome>;
  /** The address that pays (and owns what is kept). */
  readonly address: string;
}

export interface PublisherDeps {
  /** The committee as the network's source has it now (the chain's order: certificates index it). */
  committee: (signal?: AbortSignal) => Promise<CommitteeView>;
  transport: NodeTransport;
  /** The same worker pool the read stack decodes with: encoding never runs on the event loop. */
  codec: Codec;
  /**
   * Makes the SDK client that builds the Walrus transactions and reads Blob objects, over the same Sui
   * endpoint as the network. A new one replaces the current one after a failed chain step: one failed
   * load can leave an SDK client broken for good (DESIGN §7).
   */
  walrus: () => WalrusClient;
  sui: ClientWithCoreApi;
  sponsor: Sponsor;
  registrations: RegistrationBook;
  /** The read stack's cache: a certified blob leaves its negative cache, and may be put into memory. */
  cache?: BlobCache;
  warmCache: boolean;
  /**
   * How sliver distribution runs: its deadline (PUBLISH_UPLOAD_DEADLINE_MS: a quorum of confirmations
   * within it, else 504), per-request timeouts, its metrics hooks, and the background that finishes
   * uploads to slow nodes after the certificate.
   */
  distribution: DistributionOptions;
  observer?: PublishObserver;
}

export function createPublisher(deps: PublisherDeps): Publisher {
  let walrus = deps.walrus();
  const timed = async <T>(phase: PublishPhase, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      deps.observer?.phase(phase, performance.now() - started);
    }
  };

  /** Our registration of this blob, if Sui still holds it as the book says (owner, state, lifetime). */
  const checked = async (registration: Registration, minEndEpoch: number) => {
    if (registration.endEpoch < minEndEpoch) return undefined;
    const [object] = (
      await deps.sui.core.getObjects({ objectIds: [registration.objectId], include: { content: true } })
    ).objects;
    if (!object || object instanceof Error) {
      deps.registrations.forget(registration.objectId);
      return undefined;
    }
    const owner = object.owner.$kind === 'AddressOwner' ? object.owner.AddressOwner : undefined;
    const blob = Blob.parse(object.content);
    if (
      owner !== registration.owner ||
      formatU256BlobId(blob.blob_id) !== registration.blobId ||
      blob.deletable !== registration.deletable ||
      blob.storage.end_epoch < minEndEpoch
    ) {
      deps.registrations.forget(registration.objectId);
      return undefined;
    }
    return blob;
  };

  /** Our uncertified registration of this blob that Sui still holds as the book says, if any. */
  async function reusableRegistration(blobId: string, deletable: boolean, minEndEpoch: number) {
    for (const registration of deps.registrations.find(blobId)) {
      if (registration.certified || registration.deletable !== deletable) continue;
      const blob = await checked(registration, minEndEpoch);
      if (blob && blob.certified_epoch == null) return registration;
    }
    return undefined;
  }

  async function alreadyCertified(
    view: CommitteeView,
    blobId: string,
    options: StoreOptions,
    minEndEpoch: number,
  ): Promise<StoreOutcome | undefined> {
    if (!options.deletable) {
      const status = await certifiedPermanentStatus({
        committee: view.committee,
        blobId,
        transport: deps.transport,
        signal: options.signal,
      });
      if (status && status.endEpoch >= minEndEpoch)
        return { kind: 'already-certified', blobId, endEpoch: status.endEpoch, event: status.event };
      return undefined;
    }
    // Deletable blobs: the nodes' status has no end epoch for them; a certified one of ours counts —
    // as Sui holds it, also one the book never marked certified (the edge died right after certifying).
    for (const registration of deps.registrations.find(blobId)) {
      if (!registration.deletable) continue;
      const blob = await checked(registration, minEndEpoch);
      if (blob?.certified_epoch != null)
        return {
          kind: 'already-certified',
          blobId,
          endEpoch: blob.storage.end_epoch,
          object: registration.objectId,
        };
    }
    return undefined;
  }

  async function store(
    view: CommitteeView,
    data: Uint8Array,
    encoded: EncodedBlob,
    options: StoreOptions,
  ): Promise<StoreOutcome> {
    const blobId = formatBlobId(encoded.blobId);
    const minEndEpoch = view.epoch + options.epochs;
    const length = encodedLength(data.length, view.committee.nShards);
    if (!options.force) {
      const existing = await timed('status', () => alreadyCertified(view, blobId, options, minEndEpoch));
      if (existing) return existing;
    }

    try {
      await options.progress?.beforeRegister?.();
    } catch (error) {
      return { kind: 'unavailable', message: `the upload cannot go on: ${String(error)}` };
    }

    // A registration paid for earlier (its upload could not certify) is certified now instead; only
    // its owner can certify it, so that wallet is leased (if the sponsor still has it).
    const reusable = await reusableRegistration(blobId, options.deletable, minEndEpoch);
    const lease =
      (reusable &&
        (await deps.sponsor.lease(options.signal, { address: reusable.owner }).catch(() => {
          options.signal?.throwIfAborted();
          return undefined;
        }))) ||
      (await deps.sponsor.lease(options.signal));
    try {
      const registrar = suiRegistrar(walrus, lease.signer, deps.sui);
      let objectId: string | undefined;
      let operation: ResourceOperation | undefined;
      let cost = 0n;
      const transactions: string[] = [];
      // Checked again now that its owner is ours: a concurrent upload of these bytes may have
      // certified it meanwhile.
      const stillOpen =
        reusable && reusable.owner === lease.address ? await checked(reusable, minEndEpoch) : undefined;
      if (reusable && stillOpen && stillOpen.certified_epoch === null) {
        objectId = reusable.objectId;
        operation = { reuseRegistration: { encodedLength: length } };
      }
      if (objectId === undefined) {
        let registered:
          PublishStepError | { objectId: string; record: { endEpoch: number; digest?: string } } =
          await timed('register', async () => {
            try {
              return await registrar.register({
                blobId,
                rootHash: encoded.rootHash,
                size: data.length,
                epochs: options.epochs,
                deletable: options.deletable,
              });
            } catch (error) {
              return new PublishStepError('register', error);
            }
          });
        if (registered instanceof PublishStepError) {
          // Sui may have executed it all the same (its answer was lost): then it is ours, and paid.
          const found = await findOwnedRegistration(deps.sui, walrus, lease.address, blobId).catch(
            () => undefined,
          );
          if (!found || found.deletable !== options.deletable || found.endEpoch < minEndEpoch)
            return failedStep(registered, blobId);
          registered = { objectId: found.objectId, record: { endEpoch: found.endEpoch } };
        }
        objectId = registered.objectId;
        if (registered.record.digest) transactions.push(registered.record.digest);
        // Written down first: whatever fails from here on, what was paid for can be certified later.
        deps.registrations.record({
          blobId,
          objectId,
          owner: lease.address,
          deletable: options.deletable,
          endEpoch: registered.record.endEpoch,
          certified: false,
        });
        operation = { registerFromScratch: { encodedLength: length, epochsAhead: options.epochs } };
        // The official publisher reports the storage and write cost (no gas), in FROST.
        cost = (await walrus.storageCost(data.length, options.epochs)).totalCost;
        deps.observer?.registered?.(cost);
      }

      options.progress?.registered?.(blobId, objectId, transactions[0]);
      // The client going away aborts the distribution (it rejects; the lease is given back below).
      const distributed = await timed('upload', () =>
        distributeBlob({
          ...deps.distribution,
          encoded,
          blobId,
          committee: view.committee,
          persistence: options.deletable ? { kind: 'deletable', objectId } : { kind: 'permanent' },
          transport: deps.transport,
          signal: options.signal,
        }),
      );
      if (!distributed.ok) {
        // The registration stays in the book: the next upload of these bytes certifies it.
        return {
          kind: 'insufficient-confirmations',
          blobId,
          objectId,
          confirmedShards: distributed.confirmedShards,
          nShards: distributed.nShards,
          message: distributed.message,
        };
      }

      try {
        await options.progress?.beforeCertify?.();
      } catch (error) {
        // Not certified: the registration stays in the book, and the next upload of it certifies it.
        return { kind: 'unavailable', message: `the upload could not be recorded: ${String(error)}` };
      }
      const destination: BlobDestination = options.sendObjectTo
        ? { kind: 'send', to: options.sendObjectTo }
        : options.share
          ? { kind: 'share' }
          : { kind: 'keep' };
      const certified = await timed('certify', async () => {
        try {
          return await registrar.certifyAndPlace({
            blobId,
            objectId,
            deletable: options.deletable,
            certificate: distributed.certificate,
            destination,
          });
        } catch (error) {
          return new PublishStepError('certify', error);
        }
      });
      if (certified instanceof PublishStepError) return failedStep(certified, blobId);
      // Kept deletable blobs answer repeated uploads; anything else needs no entry any more.
      if (options.deletable && destination.kind === 'keep')
        deps.registrations.record({
          blobId,
          objectId,
          owner: lease.address,
          deletable: true,
          endEpoch: certified.blob.endEpoch,
          certified: true,
        });
      else deps.registrations.forget(objectId);
      published(blobId, data, certified.blob);
      return {
        kind: 'newly-created',
        blobId,
        blobObject: certified.blob,
        resourceOperation: operation!,
        cost,
        sharedBlobObject: certified.sharedObjectId,
        transactions: [...transactions, certified.blob.digest],
        certifyGasMist: certified.gasMist,
      };
    } finally {
      lease.release();
    }
  }

  /** A chain step failed: its value, and a fresh SDK client for the next upload. */
  function failedStep(step: PublishStepError, blobId: string): StoreOutcome {
    walrus = deps.walrus();
    return step.outcome(blobId);
  }

  /** A certified blob is no longer "not found", and is likely to be read soon. */
  function published(blobId: string, data: Uint8Array, blob: SuiBlobRecord): void {
    const cache = deps.cache;
    if (!cache) return;
    cache.negative.delete(blobId);
    // Not awaited: a slow Redis must not hold the answer; a failed set only costs a later fill.
    if (deps.warmCache) void cache.warm(blobId, data, blob.endEpoch).catch(() => undefined);
  }

  /** The network stores at most so many epochs ahead; more would make the register transaction abort. */
  const tooManyEpochs = async (
    epochs: number,
  ): Promise<Extract<StoreOutcome, { kind: 'invalid' }> | undefined> => {
    const maxEpochsAhead = (await walrus.systemState()).future_accounting.length;
    if (epochs <= maxEpochsAhead) return undefined;
    return {
      kind: 'invalid',
      message: `epochs must be at most ${maxEpochsAhead} on this network, got ${epochs}`,
    };
  };

  /** Encoded in the codec's workers, unless the network cannot hold a blob this large at all. */
  const encode = async (view: CommitteeView, data: Uint8Array) => {
    const max = maxBlobSize(view.committee.nShards);
    if (data.length > max) return { kind: 'too-large', size: data.length, max } as const;
    return timed('encode', () => deps.codec.encode(data, view.committee.nShards));
  };

  return {
    address: deps.sponsor.address,
    async storeBlob(data, options) {
      try {
        const refused = await tooManyEpochs(options.epochs);
        if (refused) return refused;
        const view = await deps.committee(options.signal);
        const encoded = await encode(view, data);
        if ('kind' in encoded) return encoded;
        return await store(view, data, encoded, options);
      } catch (error) {
        return unexpected(error, options.signal);
      }
    },
    async storeQuilt(files, options) {
      try {
        const refused = await tooManyEpochs(options.epochs);
        if (refused) return refused;
        const view = await deps.committee(options.signal);
        let encodedQuilt;
        try {
          encodedQuilt = encodeQuilt({ blobs: files, numShards: view.committee.nShards });
        } catch (error) {
          // Too many or too large files for one quilt, an identifier too long: the client's to fix.
          return { kind: 'invalid', message: `the files do not form a quilt: ${(error as Error).message}` };
        }
        const { quilt, index } = encodedQuilt;
        const encoded = await encode(view, quilt);
        if ('kind' in encoded) return encoded;
        const outcome = await store(view, quilt, encoded, options);
        if (outcome.kind !== 'newly-created' && outcome.kind !== 'already-certified') return outcome;
        const quiltId = parseBlobId(outcome.blobId);
        return {
          ...outcome,
          patches: index.patches.map((patch) => ({
            identifier: patch.identifier,
            quiltPatchId: formatQuiltPatchId({
              quiltId,
              startIndex: patch.startIndex,
              endIndex: patch.endIndex,
            }),
          })),
        };
      } catch (error) {
        return unexpected(error, options.signal);
      }
    },
  };
}

/** A chain step that threw (the SDK's and Sui's failures are exceptions), kept as a value. */
class PublishStepError {
  readonly phase: 'register' | 'certify';
  readonly message: string;
  constructor(phase: 'register' | 'certify', error: unknown) {
    this.phase = phase;
    this.message = error instanceof Error ? error.message : String(error);
  }
  outcome(blobId: string): StoreOutcome {
    return { kind: 'chain-failed', phase: this.phase, blobId, message: this.message };
  }
}

function unexpected(
  error: unknown,
  signal: AbortSignal | undefined,
): Extract<StoreOutcome, { kind: 'unavailable' | 'aborted' }> {
  if (signal?.aborted) return { kind: 'aborted' };
  return {
    kind: 'unavailable',
    message: error instanceof Error ? error.message : String(error),
  };
}
