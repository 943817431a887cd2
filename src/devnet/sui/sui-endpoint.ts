// The devnet's Sui endpoint, wired: a SuiState served by the read RPCs over grpc-web on host:port, and,
// when given the ledger's transactions, SimulateTransaction / ExecuteTransaction / GetTransaction.
import { listenHandler, type Listener } from '../http-listener.ts';
import type { GrpcTypes } from '@mysten/sui/grpc';
import { suiGrpcHandler } from './sui-grpc-server.ts';
import { suiRpcHandlers, type RpcHandler } from './sui-rpcs.ts';
import type { SuiState } from './sui-state.ts';
import type { SuiTransactions } from './sui-transactions.ts';

const TRANSACTION_METHODS = new Set([
  'sui.rpc.v2.TransactionExecutionService/SimulateTransaction',
  'sui.rpc.v2.TransactionExecutionService/ExecuteTransaction',
  'sui.rpc.v2.LedgerService/GetTransaction',
  'sui.rpc.v2.LedgerService/BatchGetTransactions',
  'sui.rpc.v2.LedgerService/GetEpoch',
]);

/** Why a method Sui has is not served here, for the UNIMPLEMENTED message. */
function unimplementedHint(path: string): string | undefined {
  if (TRANSACTION_METHODS.has(path)) {
    return 'this endpoint serves reads only (no ledger to execute on); write through the devnet chain (chainUrl in committee.json) or `walrus-edge put`';
  }
  return undefined;
}

/** The transaction RPCs, by path. */
export function transactionHandlers(transactions: SuiTransactions): Map<string, RpcHandler> {
  const execution = 'sui.rpc.v2.TransactionExecutionService';
  const ledger = 'sui.rpc.v2.LedgerService';
  return new Map<string, RpcHandler>([
    [
      `${execution}/SimulateTransaction`,
      (request) => transactions.simulate(request as GrpcTypes.SimulateTransactionRequest),
    ],
    [
      `${execution}/ExecuteTransaction`,
      (request) => transactions.execute(request as GrpcTypes.ExecuteTransactionRequest),
    ],
    [
      `${ledger}/GetTransaction`,
      async (request) => transactions.get(request as GrpcTypes.GetTransactionRequest),
    ],
    [`${ledger}/GetEpoch`, async () => transactions.epoch()],
    [
      `${ledger}/BatchGetTransactions`,
      async (request) => transactions.batchGet(request as GrpcTypes.BatchGetTransactionsRequest),
    ],
  ]);
}

export function startSuiEndpoint(
  state: SuiState,
  host: string,
  port: number,
  transactions?: SuiTransactions,
): Promise<Listener> {
  const handlers = suiRpcHandlers(state);
  if (transactions)
    for (const [path, handler] of transactionHandlers(transactions)) handlers.set(path, handler);
  return listenHandler(suiGrpcHandler(handlers, { unimplementedHint }), host, port);
}
