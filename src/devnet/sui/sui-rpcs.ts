// The Sui gRPC read RPCs a devnet answers, over the SuiState model: request and response messages are
// the SDK's own protobuf-ts types (GrpcTypes), so what we send is what SuiGrpcClient parses. Methods
// not listed here are answered UNIMPLEMENTED by the server (sui-grpc-server.ts).
import type { SuiClientTypes } from '@mysten/sui/client';
import { GrpcTypes } from '@mysten/sui/grpc';
import { isValidSuiAddress, normalizeStructTag, normalizeSuiAddress } from '@mysten/sui/utils';
import type { ChainAccount } from '../../network/devnet-chain-client.ts';
import { GrpcError, GrpcStatusCode } from './grpc-web.ts';
import { emitModuleMatches, eventTypeMatches, type MoveEvent } from './move-events.ts';
import { typeMatches } from './move-paths.ts';
import { FRAMEWORK, SUI_COIN_TYPE } from './sui-ids.ts';
import type { ServedObject, SuiState } from './sui-state.ts';

type Message = object;
/** A unary handler answers one message; a server-streaming one the list of messages it streams. */
export type RpcHandler = (request: Message) => Promise<Message | Message[]>;

/** Real full nodes cap a page at 1000 items; asking for more is silently truncated. */
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 50;
const MAX_BATCH = 1000;

const { Owner_OwnerKind, OpenSignature_Reference, OpenSignatureBody_Type, FunctionDescriptor_Visibility } =
  GrpcTypes;

export function protoOwner(owner: SuiClientTypes.ObjectOwner): GrpcTypes.Owner {
  switch (owner.$kind) {
    case 'AddressOwner':
      return { kind: Owner_OwnerKind.ADDRESS, address: owner.AddressOwner };
    case 'ObjectOwner':
      return { kind: Owner_OwnerKind.OBJECT, address: owner.ObjectOwner };
    case 'Shared':
      return { kind: Owner_OwnerKind.SHARED, version: BigInt(owner.Shared.initialSharedVersion) };
    case 'Immutable':
      return { kind: Owner_OwnerKind.IMMUTABLE };
    default:
      throw new GrpcError(GrpcStatusCode.INTERNAL, `no proto owner for ${owner.$kind}`);
  }
}

/** A Move object as Sui's `Object` message (the read mask is not applied: extra fields do no harm). */
function protoObject(object: ServedObject): GrpcTypes.Object {
  return GrpcTypes.Object.create({
    objectId: object.objectId,
    version: object.version,
    digest: object.digest,
    owner: protoOwner(object.owner),
    objectType: object.type,
    hasPublicTransfer: object.owner.$kind === 'AddressOwner',
    contents: { name: object.type, value: object.content.slice() },
    previousTransaction: object.previousTransaction,
    balance: object.balance,
  });
}

/** The object ID or address a request's `field` names, normalized; INVALID_ARGUMENT when it is none. */
function addressOf(raw: string | undefined, field = 'object_id'): string {
  if (!raw) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `${field} is required`);
  const id = normalizeSuiAddress(raw);
  if (!/^0x[0-9a-fA-F]+$/.test(raw.trim()) || !isValidSuiAddress(id)) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid ${field} ${JSON.stringify(raw)}`);
  }
  return id;
}

async function lookUp(state: SuiState, request: GrpcTypes.GetObjectRequest): Promise<GrpcTypes.Object> {
  const id = addressOf(request.objectId);
  const object = await state.object(id);
  // Only an object's current version is kept.
  if (!object || (request.version !== undefined && request.version !== object.version)) {
    const at = request.version === undefined ? '' : ` at version ${request.version}`;
    throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Object ${id}${at} not found`);
  }
  return protoObject(object);
}

