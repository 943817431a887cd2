// Reading a wallet's SUI and WAL, and moving them: the Sui side of the sponsored account.
import type { Signer } from '@mysten/sui/cryptography';
import type { SuiGrpcClient } from '@mysten/sui/grpc';
import { coinWithBalance, Transaction } from '@mysten/sui/transactions';
import { normalizeStructTag } from '@mysten/sui/utils';
import type { WalrusClient } from '@mysten/walrus';

const SUI_COIN_TYPE = '0x2::sui::SUI';

/** MIST and FROST. */
export interface Funds {
  sui: bigint;
  wal: bigint;
}

/**
 * The WAL coin type, found as the Walrus SDK finds it (its own lookup is private): the `Coin<T>`
 * that `staking::stake_with_pool` takes, in the package that defines the Walrus types. WAL lives
 * in a package of its own on mainnet and testnet, so it cannot be derived from the Walrus package ID.
 */
export async function walCoinType(walrus: WalrusClient, sui: SuiGrpcClient): Promise<string> {
  const packageId = (await walrus.getBlobType()).split('::')[0]!;
  const { function: stake } = await sui.core.getMoveFunction({
    packageId,
    moduleName: 'staking',
    name: 'stake_with_pool',
  });
  const coin = stake.parameters[1]?.body;
  const wal = coin?.$kind === 'datatype' ? coin.datatype.typeParameters[0] : undefined;
  if (wal?.$kind !== 'datatype') throw new Error(`${packageId}::staking::stake_with_pool takes no Coin<T>`);
  return normalizeStructTag(wal.datatype.typeName);
}

export async function readFunds(sui: SuiGrpcClient, owner: string, walType: string): Promise<Funds> {
  const [mist, frost] = await Promise.all([
    sui.core.getBalance({ owner, coinType: SUI_COIN_TYPE }),
    sui.core.getBalance({ owner, coinType: walType }),
  ]);
  return { sui: BigInt(mist.balance.balance), wal: BigInt(frost.balance.balance) };
}

export interface Transfer {
  to: string;
  funds: Funds;
}

/**
 * Sends each recipient its SUI and WAL from `signer`, all in one transaction (one gas payment, one
 * wait): SUI split off the gas coin, WAL from the signer's WAL coins. Returns the digest and the gas
 * it cost (MIST: computation + storage − rebate). Throws when Sui refuses or the transaction fails.
 */
export async function sendFunds(
  sui: SuiGrpcClient,
  signer: Signer,
  walType: string,
  transfers: Transfer[],
): Promise<{ digest: string; gasMist: bigint }> {
  const tx = new Transaction();
  tx.setSender(signer.toSuiAddress());
  const suiAmounts = transfers.filter((t) => t.funds.sui > 0n).map((t) => t.funds.sui);
  const suiCoins = suiAmounts.length > 0 ? tx.splitCoins(tx.gas, suiAmounts) : [];
  let nextSuiCoin = 0;
  for (const { to, funds } of transfers) {
    const coins = [];
    if (funds.sui > 0n) coins.push(suiCoins[nextSuiCoin++]!);
    if (funds.wal > 0n) coins.push(tx.add(coinWithBalance({ type: walType, balance: funds.wal })));
    if (coins.length > 0) tx.transferObjects(coins, to);
  }
  const result = await signer.signAndExecuteTransaction({ transaction: tx, client: sui });
  if (result.FailedTransaction)
    throw new Error(
      `transfer ${result.FailedTransaction.digest} failed: ${result.FailedTransaction.status.error?.message ?? 'unknown error'}`,
    );
  const { digest, effects } = result.Transaction;
  // Balances read next must already see it.
  await sui.core.waitForTransaction({ digest });
  const gas = effects.gasUsed;
  return {
    digest,
    gasMist: BigInt(gas.computationCost) + BigInt(gas.storageCost) - BigInt(gas.storageRebate),
  };
}

/** 1234500000n → "1.2345 SUI" (MIST → SUI, FROST → WAL), for messages. */
export function formatCoin(amount: bigint, symbol: 'SUI' | 'WAL'): string {
  const whole = amount / 10n ** 9n;
  const fraction = (amount % 10n ** 9n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} ${symbol}`;
}
