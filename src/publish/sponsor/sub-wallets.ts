// The sponsor the edge runs with: the operator's main wallet funds N sub-wallets, and each upload
// leases one of them for its transactions, so parallel uploads never spend the same gas coin (the
// official publisher's sub-wallets). With N = 0 the main wallet signs every upload itself, one at a
// time.
//
// A sub-wallet goes back into the pool only after it was checked: when an upload gives it back, its
// balance is read, and below the minimum it is topped up from the main wallet *before* anyone can
// lease it again. Top-ups of wallets given back at the same time share one transaction. (The
// official publisher refills on a timer instead; checking at release keeps a wallet from being
// handed out empty between two ticks, and costs no reads while the publisher is idle.)
import type { Signer } from '@mysten/sui/cryptography';
import type { SuiGrpcClient } from '@mysten/sui/grpc';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import type { WalrusClient } from '@mysten/walrus';
import type { BaseLogger } from 'pino';
import type { EdgeConfig } from '../../config.ts';
import type { LeaseOptions, SignerLease, Sponsor, SponsorStatus, WalletBalances } from './sponsor.ts';
import { subWalletKeys } from './sub-wallet-keys.ts';
import { formatCoin, readFunds, sendFunds, walCoinType, type Funds } from './wallet-funds.ts';

export interface SponsorOptions {
  /** The main wallet: loadOperatorSigner's signer, or the devnet directory's wallet. */
  signer: Signer;
  sui: SuiGrpcClient;
  /** Knows the WAL coin type. */
  walrus: WalrusClient;
  /** DATA_DIR: the sub-wallets' keys live in DATA_DIR/sub-wallets.json. */
  dataDir: string;
  /** PUBLISHER_SUB_WALLETS; 0 = the main wallet signs every upload, one at a time. */
  subWallets: number;
  /** PUBLISHER_SUB_WALLET_MIN_SUI / _WAL: below either, a sub-wallet is topped up before its next lease. */
  subWalletMin: Funds;
  /** PUBLISHER_SUB_WALLET_TOP_UP_SUI / _WAL: the balance a top-up brings a sub-wallet back to. */
  subWalletTopUp: Funds;
  /** PUBLISHER_LOW_BALANCE_SUI / _WAL: the main wallet below either is `lowBalance` and a warning. */
  lowBalance: Funds;
  log: BaseLogger;
  /** How often every balance is read again for status() and metrics; default one minute. */
  refreshIntervalMs?: number;
  /** Metrics hooks (sponsorObserver in sponsor-metrics.ts); the pool itself knows no metrics library. */
  observer?: SponsorObserver;
}

export interface SponsorObserver {
  /** A top-up transaction executed ('ok') or was refused or failed ('failed'), for `wallets` sub-wallets. */
  topUp?(outcome: 'ok' | 'failed', wallets: number): void;
  /** How long a lease waited for a free wallet (0 when one was free). */
  leaseWaited?(ms: number): void;
}

/** The sub-wallets and thresholds of SponsorOptions, as the configuration gives them (PUBLISHER_SUB_WALLET*, _LOW_BALANCE_*). */
export function sponsorSettings(
  config: Pick<
    EdgeConfig,
    | 'PUBLISHER_SUB_WALLETS'
    | 'PUBLISHER_SUB_WALLET_MIN_SUI'
    | 'PUBLISHER_SUB_WALLET_MIN_WAL'
    | 'PUBLISHER_SUB_WALLET_TOP_UP_SUI'
    | 'PUBLISHER_SUB_WALLET_TOP_UP_WAL'
    | 'PUBLISHER_LOW_BALANCE_SUI'
    | 'PUBLISHER_LOW_BALANCE_WAL'
  >,
): Pick<SponsorOptions, 'subWallets' | 'subWalletMin' | 'subWalletTopUp' | 'lowBalance'> {
  return {
    subWallets: config.PUBLISHER_SUB_WALLETS,
    subWalletMin: { sui: config.PUBLISHER_SUB_WALLET_MIN_SUI, wal: config.PUBLISHER_SUB_WALLET_MIN_WAL },
    subWalletTopUp: {
      sui: config.PUBLISHER_SUB_WALLET_TOP_UP_SUI,
      wal: config.PUBLISHER_SUB_WALLET_TOP_UP_WAL,
    },
    lowBalance: { sui: config.PUBLISHER_LOW_BALANCE_SUI, wal: config.PUBLISHER_LOW_BALANCE_WAL },
  };
}