async function batchGetObjects(state: SuiState, request: GrpcTypes.BatchGetObjectsRequest) {
  if (request.requests.length > MAX_BATCH) {
    throw new GrpcError(
      GrpcStatusCode.INVALID_ARGUMENT,
      `at most ${MAX_BATCH} objects per batch, asked for ${request.requests.length}`,
    );
  }
  const objects: GrpcTypes.GetObjectResult[] = [];
  // In order: a blob object read before its attributes field teaches the state the field's owner.
  for (const one of request.requests) {
    try {
      objects.push({ result: { oneofKind: 'object', object: await lookUp(state, one) } });
    } catch (error) {
      if (!(error instanceof GrpcError)) throw error;
      // Like a full node: a missing object is a Status in its slot, not a failed call.
      objects.push({
        result: { oneofKind: 'error', error: { code: error.code, message: error.message, details: [] } },
      });
    }
  }
  return GrpcTypes.BatchGetObjectsResponse.create({ objects });
}

/** One literal of an event filter as a predicate (negation applied by the caller). */
function literalPredicate(literal: GrpcTypes.EventLiteral): (event: MoveEvent) => boolean {
  const predicate = literal.predicate;
  switch (predicate.oneofKind) {
    case 'sender': {
      const address = predicate.sender.address;
      if (!address) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'sender filter without an address');
      return (event) => event.sender === normalizeSuiAddress(address);
    }
    case 'emitModule': {
      const module = predicate.emitModule.module;
      if (!module)
        throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'emit_module filter without a module');
      return (event) => emitModuleMatches(event, module);
    }
    case 'eventType': {
      const type = predicate.eventType.eventType;
      if (!type) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'event_type filter without a type');
      return (event) => eventTypeMatches(event.eventType, type);
    }
    case 'eventStreamHead':
      return () => false; // no authenticated event streams on the devnet
    default:
      throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'an event filter literal without a predicate');
  }
}

/** The DNF filter: any term matches, a term when all its literals (negated or not) do. */
function eventFilter(filter: GrpcTypes.EventFilter | undefined): (event: MoveEvent) => boolean {
  if (!filter) return () => true;
  if (filter.terms.length === 0) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'a present event filter needs at least one term');
  }
  const terms = filter.terms.map((term) =>
    term.literals.map((literal) => {
      const matches = literalPredicate(literal);
      return literal.negated ? (event: MoveEvent) => !matches(event) : matches;
    }),
  );
  return (event) => terms.some((literals) => literals.every((matches) => matches(event)));
}

/** Cursors are the chain's event sequence numbers, as 8 bytes big-endian. */
function cursorOf(seq: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(seq));
  return bytes;
}

function seqOf(cursor: Uint8Array | undefined, which: string): number | undefined {
  if (cursor === undefined || cursor.length === 0) return undefined;
  if (cursor.length !== 8) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `${which} is not a cursor this server gave out`);
  }
  return Number(new DataView(cursor.buffer, cursor.byteOffset, 8).getBigUint64(0));
}

async function listEvents(state: SuiState, request: GrpcTypes.ListEventsRequest) {
  const options = request.options ?? {};
  if (request.startCheckpoint !== undefined || request.endCheckpoint !== undefined) {
    throw new GrpcError(
      GrpcStatusCode.UNIMPLEMENTED,
      'the devnet has no checkpoints: page by cursor instead',
    );
  }
  const limit = Math.min(options.limit || DEFAULT_PAGE, MAX_PAGE);
  const page = await state.events({
    after: seqOf(options.after, 'after'),
    before: seqOf(options.before, 'before'),
    descending: options.ordering === GrpcTypes.Ordering.DESCENDING,
    limit,
    matches: eventFilter(request.filter),
  });
  const frames: GrpcTypes.ListEventsResponse[] = page.events.map((event) =>
    GrpcTypes.ListEventsResponse.create({
      event: {
        packageId: event.packageId,
        module: event.module,
        sender: event.sender,
        eventType: event.eventType,
        contents: { name: event.eventType, value: event.contents },
        transactionDigest: event.transactionDigest,
        eventIndex: event.eventIndex,
      },
      watermark: { cursor: cursorOf(event.seq) },
    }),
  );
  // Then where the scan stopped and why: at the tip, or because the page is full.
  frames.push(
    GrpcTypes.ListEventsResponse.create({
      ...(page.scannedTo === undefined ? {} : { watermark: { cursor: cursorOf(page.scannedTo) } }),
      end: {
        reason: page.exhausted ? GrpcTypes.QueryEndReason.LEDGER_TIP : GrpcTypes.QueryEndReason.ITEM_LIMIT,
      },
    }),
  );
  return frames;
}

