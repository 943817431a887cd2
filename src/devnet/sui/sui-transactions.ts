// The devnet's Sui transactions: SimulateTransaction (server-side resolution of the SDK's unresolved
// transaction, then a dry run), ExecuteTransaction (signature check, then the programmable transaction
// run against the devnet ledger as one atomic change) and GetTransaction. The interpreter knows the
// PTB commands the Walrus SDK builds (SplitCoins, MergeCoins, TransferObjects; GasCoin, Result,
// NestedResult) and the Walrus Move calls it makes; anything else fails the transaction, nothing is
// guessed. A failed transaction changes nothing (not even gas: a devnet simplification of Sui, which
// charges gas for failures) and reports its error in effects.status, as Sui does; a transaction Sui
// would refuse before running it (bad signature, malformed bytes, stale object references, a gas coin
// holding less than the budget) is refused with a gRPC error.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { bcs } from '@mysten/sui/bcs';
import { GrpcTypes } from '@mysten/sui/grpc';
import { TransactionDataBuilder, type TransactionData } from '@mysten/sui/transactions';
import {
  fromBase58,
  fromBase64,
  isValidSuiAddress,
  normalizeStructTag,
  normalizeSuiAddress,
  toBase64,
} from '@mysten/sui/utils';
import { isValidTransactionSignature } from '@mysten/sui/verify';
import { bytesToHex } from '../../protocol/base64.ts';
import { ChainError, type DevnetLedger } from '../chain/ledger.ts';
import type { CoinKind, ObjectChange, ObjectKind, StorageRecord } from '../chain/types.ts';
import { GrpcError, GrpcStatusCode } from './grpc-web.ts';
import { moveEventOf } from './move-events.ts';
import { protoOwner } from './sui-rpcs.ts';
import { FRAMEWORK } from './sui-ids.ts';
import type { ServedObject, SuiState } from './sui-state.ts';

/** The SDK's own converters between its TransactionData and the gRPC Transaction (not exported by name). */
interface TransactionResolver {
  grpcTransactionToTransactionData(transaction: GrpcTypes.Transaction): TransactionData;
  transactionDataToGrpcTransaction(data: TransactionData): GrpcTypes.Transaction;
}
const resolver = (await import(
  new URL(
    './transaction-resolver.mjs',
    pathToFileURL(createRequire(import.meta.url).resolve('@mysten/sui/client')),
  ).href
)) as TransactionResolver;

const MAX_KEPT_TRANSACTIONS = 10_000;

/** Sui's reference gas price on the devnet, MIST per gas unit. */
export const REFERENCE_GAS_PRICE = 1000n;

const { ExecutionError_ExecutionErrorKind: ErrorKind } = GrpcTypes;
const {
  ChangedObject_IdOperation: IdOperation,
  ChangedObject_InputObjectState: InputState,
  ChangedObject_OutputObjectState: OutputState,
} = GrpcTypes;

/** Why a transaction failed in execution (reported in effects.status; nothing is changed). */
class ExecutionFailure extends Error {
  readonly kind: GrpcTypes.ExecutionError_ExecutionErrorKind;
  readonly command: number | undefined;
  readonly abort: { code: bigint; module: string; functionName: string; packageId: string } | undefined;
  constructor(
    kind: GrpcTypes.ExecutionError_ExecutionErrorKind,
    message: string,
    command?: number,
    abort?: { code: bigint; module: string; functionName: string; packageId: string },
  ) {
    super(message);
    this.kind = kind;
    this.command = command;
    this.abort = abort;
  }
}

type Value =
  | { t: 'coin'; id: string; kind: CoinKind; fresh: boolean; gone?: boolean }
  | { t: 'blob'; id: string; fresh: boolean; /** transferred or deleted */ placed?: boolean }
  | { t: 'storage'; storage: Omit<StorageRecord, 'owner'>; gone?: boolean }
  | { t: 'metadata'; pairs: Record<string, string>; gone?: boolean }
  | { t: 'shared'; id: string; mutable: boolean }
  | { t: 'other'; id: string }
  | { t: 'pure'; bytes: Uint8Array }
  | { t: 'string'; value: string };

type Argument = TransactionData['commands'][number] extends infer C
  ? C extends { MoveCall: { arguments: (infer A)[] } }
    ? A
    : never
  : never;

interface Outcome {
  effects: GrpcTypes.TransactionEffects;
  events: GrpcTypes.Event[];
  balanceChanges: GrpcTypes.BalanceChange[];
}

export class SuiTransactions {
  readonly #state: SuiState;
  readonly #ledger: DevnetLedger;
  /** Executed transactions (also failed ones), by digest, as GetTransaction answers them. */
  readonly #executed = new Map<string, GrpcTypes.ExecutedTransaction>();
  /** One transaction at a time: each reads and writes the ledger as a whole. */
  #queue: Promise<unknown> = Promise.resolve();

  readonly #path: string | undefined;