/** The edge's sponsor, ready (sub-wallets made and funded) when the promise resolves. */
export async function createSponsor(options: SponsorOptions): Promise<Sponsor> {
  const pool = new WalletPool(options);
  await pool.start();
  return pool;
}

interface Wallet {
  /** Its place in the keys file; the main wallet has none. */
  index: number | null;
  signer: Signer;
  address: string;
  funds: Funds | null;
  leased: boolean;
}

interface Waiter {
  /** Which wallets it takes (any, or the one it asked for). */
  accepts(wallet: Wallet): boolean;
  take(wallet: Wallet): void;
  fail(error: unknown): void;
}

class WalletPool implements Sponsor {
  readonly address: string;
  readonly #options: SponsorOptions;
  readonly #log: BaseLogger;
  readonly #main: Wallet;
  readonly #subWallets: Wallet[];
  readonly #free: Wallet[] = [];
  readonly #waiters: Waiter[] = [];
  /** Wallets waiting for the next top-up transaction. */
  readonly #pendingTopUps = new Map<Wallet, { resolve(): void; reject(error: unknown): void }>();
  #topUpRun: Promise<void> | null = null;
  /** Checks of given-back wallets still running (close waits for them). */
  readonly #checks = new Set<Promise<void>>();
  #walType: Promise<string> | null = null;
  #mainRefresh: Promise<void> | null = null;
  #mainStale = false;
  #lowBalance: string | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: SponsorOptions) {
    this.#options = options;
    this.#log = options.log;
    const wallet = (signer: Signer, index: number | null): Wallet => ({
      index,
      signer,
      address: signer.toSuiAddress(),
      funds: null,
      leased: false,
    });
    this.#main = wallet(options.signer, null);
    this.address = this.#main.address;
    this.#subWallets = subWalletKeys(options.dataDir, options.subWallets).map((key, i) => wallet(key, i));
  }

  async start(): Promise<void> {
    // Every balance first, so that the first top-ups all go into one transaction.
    await this.#refreshAll();
    if (this.#subWallets.length === 0) this.#free.push(this.#main);
    else await Promise.all(this.#subWallets.map((wallet) => this.#check(wallet, { fresh: true })));
    this.#timer = setInterval(() => void this.#refreshAll(), this.#options.refreshIntervalMs ?? 60_000);
    this.#timer.unref?.();
    this.#log.info(
      {
        main: this.address,
        subWallets: this.#subWallets.map((wallet) => wallet.address),
        lowBalance: this.#lowBalance,
      },
      this.#subWallets.length === 0
        ? 'sponsor ready: the main wallet signs every upload'
        : `sponsor ready: ${this.#subWallets.length} sub-wallets`,
    );
  }

  async lease(signal?: AbortSignal, options: LeaseOptions = {}): Promise<SignerLease> {
    signal?.throwIfAborted();
    if (this.#closed) throw new Error('the sponsor is closed');
    const accepts = this.#acceptor(options);
    const started = performance.now();
    const freeIndex = this.#free.findIndex(accepts);
    const wallet =
      (freeIndex >= 0 ? this.#free.splice(freeIndex, 1)[0] : undefined) ??
      (await new Promise<Wallet>((resolve, reject) => {
        const onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal!.reason);
        };
        const waiter: Waiter = {
          accepts,
          take: (wallet) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(wallet);
          },
          fail: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(waiter);
      }));
    wallet.leased = true;
    this.#options.observer?.leaseWaited?.(performance.now() - started);
    let released = false;
    return {
      signer: wallet.signer,
      address: wallet.address,
      release: () => {
        if (released) return;
        released = true;
        wallet.leased = false;
        if (wallet === this.#main) {
          this.#makeFree(wallet);
          void this.#refreshMain();
        } else {
          const check = this.#check(wallet).finally(() => this.#checks.delete(check));
          this.#checks.add(check);
        }
      },
    };
  }

  status(): SponsorStatus {
    const balances = (wallet: Wallet): WalletBalances => ({
      address: wallet.address,
      suiMist: wallet.funds!.sui.toString(),
      walFrost: wallet.funds!.wal.toString(),
    });
    return {
      main: this.#main.funds ? balances(this.#main) : null,
      subWallets: this.#subWallets
        .filter((wallet) => wallet.funds)
        .map((wallet) => ({ ...balances(wallet), index: wallet.index!, leased: wallet.leased })),
      lowBalance: this.#lowBalance,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const waiter of this.#waiters.splice(0)) waiter.fail(new Error('the sponsor is closed'));
    await Promise.allSettled([...this.#checks, this.#topUpRun, this.#mainRefresh]);
  }

  /** Which wallets a lease may take; throws when the one it asks for is not leasable here. */
  #acceptor({ address }: LeaseOptions): (wallet: Wallet) => boolean {
    if (address === undefined) return () => true;
    const wanted = normalizeSuiAddress(address);
    const leasable = this.#subWallets.length === 0 ? [this.#main] : this.#subWallets;
    if (!leasable.some((wallet) => wallet.address === wanted))
      throw new Error(
        wanted === this.address
          ? `the main wallet ${wanted} only tops sub-wallets up while PUBLISHER_SUB_WALLETS > 0`
          : `${wanted} is none of this sponsor's wallets`,
      );
    return (wallet) => wallet.address === wanted;
  }

  /** Hands the wallet to the longest waiter that takes it, or back into the pool. */
  #makeFree(wallet: Wallet): void {
    if (this.#closed) return;
    const index = this.#waiters.findIndex((waiter) => waiter.accepts(wallet));
    if (index >= 0) this.#waiters.splice(index, 1)[0]!.take(wallet);
    else this.#free.push(wallet);
  }

  /**
   * Reads a sub-wallet's balance, tops it up if it is below the minimum, then frees it. A wallet
   * that could not be read or topped up is freed anyway (logged): it may still hold enough for the
   * next upload, and the check runs again when that upload gives it back.
   */
  async #check(wallet: Wallet, { fresh = false } = {}): Promise<void> {
    try {
      if (!fresh || !wallet.funds)
        wallet.funds = await readFunds(this.#options.sui, wallet.address, await this.#walCoinType());
      if (shortfall(wallet.funds, this.#options.subWalletMin, this.#options.subWalletTopUp))
        await this.#topUp(wallet);
    } catch (error) {
      this.#log.error(
        { subWallet: wallet.index, address: wallet.address, error: oneLine(error) },
        'sub-wallet not topped up; leasing it with what it holds',
      );
    }
    this.#makeFree(wallet);
  }

  /** Joins the next top-up transaction; resolves once it executed and the balances were re-read. */
  #topUp(wallet: Wallet): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#pendingTopUps.set(wallet, { resolve, reject }));
    this.#topUpRun ??= this.#runTopUps();
    return done;
  }

  async #runTopUps(): Promise<void> {
    // One turn of the event loop, so that wallets given back together share a transaction.
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (;;) {
      // Checked and cleared in one synchronous step: a #topUp after this starts a new run.
      if (this.#pendingTopUps.size === 0) {
        this.#topUpRun = null;
        return;
      }
      const batch = [...this.#pendingTopUps];
      this.#pendingTopUps.clear();
      try {
        const transfers = batch.map(([wallet]) => ({
          to: wallet.address,
          funds: shortfall(wallet.funds!, this.#options.subWalletMin, this.#options.subWalletTopUp)!,
        }));
        const walType = await this.#walCoinType();
        const { digest, gasMist } = await sendFunds(this.#options.sui, this.#main.signer, walType, transfers);
        this.#log.info(
          {
            digest,
            gasMist: gasMist.toString(),
            topUps: batch.map(([wallet], i) => ({
              subWallet: wallet.index,
              address: wallet.address,
              suiMist: transfers[i]!.funds.sui.toString(),
              walFrost: transfers[i]!.funds.wal.toString(),
            })),
          },
          `topped up ${batch.length} sub-wallet(s) from the main wallet`,
        );
      } catch (error) {
        this.#options.observer?.topUp?.('failed', batch.length);
        for (const [, { reject }] of batch) reject(error);
        // The main wallet running dry is the likely cause: let its balance (and warning) show it.
        await this.#refreshMain();
        continue;
      }
      this.#options.observer?.topUp?.('ok', batch.length);
      // The top-up is done whatever these reads give: a failed one leaves status() a balance behind.
      await Promise.allSettled([
        ...batch.map(async ([wallet]) => {
          wallet.funds = await readFunds(this.#options.sui, wallet.address, await this.#walCoinType());
        }),
        this.#refreshMain(),
      ]);
      for (const [, { resolve }] of batch) resolve();
    }
  }

  #walCoinType(): Promise<string> {
    // Kept once found; a failure is forgotten, so the next check asks again.
    this.#walType ??= walCoinType(this.#options.walrus, this.#options.sui).catch((error: unknown) => {
      this.#walType = null;
      throw error;
    });
    return this.#walType;
  }

  /**
   * Reads the main wallet's balance. One read at a time; a call during a read gets another read
   * after it (the one running may predate what the caller just spent), and both callers wait for it.
   */
  #refreshMain(): Promise<void> {
    this.#mainStale = true;
    this.#mainRefresh ??= (async () => {
      try {
        while (this.#mainStale) {
          this.#mainStale = false;
          try {
            this.#main.funds = await readFunds(this.#options.sui, this.address, await this.#walCoinType());
            this.#judgeMainBalance(this.#main.funds);
          } catch (error) {
            this.#log.warn(
              { address: this.address, error: oneLine(error) },
              'cannot read the main wallet balance',
            );
          }
        }
      } finally {
        this.#mainRefresh = null;
      }
    })();
    return this.#mainRefresh;
  }

  async #refreshAll(): Promise<void> {
    await Promise.all([
      this.#refreshMain(),
      ...this.#subWallets.map(async (wallet) => {
        try {
          wallet.funds = await readFunds(this.#options.sui, wallet.address, await this.#walCoinType());
        } catch {
          // Status keeps the last balance read; the next check or tick tries again.
        }
      }),
    ]);
  }

  /** Sets lowBalance; warns when the main wallet falls below the threshold, once per crossing. */
  #judgeMainBalance(funds: Funds): void {
    const { lowBalance: low } = this.#options;
    const short = [
      funds.sui < low.sui ? `${formatCoin(funds.sui, 'SUI')} (below ${formatCoin(low.sui, 'SUI')})` : null,
      funds.wal < low.wal ? `${formatCoin(funds.wal, 'WAL')} (below ${formatCoin(low.wal, 'WAL')})` : null,
    ].filter((part) => part !== null);
    const message = short.length > 0 ? `main wallet ${this.address} is low: ${short.join(', ')}` : null;
    const balances = { address: this.address, suiMist: funds.sui.toString(), walFrost: funds.wal.toString() };
    if (message && !this.#lowBalance) this.#log.warn(balances, message);
    else if (!message && this.#lowBalance)
      this.#log.info(balances, `main wallet ${this.address} is above the low-balance threshold again`);
    this.#lowBalance = message;
  }
}

/**
 * What a wallet needs to be back at the top-up level, if it is below the minimum in either coin
 * (only the coin that is low is sent); undefined when it needs nothing.
 */
function shortfall(funds: Funds, min: Funds, topUp: Funds): Funds | undefined {
  const need = (have: bigint, floor: bigint, target: bigint) =>
    have < floor ? (target > floor ? target : floor) - have : 0n;
  const sui = need(funds.sui, min.sui, topUp.sui);
  const wal = need(funds.wal, min.wal, topUp.wal);
  return sui > 0n || wal > 0n ? { sui, wal } : undefined;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 500);
}
