// Every call the edge makes to Sui passes through one gRPC transport (SuiGrpcClient's `transport`):
// wrapped here, it tells an observer which calls failed — by RPC — and what gas each executed
// transaction cost, without touching the SDK's own behaviour. The calls, their answers and their
// errors are the inner transport's, unchanged.
//
// Checked on 2026-12-01 against @mysten/sui 2.33.1: `SuiGrpcClient({ transport })` takes a
// protobuf-ts `RpcTransport` (exported from @mysten/sui/grpc, as is the SDK's own GrpcWebFetchTransport,
// which normalises aborts to CANCELLED / DEADLINE_EXCEEDED before any handler attached later runs);
// the SDK's calls are unary RPCs except ListEvents (and the subscriptions), which stream from the
// server; grpc-web has no client or duplex streams. signAndExecuteTransaction asks for the effects,
// which carry `gasUsed`.
import { RpcError, type GrpcTypes, type RpcTransport } from '@mysten/sui/grpc';

export interface SuiCallObserver {
  /**
   * A call failed: `rpc` is the RPC's name (BatchGetObjects, ListEvents, ExecuteTransaction, ...),
   * `code` the gRPC status (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...). A caller's own cancel and
   * a NOT_FOUND answer (a digest or object that does not exist: an answer) are not failures.
   */
  failed?(rpc: string, code: string): void;
  /** A transaction executed (failed ones cost gas too): its gas in MIST (computation + storage − rebate). */
  executed?(gasMist: bigint): void;
}

/** Not Sui's failure: the caller gave up, or Sui answered that the thing asked for does not exist. */
const NOT_FAILURES = new Set(['CANCELLED', 'NOT_FOUND']);

export function observedSuiTransport(inner: RpcTransport, observer: SuiCallObserver): RpcTransport {
  const failed = (rpc: string) => (error: unknown) => {
    const code = error instanceof RpcError ? error.code : 'UNKNOWN';
    if (!NOT_FAILURES.has(code)) observer.failed?.(rpc, code);
  };
  return {
    mergeOptions: (options) => inner.mergeOptions(options),
    unary(method, input, options) {
      const call = inner.unary(method, input, options);
      call.response.then((response) => {
        if (method.name === 'ExecuteTransaction' && observer.executed)
          observer.executed(gasOf(response as GrpcTypes.ExecuteTransactionResponse));
      }, failed(method.name));
      return call;
    },
    serverStreaming(method, input, options) {
      const call = inner.serverStreaming(method, input, options);
      // A streamed call's status settles once, when it ends (an error rejects it).
      call.status.then(undefined, failed(method.name));
      return call;
    },
    clientStreaming: (method, options) => inner.clientStreaming(method, options),
    duplex: (method, options) => inner.duplex(method, options),
  };
}

/** Net gas of an executed transaction, as its payer is charged (never below zero). */
function gasOf(response: GrpcTypes.ExecuteTransactionResponse): bigint {
  const gas = response.transaction?.effects?.gasUsed;
  if (!gas) return 0n;
  const net = (gas.computationCost ?? 0n) + (gas.storageCost ?? 0n) - (gas.storageRebate ?? 0n);
  return net > 0n ? net : 0n;
}
