// Test helpers: transfers on the devnet's Sui made the way a client makes them, with @mysten/sui alone
// (a faucet-funded key, `coinWithBalance`, `transferObjects`), and what Sui itself says about them.
import type { Keypair } from '@mysten/sui/cryptography';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import type { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { coinWithBalance, Transaction } from '@mysten/sui/transactions';
import { expect } from 'vitest';

export const SUI_TYPE = '0x2::sui::SUI';

/** A new key the devnet's faucet gave SUI and WAL. */
export async function fundedSigner(
  faucetUrl: string,
  signer: Keypair = new Ed25519Keypair(),
): Promise<Keypair> {
  const answer = await requestSuiFromFaucetV2({ host: faucetUrl, recipient: signer.toSuiAddress() });
  expect(answer.status).toBe('Success');
  return signer;
}

/** The WAL coin type as Sui lists it among the balances of `owner` (who must hold WAL). */
export async function walTypeHeldBy(sui: SuiGrpcClient, owner: string): Promise<string> {
  const { balances } = await sui.core.listBalances({ owner });
  const wal = balances.find((b) => b.coinType.endsWith('::wal::WAL'));
  if (!wal) throw new Error(`${owner} holds no WAL`);
  return wal.coinType;
}

export async function balanceOf(sui: SuiGrpcClient, owner: string, coinType: string): Promise<bigint> {
  return BigInt((await sui.core.getBalance({ owner, coinType })).balance.balance);
}

/** Sends `amount` of `coinType` from `signer` to `to`; resolves with the digest once Sui has it. */
export async function transfer(
  sui: SuiGrpcClient,
  signer: Keypair,
  { coinType, amount, to }: { coinType: string; amount: bigint; to: string },
): Promise<string> {
  const tx = new Transaction();
  tx.setSender(signer.toSuiAddress());
  tx.transferObjects([coinWithBalance({ type: coinType, balance: amount })], to);
  const result = await signer.signAndExecuteTransaction({ transaction: tx, client: sui });
  if (result.FailedTransaction) throw new Error(`transfer failed: ${result.FailedTransaction.digest}`);
  await sui.core.waitForTransaction({ digest: result.Transaction.digest });
  return result.Transaction.digest;
}

/**
 * A transaction that Sui executes and that fails: it splits one more FROST off `signer`'s WAL coin
 * than the coin holds (InsufficientCoinBalance). Built offline (every object reference, the gas
 * price and budget given), because building through a client simulates first and refuses it.
 */
export async function failingWalTransfer(
  sui: SuiGrpcClient,
  signer: Keypair,
  { walType, to }: { walType: string; to: string },
): Promise<string> {
  const owner = signer.toSuiAddress();
  const [wal] = (await sui.core.listCoins({ owner, coinType: walType })).objects;
  const [gas] = (await sui.core.listCoins({ owner, coinType: SUI_TYPE })).objects;
  if (!wal || !gas) throw new Error(`${owner} holds no WAL or no SUI coin`);
  const tx = new Transaction();
  tx.setSender(owner);
  tx.setGasPrice(BigInt((await sui.core.getReferenceGasPrice()).referenceGasPrice));
  tx.setGasBudget(10_000_000n);
  tx.setGasPayment([{ objectId: gas.objectId, version: gas.version, digest: gas.digest }]);
  const [part] = tx.splitCoins(
    tx.objectRef({ objectId: wal.objectId, version: wal.version, digest: wal.digest }),
    [BigInt(wal.balance) + 1n],
  );
  tx.transferObjects([part!], to);
  const bytes = await tx.build();
  const { signature } = await signer.signTransaction(bytes);
  const result = await sui.core.executeTransaction({ transaction: bytes, signatures: [signature] });
  expect(result.$kind).toBe('FailedTransaction');
  return result.FailedTransaction!.digest;
}