function datatype(
  typeName: string,
  ...typeParameters: GrpcTypes.OpenSignatureBody[]
): GrpcTypes.OpenSignatureBody {
  return { type: OpenSignatureBody_Type.DATATYPE, typeName, typeParameterInstantiation: typeParameters };
}

/** The Move functions clients introspect: `staking::stake_with_pool`, whose Coin<T> names WAL. */
async function getFunction(state: SuiState, request: GrpcTypes.GetFunctionRequest) {
  const pkg = state.ids.packageId;
  const packageId = request.packageId ? normalizeSuiAddress(request.packageId) : undefined;
  const path = `${request.packageId}::${request.moduleName}::${request.name}`;
  if (packageId !== pkg || request.moduleName !== 'staking' || request.name !== 'stake_with_pool') {
    throw new GrpcError(GrpcStatusCode.NOT_FOUND, `function ${path} is not known to the devnet`);
  }
  const ref = (reference: GrpcTypes.OpenSignature_Reference, body: GrpcTypes.OpenSignatureBody) => ({
    reference,
    body,
  });
  return GrpcTypes.GetFunctionResponse.create({
    function: {
      name: 'stake_with_pool',
      visibility: FunctionDescriptor_Visibility.PUBLIC,
      isEntry: false,
      typeParameters: [],
      parameters: [
        ref(OpenSignature_Reference.MUTABLE, datatype(`${pkg}::staking::Staking`)),
        { body: datatype(`${FRAMEWORK}::coin::Coin`, datatype(state.walType)) },
        { body: datatype(`${FRAMEWORK}::object::ID`) },
        ref(OpenSignature_Reference.MUTABLE, datatype(`${FRAMEWORK}::tx_context::TxContext`)),
      ],
      returns: [{ body: datatype(`${pkg}::staked_wal::StakedWal`) }],
    },
  });
}

/** The coins the devnet knows: SUI and WAL, with their metadata. */
function knownCoins(state: SuiState) {
  return [
    {
      coinType: normalizeStructTag(SUI_COIN_TYPE),
      metadata: { decimals: 9, name: 'Sui', symbol: 'SUI', description: 'Gas on the devnet' },
      amount: (account: ChainAccount | undefined) => account?.sui,
    },
    {
      coinType: normalizeStructTag(state.walType),
      metadata: { decimals: 9, name: 'WAL Token', symbol: 'WAL', description: 'Walrus storage payments' },
      amount: (account: ChainAccount | undefined) => account?.wal,
    },
  ];
}

