// Did a client's transaction pay the sponsor in WAL, and how much? A client tops up its balance by
// sending WAL to the sponsor address on Sui and naming the transaction's digest; the edge believes
// Sui only: the transaction must have succeeded, and its balance changes must move a positive amount
// of exactly the WAL coin type into the sponsor address. Crediting it once is the ledger's job.
import { normalizeStructTag, normalizeSuiAddress } from '@mysten/sui/utils';
import {
  balanceChangeOf,
  lookUpTransaction,
  type TransactionSource,
} from '../../network/sui/transaction-lookup.ts';

export interface TopUpInput {
  sui: TransactionSource;
  digest: string;
  sponsorAddress: string;
  /** The WAL coin type of the network (`walCoinType` in src/publish/sponsor/wallet-funds.ts finds it). */
  walCoinType: string;
  /** The sponsor's wallets (main and sub-wallets): WAL they send is no client's top-up. */
  ownWallets?: readonly string[];
  signal?: AbortSignal;
}

export type TopUpCheck =
  | {
      ok: true;
      /** The WAL (FROST) the sponsor address received. */
      amountFrost: bigint;
      /** Who signed the transaction. */
      sender: string;
      /** The checkpoint holding it and its time, when Sui has checkpointed it already. */
      checkpoint?: string;
      timestampMs?: number;
    }
  | { ok: false; status: 400 | 404 | 422 | 503; reason: TopUpRefusal; message: string };

export type TopUpRefusal =
  | 'INVALID_DIGEST'
  | 'TOP_UP_NOT_FOUND'
  | 'TOP_UP_FAILED_TRANSACTION'
  | 'TOP_UP_WRONG_RECIPIENT'
  | 'TOP_UP_WRONG_COIN'
  | 'TOP_UP_FROM_SPONSOR'
  | 'SUI_UNAVAILABLE';

export async function checkTopUp(input: TopUpInput): Promise<TopUpCheck> {
  const refuse = (status: 400 | 404 | 422 | 503, reason: TopUpRefusal, message: string) =>
    ({ ok: false, status, reason, message }) as const;
  const found = await lookUpTransaction({
    sui: input.sui,
    digest: input.digest,
    include: { balanceChanges: true, transaction: true },
    signal: input.signal,
  });
  if (!found.ok) {
    if (found.problem === 'invalid-digest') return refuse(400, 'INVALID_DIGEST', found.message);
    if (found.problem === 'not-found') {
      return refuse(404, 'TOP_UP_NOT_FOUND', `the top-up transaction ${input.digest} is not known to Sui`);
    }
    return refuse(
      503,
      'SUI_UNAVAILABLE',
      `the top-up transaction could not be read from Sui: ${found.message}`,
    );
  }
  const tx = found.transaction;
  if (!found.succeeded) {
    return refuse(
      422,
      'TOP_UP_FAILED_TRANSACTION',
      `the top-up transaction ${input.digest} failed on Sui: it moved no WAL`,
    );
  }

  const sponsor = normalizeSuiAddress(input.sponsorAddress);
  const wal = balanceChangeOf(tx.balanceChanges, sponsor, input.walCoinType) ?? 0n;
  if (wal <= 0n) {
    const walType = normalizeStructTag(input.walCoinType);
    const otherCoin = tx.balanceChanges.some(
      (c) =>
        normalizeSuiAddress(c.address) === sponsor &&
        normalizeStructTag(c.coinType) !== walType &&
        BigInt(c.amount) > 0n,
    );
    return otherCoin
      ? refuse(422, 'TOP_UP_WRONG_COIN', `the transaction paid ${sponsor} in another coin than ${walType}`)
      : refuse(
          422,
          'TOP_UP_WRONG_RECIPIENT',
          `the transaction paid no WAL to the sponsor address ${sponsor}`,
        );
  }
  const sender = tx.transaction.sender;
  if (!sender) return refuse(503, 'SUI_UNAVAILABLE', `Sui named no sender of ${input.digest}`);
  // The sponsor's own wallets moving WAL among themselves (a sub-wallet's funds coming home) pay
  // nobody's balance.
  if (input.ownWallets?.some((address) => normalizeSuiAddress(address) === normalizeSuiAddress(sender)))
    return refuse(
      422,
      'TOP_UP_FROM_SPONSOR',
      `the transaction was sent by the sponsor's own wallet ${sender}`,
    );
  return {
    ok: true,
    amountFrost: wal,
    sender: normalizeSuiAddress(sender),
    ...(tx.checkpoint === null ? {} : { checkpoint: tx.checkpoint }),
    ...(tx.timestampMs === null ? {} : { timestampMs: tx.timestampMs }),
  };
}
