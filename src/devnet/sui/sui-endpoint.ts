// The devnet's Sui endpoint, wired: a SuiState served by the read RPCs over grpc-web on host:port.
import { listenHandler, type Listener } from '../http-listener.ts';
import { suiGrpcHandler } from './sui-grpc-server.ts';
import { suiRpcHandlers } from './sui-rpcs.ts';
import type { SuiState } from './sui-state.ts';

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
    return 'it serves reads only so far; write through the devnet chain (chainUrl in committee.json) or `walrus-edge put`';
  }
  return undefined;
}

export function startSuiEndpoint(state: SuiState, host: string, port: number): Promise<Listener> {
  return listenHandler(suiGrpcHandler(suiRpcHandlers(state), { unimplementedHint }), host, port);
}