function coinTypeOf(raw: string | undefined): string {
  if (!raw) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'coin_type is required');
  try {
    return normalizeStructTag(raw);
  } catch {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid coin_type ${JSON.stringify(raw)}`);
  }
}

/** A balance as Sui reports it: all of it in coins, none in an address balance (which would make the SDK use FundsWithdrawal). */
function protoBalance(coinType: string, amount: string | undefined): GrpcTypes.Balance {
  const balance = BigInt(amount ?? 0);
  return { coinType, balance, coinBalance: balance, addressBalance: 0n };
}

async function getBalance(state: SuiState, request: GrpcTypes.GetBalanceRequest) {
  const coinType = coinTypeOf(request.coinType);
  const account = await state.account(addressOf(request.owner, 'owner'));
  const coin = knownCoins(state).find((c) => c.coinType === coinType);
  return GrpcTypes.GetBalanceResponse.create({ balance: protoBalance(coinType, coin?.amount(account)) });
}

async function listBalances(state: SuiState, request: GrpcTypes.ListBalancesRequest) {
  const account = await state.account(addressOf(request.owner, 'owner'));
  const balances = knownCoins(state)
    .map((coin) => protoBalance(coin.coinType, coin.amount(account)))
    .filter((balance) => balance.balance! > 0n);
  return GrpcTypes.ListBalancesResponse.create({ balances });
}

async function getCoinInfo(state: SuiState, request: GrpcTypes.GetCoinInfoRequest) {
  const coinType = coinTypeOf(request.coinType);
  const coin = knownCoins(state).find((c) => c.coinType === coinType);
  if (!coin) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `no coin ${coinType} on the devnet`);
  return GrpcTypes.GetCoinInfoResponse.create({ coinType, metadata: coin.metadata });
}

/** Page tokens of ListOwnedObjects: the offset into the owner's list, 4 bytes big-endian. */
function offsetOf(token: Uint8Array | undefined): number {
  if (token === undefined || token.length === 0) return 0;
  if (token.length !== 4) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'page_token is not a token this server gave out');
  }
  return new DataView(token.buffer, token.byteOffset, 4).getUint32(0);
}

async function listOwnedObjects(state: SuiState, request: GrpcTypes.ListOwnedObjectsRequest) {
  const owner = addressOf(request.owner, 'owner');
  const type = request.objectType;
  const owned = (await state.ownedObjects(owner)).filter((o) => !type || typeMatches(o.type, type));
  const start = offsetOf(request.pageToken);
  const end = start + Math.min(request.pageSize || DEFAULT_PAGE, MAX_PAGE);
  let nextPageToken: Uint8Array | undefined;
  if (end < owned.length) {
    nextPageToken = new Uint8Array(4);
    new DataView(nextPageToken.buffer).setUint32(0, end);
  }
  return GrpcTypes.ListOwnedObjectsResponse.create({
    objects: owned.slice(start, end).map(protoObject),
    nextPageToken,
  });
}

async function getServiceInfo(state: SuiState) {
  const clock = state.clock;
  const now = Date.now();
  return GrpcTypes.GetServiceInfoResponse.create({
    chainId: state.ids.chainId,
    chain: 'localnet',
    epoch: BigInt(clock.epoch),
    timestamp: { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 },
    server: 'walrus-edge devnet',
  });
}

/** The handlers, by `/${service.typeName}/${method.name}` without the leading slash. */
export function suiRpcHandlers(state: SuiState): Map<string, RpcHandler> {
  const ledger = 'sui.rpc.v2.LedgerService';
  return new Map<string, RpcHandler>([
    [`${ledger}/GetServiceInfo`, () => getServiceInfo(state)],
    [
      `${ledger}/GetObject`,
      async (request) =>
        GrpcTypes.GetObjectResponse.create({
          object: await lookUp(state, request as GrpcTypes.GetObjectRequest),
        }),
    ],
    [
      `${ledger}/BatchGetObjects`,
      (request) => batchGetObjects(state, request as GrpcTypes.BatchGetObjectsRequest),
    ],
    [`${ledger}/ListEvents`, (request) => listEvents(state, request as GrpcTypes.ListEventsRequest)],
    [
      'sui.rpc.v2.MovePackageService/GetFunction',
      (request) => getFunction(state, request as GrpcTypes.GetFunctionRequest),
    ],
    [
      'sui.rpc.v2.StateService/ListOwnedObjects',
      (request) => listOwnedObjects(state, request as GrpcTypes.ListOwnedObjectsRequest),
    ],
    [
      'sui.rpc.v2.StateService/ListBalances',
      (request) => listBalances(state, request as GrpcTypes.ListBalancesRequest),
    ],
    [
      'sui.rpc.v2.StateService/GetCoinInfo',
      (request) => getCoinInfo(state, request as GrpcTypes.GetCoinInfoRequest),
    ],
    [
      'sui.rpc.v2.StateService/GetBalance',
      (request) => getBalance(state, request as GrpcTypes.GetBalanceRequest),
    ],
  ]);
}
