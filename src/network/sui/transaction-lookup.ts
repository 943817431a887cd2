// Reading an executed transaction from Sui by digest, for the checks that trust a client's word only
// after Sui confirms it (the relay's tip, WAL top-ups) and for the gas our own transactions cost. One
// place for the digest check, the brief retry of "not found" and the failures as values, so every
// caller answers the same three problems the same way.
import { TransactionError, type CoreClient, type SuiClientTypes } from '@mysten/sui/client';
import { isValidTransactionDigest, normalizeStructTag, normalizeSuiAddress } from '@mysten/sui/utils';
import { raceAbort } from '../race-abort.ts';
import { oneLineMessage } from './sui-client.ts';

/** What a lookup reads from Sui: one transaction (`SuiGrpcClient` serves it with LedgerService GetTransaction). */
export interface TransactionSource {
  core: Pick<CoreClient, 'getTransaction'>;
}

/**
 * A just-executed transaction may not have reached the full node we ask yet (another node executed
 * it, or it is not indexed yet): waits before asking again, then "not found" is final.
 */
export const NOT_FOUND_RETRIES_MS = [300, 1000];

export type TransactionLookup<Include extends SuiClientTypes.TransactionInclude> =
  | {
      ok: true;
      /** Whether it executed successfully: a failed transaction is on chain too (it paid gas). */
      succeeded: boolean;
      transaction: SuiClientTypes.Transaction<Include>;
    }
  | {
      ok: false;
      /** `invalid-digest`: no base58 of 32 bytes, never asked; `unavailable`: Sui could not answer. */
      problem: 'invalid-digest' | 'not-found' | 'unavailable';
      message: string;
    };

export interface LookupOptions<Include extends SuiClientTypes.TransactionInclude> {
  sui: TransactionSource;
  digest: string;
  include: Include;
  signal?: AbortSignal;
  /** Waits before each retry of "not found"; NOT_FOUND_RETRIES_MS unless given. */
  notFoundRetriesMs?: readonly number[];
}

export async function lookUpTransaction<Include extends SuiClientTypes.TransactionInclude>(
  options: LookupOptions<Include>,
): Promise<TransactionLookup<Include>> {
  const { sui, digest, include, signal } = options;
  if (!isValidTransactionDigest(digest)) {
    return {
      ok: false,
      problem: 'invalid-digest',
      message: `${JSON.stringify(digest)} is no Sui transaction digest (base58 of 32 bytes)`,
    };
  }
  const retries = options.notFoundRetriesMs ?? NOT_FOUND_RETRIES_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await sui.core.getTransaction({ digest, include, signal });
      return found.$kind === 'Transaction'
        ? { ok: true, succeeded: true, transaction: found.Transaction }
        : { ok: true, succeeded: false, transaction: found.FailedTransaction };
    } catch (error) {
      const notFound = error instanceof TransactionError && error.reason === 'notFound';
      const wait = retries[attempt];
      if (!notFound) return { ok: false, problem: 'unavailable', message: oneLineMessage(error) };
      if (wait === undefined) {
        return { ok: false, problem: 'not-found', message: `the transaction ${digest} is not known to Sui` };
      }
      const pause = new Promise((resolve) => setTimeout(resolve, wait));
      try {
        await (signal ? raceAbort(pause, signal) : pause);
      } catch {
        return { ok: false, problem: 'unavailable', message: 'the lookup was aborted' };
      }
    }
  }
}

/**
 * How much of `coinType` the transaction moved into (positive) or out of (negative) `address`, or
 * undefined when it did not touch that balance. Sui reports one change per address and coin type.
 */
export function balanceChangeOf(
  changes: readonly SuiClientTypes.BalanceChange[],
  address: string,
  coinType: string,
): bigint | undefined {
  const owner = normalizeSuiAddress(address);
  const type = normalizeStructTag(coinType);
  const change = changes.find(
    (c) => normalizeSuiAddress(c.address) === owner && normalizeStructTag(c.coinType) === type,
  );
  return change === undefined ? undefined : BigInt(change.amount);
}

/**
 * The SUI (MIST) that transactions cost their gas payer, read from their effects on Sui: computation
 * + storage − storage rebate for each, a rebate larger than the cost counting as 0 (the payer was
 * not charged, and we charge nobody for it). Throws when one cannot be read.
 */
export async function gasUsedMist(
  sui: TransactionSource,
  digests: readonly string[],
  signal?: AbortSignal,
): Promise<bigint> {
  const costs = await Promise.all(
    digests.map(async (digest) => {
      const found = await lookUpTransaction({ sui, digest, include: { effects: true }, signal });
      if (!found.ok) throw new Error(`the gas of transaction ${digest} is unknown: ${found.message}`);
      const gas = found.transaction.effects.gasUsed;
      const net = BigInt(gas.computationCost) + BigInt(gas.storageCost) - BigInt(gas.storageRebate);
      return net > 0n ? net : 0n;
    }),
  );
  return costs.reduce((sum, cost) => sum + cost, 0n);
}