  /**
   * `path`: where executed transactions are kept (one base64 ExecutedTransaction per line), so that a
   * restarted devnet still answers GetTransaction for them; the latest MAX_KEPT_TRANSACTIONS are loaded.
   */
  constructor(state: SuiState, ledger: DevnetLedger, options: { path?: string } = {}) {
    this.#state = state;
    this.#ledger = ledger;
    this.#path = options.path;
    if (this.#path && existsSync(this.#path)) {
      const lines = readFileSync(this.#path, 'utf8').split('\n').filter(Boolean);
      for (const line of lines.slice(-MAX_KEPT_TRANSACTIONS)) {
        try {
          const executed = GrpcTypes.ExecutedTransaction.fromBinary(fromBase64(line));
          if (executed.digest) this.#executed.set(executed.digest, executed);
        } catch {
          // A line cut short by a crash: skip it.
        }
      }
      // Compact the file to what was kept.
      if (lines.length > MAX_KEPT_TRANSACTIONS) {
        writeFileSync(this.#path, lines.slice(-MAX_KEPT_TRANSACTIONS).join('\n') + '\n');
      }
    }
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // ── SimulateTransaction ──────────────────────────────────────────────────────────────────────

  simulate(request: GrpcTypes.SimulateTransactionRequest): Promise<GrpcTypes.SimulateTransactionResponse> {
    return this.#serially(async () => {
      const proto = request.transaction;
      if (!proto) throw invalid('transaction is required');
      const resolved = await this.#resolve(proto, request.doGasSelection ?? false);
      let data: TransactionData;
      try {
        data = resolver.grpcTransactionToTransactionData(resolved);
      } catch (error) {
        throw invalid(`malformed transaction: ${(error as Error).message}`);
      }
      const { effects, events } = await this.#run(data, bytesToHex(randomBytes(32)), true);
      return GrpcTypes.SimulateTransactionResponse.create({
        transaction: { transaction: resolved, effects, events: { events }, signatures: [] },
        commandOutputs: [],
        suggestedGasPrice: REFERENCE_GAS_PRICE,
      });
    });
  }

  /** Fills what the client left out: object input kinds and references, gas payment, price, budget. */
  async #resolve(proto: GrpcTypes.Transaction, doGasSelection: boolean): Promise<GrpcTypes.Transaction> {
    const transaction = GrpcTypes.Transaction.create(proto);
    const kind = transaction.kind?.data;
    if (kind?.oneofKind !== 'programmableTransaction') {
      throw invalid('only programmable transactions are supported');
    }
    const sender = addressOf(transaction.sender, 'sender');
    const inputIds = new Set<string>();
    for (const input of kind.programmableTransaction.inputs) {
      if (input.kind === undefined || input.kind === GrpcTypes.Input_InputKind.INPUT_KIND_UNKNOWN) {
        const id = addressOf(input.objectId, 'input object_id');
        const object = await this.#state.object(id);
        if (!object) throw invalid(`input object ${id} does not exist`);
        input.objectId = id;
        if (object.owner.$kind === 'Shared') {
          input.kind = GrpcTypes.Input_InputKind.SHARED;
          input.version = BigInt(object.owner.Shared.initialSharedVersion);
          input.mutable = input.mutable ?? true;
        } else {
          input.kind = GrpcTypes.Input_InputKind.IMMUTABLE_OR_OWNED;
          input.version = object.version;
          input.digest = object.digest;
        }
      }
      if (input.objectId) inputIds.add(normalizeSuiAddress(input.objectId));
    }
    const gas = (transaction.gasPayment ??= { objects: [] });
    gas.owner ??= sender;
    gas.price ??= REFERENCE_GAS_PRICE;
    if (gas.objects.length === 0) {
      if (!doGasSelection) throw invalid('no gas payment, and gas selection was not asked for');
      const coins = (await this.#state.ownedObjects(sender)).filter(
        (o) =>
          o.type === `${FRAMEWORK}::coin::Coin<${this.#state.coinType('SUI')}>` && !inputIds.has(o.objectId),
      );
      if (coins.length === 0) throw invalid(`${sender} owns no Coin<SUI> to pay gas with`);
      gas.objects = coins.map((c) => ({ objectId: c.objectId, version: c.version, digest: c.digest }));
    }
    if (gas.budget === undefined) {
      let total = 0n;
      for (const ref of gas.objects) total += (await this.#state.object(ref.objectId ?? ''))?.balance ?? 0n;
      const wanted = 2n * this.#gasCost();
      gas.budget = total < wanted ? total : wanted;
    }
    transaction.expiration ??= { kind: GrpcTypes.TransactionExpiration_TransactionExpirationKind.NONE };
    return transaction;
  }

  // ── ExecuteTransaction and GetTransaction ────────────────────────────────────────────────────

  execute(request: GrpcTypes.ExecuteTransactionRequest): Promise<GrpcTypes.ExecuteTransactionResponse> {
    return this.#serially(async () => {
      const bytes = request.transaction?.bcs?.value;
      if (!bytes || bytes.length === 0) {
        throw invalid('transaction.bcs is required: the signed TransactionData bytes');
      }
      let data: TransactionData;
      try {
        data = TransactionDataBuilder.fromBytes(bytes).snapshot();
      } catch (error) {
        throw invalid(`the transaction bytes are no TransactionData: ${(error as Error).message}`);
      }
      const digest = TransactionDataBuilder.getDigestFromBytes(bytes);
      const known = this.#executed.get(digest);
      if (known) return GrpcTypes.ExecuteTransactionResponse.create({ transaction: known });
      const sender = addressOf(data.sender ?? undefined, 'sender');
      if (request.signatures.length !== 1) {
        throw invalid(`expected one signature (the sender's), got ${request.signatures.length}`);
      }
      const signature = request.signatures[0]!.bcs?.value;
      const valid =
        !!signature &&
        (await isValidTransactionSignature(bytes, toBase64(signature), { address: sender }).catch(
          () => false,
        ));
      if (!valid) throw invalid(`Invalid user signature: the signature does not verify for ${sender}`);
      const { effects, events, balanceChanges } = await this.#run(
        data,
        bytesToHex(fromBase58(digest)),
        false,
        digest,
      );
      const executed = GrpcTypes.ExecutedTransaction.create({
        digest,
        transaction: { ...resolver.transactionDataToGrpcTransaction(data), bcs: { value: bytes }, digest },
        signatures: request.signatures,
        effects,
        events: { events },
        balanceChanges,
        timestamp: timestampNow(),
      });
      this.#executed.set(digest, executed);
      if (this.#path) {
        mkdirSync(dirname(this.#path), { recursive: true });
        appendFileSync(this.#path, toBase64(GrpcTypes.ExecutedTransaction.toBinary(executed)) + '\n');
      }
      // Kept for GetTransaction, the latest MAX_KEPT_TRANSACTIONS of them (in memory only).
      if (this.#executed.size > MAX_KEPT_TRANSACTIONS) {
        this.#executed.delete(this.#executed.keys().next().value!);
      }
      return GrpcTypes.ExecuteTransactionResponse.create({ transaction: executed });
    });
  }

  get(request: GrpcTypes.GetTransactionRequest): GrpcTypes.GetTransactionResponse {
    const executed = request.digest ? this.#executed.get(request.digest) : undefined;
    if (!executed) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Transaction ${request.digest} not found`);
    return GrpcTypes.GetTransactionResponse.create({ transaction: executed });
  }

  batchGet(request: GrpcTypes.BatchGetTransactionsRequest): GrpcTypes.BatchGetTransactionsResponse {
    return GrpcTypes.BatchGetTransactionsResponse.create({
      transactions: request.digests.map((digest) => {
        const executed = this.#executed.get(digest);
        return executed
          ? { result: { oneofKind: 'transaction', transaction: executed } }
          : {
              result: {
                oneofKind: 'error',
                error: {
                  code: GrpcStatusCode.NOT_FOUND,
                  message: `Transaction ${digest} not found`,
                  details: [],
                },
              },
            };
      }),
    });
  }

  /** GetEpoch: the current epoch and the reference gas price (what getReferenceGasPrice reads). */
  epoch(): GrpcTypes.GetEpochResponse {
    const clock = this.#state.clock;
    return GrpcTypes.GetEpochResponse.create({
      epoch: {
        epoch: BigInt(clock.epoch),
        referenceGasPrice: REFERENCE_GAS_PRICE,
        start: {
          seconds: BigInt(Math.floor(clock.epochStartedAtMs / 1000)),
          nanos: (clock.epochStartedAtMs % 1000) * 1_000_000,
        },
      },
    });
  }

  // ── running a transaction ────────────────────────────────────────────────────────────────────

  #gasCost(): bigint {
    return BigInt(this.#ledger.params.gasPerTransaction);
  }

  /**
   * Checks what Sui checks before execution (refusing with a gRPC error), then runs the commands as
   * one ledger transaction; effects report success or the failure (and then nothing changed).
   */
  async #run(data: TransactionData, digestHex: string, dryRun: boolean, digest?: string): Promise<Outcome> {
    const sender = addressOf(data.sender ?? undefined, 'sender');
    const gasData = data.gasData;
    if (gasData.owner && normalizeSuiAddress(gasData.owner) !== sender) {
      throw invalid('sponsored transactions are not supported: the gas owner must be the sender');
    }
    const payment = gasData.payment ?? [];
    if (payment.length === 0) throw invalid('no gas payment');
    const price = BigInt(gasData.price ?? 0);
    if (price < REFERENCE_GAS_PRICE) {
      throw invalid(`gas price ${price} is below the reference gas price ${REFERENCE_GAS_PRICE}`);
    }
    const budget = BigInt(gasData.budget ?? 0);
    if (
      data.expiration &&
      data.expiration.$kind === 'Epoch' &&
      BigInt(data.expiration.Epoch) < BigInt(this.#ledger.epoch)
    ) {
      throw invalid('the transaction has expired');
    }
    // Objects as they are before the transaction (for the effects' input states).
    const before = new Map<string, ServedObject>();
    const gasCoins: string[] = [];
    let gasBalance = 0n;
    for (const ref of payment) {
      const coin = await this.#owned(ref.objectId, ref.version, ref.digest, sender, 'gas payment');
      if (coin.type !== `${FRAMEWORK}::coin::Coin<${this.#state.coinType('SUI')}>`) {
        throw invalid(`gas payment ${coin.objectId} is no Coin<SUI>`);
      }
      if (gasCoins.includes(coin.objectId)) throw invalid(`gas payment ${coin.objectId} appears twice`);
      gasCoins.push(coin.objectId);
      before.set(coin.objectId, coin);
      gasBalance += coin.balance ?? 0n;
    }
    if (gasBalance < budget) {
      throw invalid(`the gas coins hold ${gasBalance} MIST, less than the gas budget ${budget}`);
    }
    const inputs: Value[] = [];
    for (const input of data.inputs) {
      if (input.$kind === 'Pure') {
        inputs.push({ t: 'pure', bytes: fromBase64(input.Pure.bytes) });
        continue;
      }
      if (input.$kind !== 'Object') throw invalid(`input kind ${input.$kind} is not supported by the devnet`);
      const object = input.Object;
      if (object.$kind === 'SharedObject') {
        const id = normalizeSuiAddress(object.SharedObject.objectId);
        const served = await this.#state.object(id);
        if (!served || served.owner.$kind !== 'Shared') throw invalid(`${id} is no shared object`);
        const initial = served.owner.Shared.initialSharedVersion;
        if (BigInt(object.SharedObject.initialSharedVersion) !== BigInt(initial)) {
          throw invalid(
            `shared object ${id} was shared at version ${initial}, not ${object.SharedObject.initialSharedVersion}`,
          );
        }
        inputs.push({ t: 'shared', id, mutable: object.SharedObject.mutable });
      } else if (object.$kind === 'ImmOrOwnedObject') {
        const ref = object.ImmOrOwnedObject;
        const served = await this.#owned(ref.objectId, ref.version, ref.digest, sender, 'input');
        if (gasCoins.includes(served.objectId)) throw invalid(`${served.objectId} is both gas and an input`);
        before.set(served.objectId, served);
        inputs.push(this.#valueOf(served));
      } else throw invalid(`object input kind ${object.$kind} is not supported by the devnet`);
    }

    const gasCost = this.#gasCost();
    const eventsFrom = this.#ledger.nextEventSeq;
    const accountsBefore = new Map(this.#ledger.accounts().map((a) => [a.address, a]));
    let changes: Map<string, { change: ObjectChange; kind: ObjectKind; version: number }>;
    let failure: ExecutionFailure | undefined;
    try {
      if (budget < gasCost) {
        throw new ExecutionFailure(
          ErrorKind.INSUFFICIENT_GAS,
          `InsufficientGas: the budget ${budget} does not cover the ${gasCost} MIST this transaction costs`,
        );
      }
      ({ changes } = this.#ledger.transact(
        digestHex,
        () => {
          // What was checked above still holds (nothing else ran in between, but say so where it counts).
          for (const [id, object] of before) {
            if (BigInt(this.#ledger.versionOf(id)) !== object.version) {
              throw invalid(`${id} changed while the transaction was being checked; resubmit it`);
            }
          }
          for (const extra of gasCoins.slice(1)) this.#ledger.mergeCoin(gasCoins[0]!, extra);
          new Interpreter(this.#state, this.#ledger, sender, inputs, gasCoins[0]!).run(data.commands);
          try {
            this.#ledger.withdraw(gasCoins[0]!, gasCost);
          } catch {
            throw new ExecutionFailure(
              ErrorKind.INSUFFICIENT_GAS,
              'InsufficientGas: the gas coin cannot pay for gas',
            );
          }
        },
        { dryRun },
      ));
    } catch (error) {
      if (error instanceof GrpcError) throw error;
      failure = asFailure(error);
      changes = new Map();
    }

    const protoChange = async (id: string, change: ObjectChange, kind: ObjectKind, version: number) => {
      const previous = before.get(id);
      // Deleted and wrapped objects exist no more (a wrapped one only inside the object holding it).
      const gone = change === 'deleted' || change === 'wrapped';
      const after = gone || dryRun ? undefined : await this.#state.object(id);
      const entry: GrpcTypes.ChangedObject = {
        objectId: id,
        inputState: previous ? InputState.EXISTS : InputState.DOES_NOT_EXIST,
        inputVersion: previous?.version,
        inputDigest: previous?.digest,
        inputOwner: previous ? protoOwner(previous.owner) : undefined,
        outputState: gone ? OutputState.DOES_NOT_EXIST : OutputState.OBJECT_WRITE,
        outputVersion: gone ? undefined : BigInt(version),
        outputDigest: after?.digest,
        outputOwner: after ? protoOwner(after.owner) : undefined,
        idOperation:
          change === 'created'
            ? IdOperation.CREATED
            : change === 'deleted'
              ? IdOperation.DELETED
              : IdOperation.NONE,
        objectType: after?.type ?? previous?.type ?? this.#typeOf(kind),
      };
      return entry;
    };
    const changedObjects: GrpcTypes.ChangedObject[] = [];
    for (const [id, { change, kind, version }] of changes) {
      changedObjects.push(await protoChange(normalizeSuiAddress(id), change, kind, version));
    }
    const gasId = gasCoins[0]!;
    const gasObject =
      changedObjects.find((c) => c.objectId === gasId) ??
      (await protoChange(gasId, 'mutated', 'coin', this.#ledger.versionOf(gasId)));
    const events =
      failure || dryRun
        ? []
        : this.#ledger
            .eventsAfter(eventsFrom - 1, 10_000)
            .filter((e) => e.txDigest === digestHex)
            .map((event, index) => {
              const move = moveEventOf(this.#state.ids, event);
              return move
                ? GrpcTypes.Event.create({
                    packageId: move.packageId,
                    module: move.module,
                    sender,
                    eventType: move.eventType,
                    contents: { name: move.eventType, value: move.contents },
                    transactionDigest: digest,
                    eventIndex: index,
                  })
                : undefined;
            })
            .filter((e): e is GrpcTypes.Event => e !== undefined);
    const status: GrpcTypes.ExecutionStatus = failure
      ? {
          success: false,
          error: {
            description: failure.message,
            kind: failure.kind,
            command: failure.command === undefined ? undefined : BigInt(failure.command),
            errorDetails: failure.abort
              ? {
                  oneofKind: 'abort',
                  abort: {
                    abortCode: failure.abort.code,
                    location: {
                      package: failure.abort.packageId,
                      module: failure.abort.module,
                      functionName: failure.abort.functionName,
                    },
                  },
                }
              : { oneofKind: undefined },
          },
        }
      : { success: true };
    // Balance changes: every account whose SUI or WAL total moved (none for failures and dry runs).
    const balanceChanges: GrpcTypes.BalanceChange[] = [];
    if (!failure && !dryRun) {
      for (const account of this.#ledger.accounts()) {
        const earlier = accountsBefore.get(account.address);
        for (const kind of ['SUI', 'WAL'] as const) {
          const field = kind === 'SUI' ? 'sui' : 'wal';
          const amount = BigInt(account[field]) - BigInt(earlier?.[field] ?? 0);
          if (amount !== 0n) {
            balanceChanges.push({
              address: account.address,
              coinType: this.#state.coinType(kind),
              amount: amount.toString(),
            });
          }
        }
      }
    }
    return {
      balanceChanges,
      effects: GrpcTypes.TransactionEffects.create({
        version: 2,
        status,
        epoch: BigInt(this.#ledger.epoch),
        gasUsed: {
          computationCost: failure ? 0n : gasCost,
          storageCost: 0n,
          storageRebate: 0n,
          nonRefundableStorageFee: 0n,
        },
        transactionDigest: digest,
        gasObject,
        changedObjects,
        dependencies: [],
        lamportVersion: changes.size ? BigInt([...changes.values()][0]!.version) : undefined,
      }),
      events,
    };
  }

  #typeOf(kind: ObjectKind): string {
    const pkg = this.#state.ids.packageId;
    if (kind === 'blob') return `${pkg}::blob::Blob`;
    if (kind === 'storage') return `${pkg}::storage_resource::Storage`;
    if (kind === 'shared-blob') return `${pkg}::shared_blob::SharedBlob`;
    return `${FRAMEWORK}::coin::Coin`;
  }

  /** An owned object the sender names by reference: it must exist at that version and digest and be the sender's. */
  async #owned(
    rawId: string,
    version: string | number | bigint,
    digest: string,
    sender: string,
    what: string,
  ): Promise<ServedObject> {
    const id = normalizeSuiAddress(rawId);
    const served = await this.#state.object(id);
    if (!served) throw invalid(`${what} ${id} does not exist (deleted or never created)`);
    if (served.version !== BigInt(version) || served.digest !== digest) {
      throw invalid(
        `${what} ${id} is at version ${served.version} (digest ${served.digest}), not ${version} (${digest}): the reference is stale`,
      );
    }
    if (served.owner.$kind === 'AddressOwner') {
      if (normalizeSuiAddress(served.owner.AddressOwner) !== sender) {
        throw invalid(`${what} ${id} is owned by ${served.owner.AddressOwner}, not the sender ${sender}`);
      }
    } else if (served.owner.$kind !== 'Immutable') {
      throw invalid(`${what} ${id} is not an owned object`);
    }
    return served;
  }

  #valueOf(served: ServedObject): Value {
    const coin = this.#ledger.coin(served.objectId);
    if (coin) return { t: 'coin', id: coin.id, kind: coin.kind, fresh: false };
    if (served.type === `${this.#state.ids.packageId}::blob::Blob`) {
      return { t: 'blob', id: served.objectId, fresh: false };
    }
    const storage = this.#ledger.storage(served.objectId);
    if (storage) return { t: 'storage', storage };
    return { t: 'other', id: served.objectId };
  }
}

/** Runs the commands of one programmable transaction against the ledger (inside ledger.transact). */
class Interpreter {
  readonly #results: Value[][] = [];
  #command = 0;

  readonly state: SuiState;
  readonly ledger: DevnetLedger;
  readonly sender: string;
  readonly inputs: Value[];
  readonly gasCoin: string;

  constructor(state: SuiState, ledger: DevnetLedger, sender: string, inputs: Value[], gasCoin: string) {
    this.state = state;
    this.ledger = ledger;
    this.sender = sender;
    this.inputs = inputs;
    this.gasCoin = gasCoin;
  }

  run(commands: TransactionData['commands']): void {
    for (const [index, command] of commands.entries()) {
      this.#command = index;
      try {
        this.#results.push(this.#execute(command));
      } catch (error) {
        const failure = asFailure(error);
        throw new ExecutionFailure(
          failure.kind,
          `command ${index}: ${failure.message}`,
          index,
          failure.abort,
        );
      }
    }
    // Move values without `drop` must end up somewhere: in an object, transferred, or destroyed.
    for (const results of this.#results) {
      for (const value of results) {
        const leftover =
          (value.t === 'coin' && value.fresh && !value.gone) ||
          (value.t === 'blob' && value.fresh && !value.placed) ||
          ((value.t === 'storage' || value.t === 'metadata') && !value.gone);
        if (leftover) {
          throw new ExecutionFailure(
            ErrorKind.UNUSED_VALUE_WITHOUT_DROP,
            `UnusedValueWithoutDrop: a ${value.t} result is left unused at the end of the transaction`,
          );
        }
      }
    }
  }

  #execute(command: TransactionData['commands'][number]): Value[] {
    switch (command.$kind) {
      case 'SplitCoins': {
        const coin = this.#coin(command.SplitCoins.coin);
        return command.SplitCoins.amounts.map((amount) => {
          const value = BigInt(this.#pure(amount, bcs.u64(), 'u64'));
          const created = this.#op(() => this.ledger.splitCoin(coin.id, value));
          return { t: 'coin', id: created.id, kind: coin.kind, fresh: true } satisfies Value;
        });
      }
      case 'MergeCoins': {
        const destination = this.#coin(command.MergeCoins.destination);
        for (const source of command.MergeCoins.sources) {
          const coin = this.#coin(source);
          if (coin.id === this.gasCoin)
            throw argumentError('the gas coin cannot be merged into another coin');
          if (coin.kind !== destination.kind) throw argumentError('MergeCoins of coins of different types');
          this.#op(() => this.ledger.mergeCoin(destination.id, coin.id));
          coin.gone = true;
        }
        return [];
      }
      case 'TransferObjects': {
        const recipient = normalizeSuiAddress(
          this.#pure(command.TransferObjects.address, bcs.Address, 'address'),
        );
        for (const argument of command.TransferObjects.objects) {
          const value = this.#value(argument);
          if (value.t === 'coin') {
            if (value.gone) throw argumentError('the coin was already moved');
            this.#op(() => this.ledger.transferObject(value.id, recipient));
            value.gone = true;
          } else if (value.t === 'blob') {
            if (value.placed) throw argumentError('the blob was already moved');
            this.#op(() => this.ledger.transferObject(value.id, recipient));
            value.placed = true;
          } else if (value.t === 'storage') {
            if (value.gone) throw argumentError('the storage resource was already moved');
            if (this.ledger.storage(value.storage.id)) {
              this.#op(() => this.ledger.transferObject(value.storage.id, recipient));
            } else this.#op(() => this.ledger.keepStorage(value.storage, recipient));
            value.gone = true;
          } else {
            throw new ExecutionFailure(
              ErrorKind.INVALID_TRANSFER_OBJECT,
              `a ${value.t} cannot be transferred`,
            );
          }
        }
        return [];
      }
      case 'MoveCall':
        return this.#moveCall(command.MoveCall);
      default:
        throw new ExecutionFailure(
          ErrorKind.FEATURE_NOT_YET_SUPPORTED,
          `${command.$kind} commands are not supported by the devnet`,
        );
    }
  }

  #moveCall(call: {
    package: string;
    module: string;
    function: string;
    typeArguments: string[];
    arguments: Argument[];
  }): Value[] {
    const pkg = normalizeSuiAddress(call.package);
    const target = `${pkg}::${call.module}::${call.function}`;
    const walrus = this.state.ids.packageId;
    const args = call.arguments;
    const arity = (n: number) => {
      if (args.length !== n) {
        throw new ExecutionFailure(
          ErrorKind.ARITY_MISMATCH,
          `${target} takes ${n} arguments, got ${args.length}`,
        );
      }
      if (call.typeArguments.length !== (target === `${FRAMEWORK}::coin::destroy_zero` ? 1 : 0)) {
        throw new ExecutionFailure(
          ErrorKind.TYPE_ARITY_MISMATCH,
          `${target}: wrong number of type arguments`,
        );
      }
    };
    const abort = (error: unknown, module: string, functionName: string, code: bigint) => {
      if (error instanceof ChainError) {
        return new ExecutionFailure(
          ErrorKind.MOVE_ABORT,
          `MoveAbort in ${module}::${functionName}: ${error.reason}: ${error.message}`,
          this.#command,
          { code, module, functionName, packageId: module === 'balance' ? FRAMEWORK : walrus },
        );
      }
      return error;
    };
    // A ledger refusal inside a Move call is that call's abort. The abort codes are the devnet's own
    // (one per function), not the Walrus contracts' error constants; the description names the reason.
    const guarded = <T>(module: string, functionName: string, code: bigint, body: () => T): T => {
      try {
        return body();
      } catch (error) {
        throw abort(error, module, functionName, code);
      }
    };
    if (target === `${FRAMEWORK}::coin::destroy_zero`) {
      arity(1);
      const coin = this.#coin(args[0]!);
      const wanted = normalizeTypeArgument(call.typeArguments[0]!);
      if (wanted !== this.state.coinType(coin.kind)) {
        throw new ExecutionFailure(
          ErrorKind.TYPE_ARGUMENT_ERROR,
          `destroy_zero<${wanted}> of a Coin<${coin.kind}>`,
        );
      }
      guarded('balance', 'destroy_zero', 0n, () => this.ledger.destroyZeroCoin(coin.id));
      coin.gone = true;
      return [];
    }
    if (pkg !== walrus) {
      throw new ExecutionFailure(
        ErrorKind.FUNCTION_NOT_FOUND,
        `FunctionNotFound: ${target} is not known to the devnet`,
      );
    }
    switch (`${call.module}::${call.function}`) {
      case 'system::reserve_space': {
        arity(4);
        this.#system(args[0]!);
        const size = BigInt(this.#pure(args[1]!, bcs.u64(), 'u64'));
        const epochs = Number(this.#pure(args[2]!, bcs.u32(), 'u32'));
        const coin = this.#coin(args[3]!, 'WAL');
        const storage = guarded('system', 'reserve_space', 2n, () =>
          this.ledger.reserveSpace(size, epochs, coin.id),
        );
        return [{ t: 'storage', storage }];
      }
      case 'system::register_blob': {
        arity(8);
        this.#system(args[0]!);
        const storage = this.#value(args[1]!);
        if (storage.t !== 'storage' || storage.gone) throw argumentError('register_blob takes a Storage');
        const blobIdBytes = this.#pureBytes(args[2]!, 32, 'u256');
        const rootHash = this.#pureBytes(args[3]!, 32, 'u256');
        const size = BigInt(this.#pure(args[4]!, bcs.u64(), 'u64'));
        const encodingType = Number(this.#pure(args[5]!, bcs.u8(), 'u8'));
        const deletable = this.#pure(args[6]!, bcs.bool(), 'bool');
        const coin = this.#coin(args[7]!, 'WAL');
        if (this.ledger.storage(storage.storage.id)) {
          throw argumentError('free storage resources cannot be registered on the devnet yet');
        }
        const blob = guarded('system', 'register_blob', 1n, () =>
          this.ledger.registerBlobWithStorage({
            sender: this.sender,
            storage: storage.storage,
            blobIdBytes,
            rootHash,
            size,
            encodingType,
            deletable,
            writePaymentCoinId: coin.id,
          }),
        );
        storage.gone = true;
        return [{ t: 'blob', id: blob.id, fresh: true }];
      }
      case 'system::certify_blob': {
        arity(5);
        this.#system(args[0]!);
        const blob = this.#blob(args[1]!);
        const signature = new Uint8Array(this.#pure(args[2]!, bcs.vector(bcs.u8()), 'vector<u8>'));
        const bitmap = new Uint8Array(this.#pure(args[3]!, bcs.vector(bcs.u8()), 'vector<u8>'));
        const message = new Uint8Array(this.#pure(args[4]!, bcs.vector(bcs.u8()), 'vector<u8>'));
        const signers: number[] = [];
        bitmap.forEach((byte, i) => {
          for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) signers.push(i * 8 + bit);
        });
        guarded('system', 'certify_blob', 3n, () => {
          if (this.ledger.getBlob(blob.id).certifiedEpoch !== null) {
            throw new ChainError(400, 'ALREADY_CERTIFIED', 'the blob is already certified');
          }
          this.ledger.certifyBlob(blob.id, { signers, serializedMessage: message, signature });
        });
        return [];
      }
      case 'system::extend_blob': {
        arity(4);
        this.#system(args[0]!);
        const blob = this.#blob(args[1]!);
        const epochs = Number(this.#pure(args[2]!, bcs.u32(), 'u32'));
        const coin = this.#coin(args[3]!, 'WAL');
        guarded('system', 'extend_blob', 4n, () =>
          this.ledger.extendBlob(blob.id, this.sender, epochs, coin.id),
        );
        return [];
      }
      case 'system::delete_blob': {
        arity(2);
        this.#system(args[0]!);
        const blob = this.#blob(args[1]!);
        const deleted = guarded('system', 'delete_blob', 5n, () =>
          this.ledger.deleteBlob(blob.id, this.sender),
        );
        blob.placed = true;
        return [{ t: 'storage', storage: { ...deleted.storage } }];
      }
      case 'metadata::new':
        arity(0);
        return [{ t: 'metadata', pairs: {} }];
      case 'metadata::insert_or_update': {
        arity(3);
        const metadata = this.#value(args[0]!);
        if (metadata.t !== 'metadata' || metadata.gone)
          throw argumentError('insert_or_update takes a Metadata');
        metadata.pairs[this.#string(args[1]!)] = this.#string(args[2]!);
        return [];
      }
      case 'blob::add_metadata': {
        arity(2);
        const blob = this.#blob(args[0]!);
        const metadata = this.#value(args[1]!);
        if (metadata.t !== 'metadata' || metadata.gone) throw argumentError('add_metadata takes a Metadata');
        guarded('blob', 'add_metadata', 6n, () =>
          this.ledger.setAttributes(blob.id, this.sender, metadata.pairs),
        );
        metadata.gone = true;
        return [];
      }
      case 'blob::insert_or_update_metadata_pair': {
        arity(3);
        const blob = this.#blob(args[0]!);
        const key = this.#string(args[1]!);
        const value = this.#string(args[2]!);
        guarded('blob', 'insert_or_update_metadata_pair', 7n, () =>
          this.ledger.setAttributes(blob.id, this.sender, { [key]: value }),
        );
        return [];
      }
      case 'blob::remove_metadata_pair': {
        arity(2);
        const blob = this.#blob(args[0]!);
        const key = this.#string(args[1]!);
        const value = guarded('blob', 'remove_metadata_pair', 8n, () => {
          const attributes = this.ledger.getBlob(blob.id).attributes;
          if (!(key in attributes)) throw new ChainError(404, 'KEY_NOT_FOUND', `no attribute ${key}`);
          this.ledger.setAttributes(blob.id, this.sender, {}, [key]);
          return attributes[key]!;
        });
        return [
          { t: 'string', value: key },
          { t: 'string', value },
        ];
      }
      // shared_blob.move: the Blob moves into a new shared SharedBlob (by value: it is used up here).
      case 'shared_blob::new': {
        arity(1);
        const blob = this.#blob(args[0]!);
        guarded('shared_blob', 'new', 9n, () => this.ledger.shareBlob(blob.id, this.sender));
        blob.placed = true;
        return [];
      }
      case 'shared_blob::new_funded': {
        arity(2);
        const blob = this.#blob(args[0]!);
        const coin = this.#coin(args[1]!, 'WAL');
        guarded('shared_blob', 'new_funded', 10n, () => this.ledger.shareBlob(blob.id, this.sender, coin.id));
        blob.placed = true;
        coin.gone = true;
        return [];
      }
      case 'shared_blob::fund': {
        arity(2);
        const shared = this.#sharedBlob(args[0]!);
        const coin = this.#coin(args[1]!, 'WAL');
        guarded('shared_blob', 'fund', 11n, () => this.ledger.fundSharedBlob(shared, coin.id));
        coin.gone = true;
        return [];
      }
      case 'shared_blob::extend': {
        arity(3);
        const shared = this.#sharedBlob(args[0]!);
        this.#system(args[1]!);
        const epochs = Number(this.#pure(args[2]!, bcs.u32(), 'u32'));
        guarded('shared_blob', 'extend', 12n, () => this.ledger.extendSharedBlob(shared, epochs));
        return [];
      }
      default:
        throw new ExecutionFailure(
          ErrorKind.FUNCTION_NOT_FOUND,
          `FunctionNotFound: ${target} is not known to the devnet`,
        );
    }
  }

  /** A `&mut SharedBlob` argument: a shared blob given as a mutable shared input. Returns its ID. */
  #sharedBlob(argument: Argument): string {
    const value = this.#value(argument);
    if (value.t !== 'shared' || !this.ledger.sharedBlob(value.id))
      throw argumentError('expected a SharedBlob');
    if (!value.mutable) {
      throw argumentError(
        'InvalidObjectByMutRef: the SharedBlob is taken by &mut, but was given as an immutable input',
      );
    }
    return value.id;
  }

  /** Runs a ledger operation; its refusals become failures of the command. */
  #op<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (error instanceof ChainError) {
        throw new ExecutionFailure(
          error.reason === 'INSUFFICIENT_BALANCE'
            ? ErrorKind.INSUFFICIENT_COIN_BALANCE
            : ErrorKind.COMMAND_ARGUMENT_ERROR,
          `${error.reason}: ${error.message}`,
        );
      }
      throw error;
    }
  }

  #value(argument: Argument): Value {
    switch (argument.$kind) {
      case 'Input': {
        const value = this.inputs[argument.Input];
        if (!value) throw argumentError(`no input ${argument.Input}`);
        return value;
      }
      case 'GasCoin':
        return { t: 'coin', id: this.gasCoin, kind: 'SUI', fresh: false };
      case 'Result': {
        const results = this.#results[argument.Result];
        if (!results) throw argumentError(`no result of command ${argument.Result} (yet)`);
        if (results.length !== 1)
          throw argumentError(`command ${argument.Result} has ${results.length} results`);
        return results[0]!;
      }
      case 'NestedResult': {
        const [command, index] = argument.NestedResult;
        const value = this.#results[command]?.[index];
        if (!value) throw argumentError(`no result ${index} of command ${command}`);
        return value;
      }
      default:
        throw argumentError(`argument kind ${(argument as { $kind: string }).$kind} is not supported`);
    }
  }

  #coin(argument: Argument, kind?: CoinKind): Extract<Value, { t: 'coin' }> {
    const value = this.#value(argument);
    if (value.t !== 'coin' || value.gone) throw argumentError('expected a coin');
    if (kind && value.kind !== kind) {
      throw new ExecutionFailure(
        ErrorKind.TYPE_ARGUMENT_ERROR,
        `expected a Coin<${kind}>, got a Coin<${value.kind}>`,
      );
    }
    return value;
  }

  #blob(argument: Argument): Extract<Value, { t: 'blob' }> {
    const value = this.#value(argument);
    if (value.t !== 'blob') throw argumentError('expected a Blob');
    // Moved (transferred or deleted) earlier in this transaction: Move would not let it be used again.
    if (value.placed) throw argumentError('the blob was already moved');
    return value;
  }

  #system(argument: Argument): void {
    const value = this.#value(argument);
    if (value.t !== 'shared' || value.id !== normalizeSuiAddress(this.state.ids.systemObjectId)) {
      throw argumentError('expected the Walrus System object');
    }
  }

  #pureBytes(argument: Argument, length: number, type: string): Uint8Array {
    const value = this.#value(argument);
    if (value.t !== 'pure' || value.bytes.length !== length) throw argumentError(`expected a pure ${type}`);
    return value.bytes;
  }

  #pure<T>(argument: Argument, schema: { parse(bytes: Uint8Array): T }, type: string): T {
    const value = this.#value(argument);
    if (value.t !== 'pure') throw argumentError(`expected a pure ${type}`);
    try {
      return schema.parse(value.bytes);
    } catch {
      throw argumentError(`the pure argument is no ${type}`);
    }
  }

  #string(argument: Argument): string {
    const value = this.#value(argument);
    if (value.t === 'string') return value.value;
    return this.#pure(argument, bcs.string(), 'String');
  }
}

function argumentError(message: string): ExecutionFailure {
  return new ExecutionFailure(ErrorKind.COMMAND_ARGUMENT_ERROR, `CommandArgumentError: ${message}`);
}

function asFailure(error: unknown): ExecutionFailure {
  if (error instanceof ExecutionFailure) return error;
  if (error instanceof ChainError) {
    return new ExecutionFailure(ErrorKind.MOVE_ABORT, `${error.reason}: ${error.message}`);
  }
  throw error;
}

function normalizeTypeArgument(type: string): string {
  try {
    return normalizeStructTag(type);
  } catch {
    return type;
  }
}

function invalid(message: string): GrpcError {
  return new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, message);
}

function addressOf(raw: string | undefined, field: string): string {
  if (!raw) throw invalid(`${field} is required`);
  const id = normalizeSuiAddress(raw);
  if (!/^0x[0-9a-fA-F]+$/.test(raw.trim()) || !isValidSuiAddress(id)) {
    throw invalid(`invalid ${field} ${JSON.stringify(raw)}`);
  }
  return id;
}

function timestampNow() {
  const now = Date.now();
  return { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 };
}
