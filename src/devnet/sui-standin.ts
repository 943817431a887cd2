// A Sui stand-in for the devnet, in process: just enough of a Sui client for the official
// `@mysten/walrus` SDK to discover the devnet's committee (DESIGN §7). The SDK reads Sui only through
// `core.getObjects`, so this client serves the objects it walks — System → SystemStateInnerV1,
// Staking → StakingInnerV1, one StakingPool per node — and, given access to the devnet chain, its blob
// objects (Blob + `metadata` field) and its events as Walrus Move events (`core.listEvents`). The model
// behind it (sui/sui-state.ts) is the same one the devnet's Sui gRPC endpoint serves over HTTP.
// Everything else (coins, transactions) rejects: registering and certifying blobs cannot run here.
import { BaseClient, CoreClient, ObjectError, type SuiClientTypes } from '@mysten/sui/client';
import { normalizeSuiObjectId } from '@mysten/sui/utils';
import type { Committee } from '../network/committee.ts';
import { emitModuleMatches, eventTypeMatches, type MoveEvent } from './sui/move-events.ts';
import { SuiState, type ChainFeeds } from './sui/sui-state.ts';

export type { StoredObject } from './sui/walrus-sui-objects.ts';

export interface SuiStandInOptions extends Pick<ChainFeeds, 'chainEvents' | 'chainBlob'> {
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
}

export interface SuiStandIn {
  /** Pass as `suiClient` to `new WalrusClient(...)`. */
  client: SuiStandInClient;
  systemObjectId: string;
  stakingPoolId: string;
}

// Arbitrary non-zero prices, so cost arithmetic is exercised even when a caller does not care.
export const DEFAULT_STORAGE_PRICE = 100_000n;
export const DEFAULT_WRITE_PRICE = 20_000n;

export function createSuiStandIn(committee: Committee, options: SuiStandInOptions = {}): SuiStandIn {
  const state = new SuiState({
    committee,
    previousCommittee: options.previousCommittee,
    storagePricePerUnit: options.storagePricePerUnit ?? DEFAULT_STORAGE_PRICE,
    writePricePerUnit: options.writePricePerUnit ?? DEFAULT_WRITE_PRICE,
    epochState: options.epochState,
    chainEvents: options.chainEvents,
    chainBlob: options.chainBlob,
  });
  const client = new SuiStandInClient(options.network ?? 'localnet', state);
  return { client, systemObjectId: state.ids.systemObjectId, stakingPoolId: state.ids.stakingObjectId };
}

/** The client to hand to WalrusClient: a BaseClient whose `core` serves the stand-in's objects. */
export class SuiStandInClient extends BaseClient {
  override core: SuiStandInCoreClient;

  constructor(network: string, state: SuiState) {
    super({ network });
    this.core = new SuiStandInCoreClient({ network, base: this, cache: this.cache }, state);
  }
}

function unsupported(method: string): Promise<never> {
  return Promise.reject(
    new Error(`the devnet's Sui stand-in serves objects only; ${method} is not supported`),
  );
}

/** The SDK's event filter as a predicate on Move events. */
function eventPredicate(filter: SuiClientTypes.EventFilter | undefined): (event: MoveEvent) => boolean {
  if (!filter) return () => true;
  if (filter.eventType) return (event) => eventTypeMatches(event.eventType, filter.eventType!);
  if (filter.emitModule) return (event) => emitModuleMatches(event, filter.emitModule!);
  if (filter.sender) return (event) => event.sender === normalizeSuiObjectId(filter.sender!);
  return () => true;
}

export class SuiStandInCoreClient extends CoreClient {
  readonly #state: SuiState;

  constructor(options: ConstructorParameters<typeof CoreClient>[0], state: SuiState) {
    super(options);
    this.#state = state;
  }

  /** The chain's events as Walrus Move events; cursors are the chain's sequence numbers. */
  override async listEvents(
    options: SuiClientTypes.ListEventsOptions,
  ): Promise<SuiClientTypes.ListEventsResponse> {
    options.signal?.throwIfAborted();
    if (!this.#state.servesEvents) return unsupported('listEvents without chain events');
    const matches = eventPredicate(options.filter);
    const limit = options.limit ?? 50;
    const entry = (event: MoveEvent): SuiClientTypes.EventEntry => ({
      packageId: event.packageId,
      module: event.module,
      sender: event.sender,
      eventType: event.eventType,
      bcs: event.contents,
      json: null,
      checkpoint: null,
      transactionDigest: event.transactionDigest,
      eventIndex: event.eventIndex,
    });
    if (options.order === 'descending' || (options.before !== undefined && options.before !== null)) {
      // The newest ones: what a poller starts from.
      const before =
        options.before === undefined || options.before === null ? undefined : Number(options.before);
      const page = await this.#state.events({ before, descending: true, limit, matches });
      return {
        events: page.events.map(entry),
        hasNextPage: !page.exhausted,
        // Cursors are the chain's sequence numbers, so "after the newest" skips unmapped events too.
        startCursor: page.scannedFrom === undefined ? null : String(page.scannedFrom),
        endCursor: page.events.length ? String(page.events.at(-1)!.seq) : null,
      };
    }
    const after = options.after === undefined || options.after === null ? undefined : Number(options.after);
    const page = await this.#state.events({ after, descending: false, limit, matches });
    return {
      events: page.events.map(entry),
      hasNextPage: !page.exhausted,
      startCursor: page.events.length ? String(page.events[0]!.seq) : null,
      endCursor: page.scannedTo === undefined ? (options.after ?? null) : String(page.scannedTo),
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
    // In order: a blob object read before its attributes field teaches the state the field's owner.
    for (const requested of options.objectIds) {
      const objectId = normalizeSuiObjectId(requested);
      const object = await this.#state.object(objectId);
      // Like the real transports: a missing object is an Error in its slot, not a rejected call.
      if (!object) {
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
        version: String(object.version),
        digest: object.digest,
        owner: object.owner,
        type: object.type,
        // A copy: callers own what they get, and the stand-in's state must not change under them.
        content: include.content ? object.content.slice() : undefined,
        previousTransaction: include.previousTransaction ? object.previousTransaction : undefined,
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
