// The sponsored account in Prometheus: balances as gauges, read from the sponsor's last-read status
// at scrape time (a scrape never calls Sui), and top-ups and lease waits through the pool's observer.
// Labels are the wallet's role and index, never an address or key: the set of series stays fixed
// however the wallets change.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Sponsor } from './sponsor.ts';
import type { SponsorObserver } from './sub-wallets.ts';

/** Counters and a histogram for createSponsor's `observer`. */
export function sponsorObserver(registry: Registry): SponsorObserver {
  const topUps = new Counter({
    name: 'walrus_edge_sponsor_top_up_transactions_total',
    help: 'Top-up transactions from the main wallet to sub-wallets, by outcome (ok | failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const toppedUp = new Counter({
    name: 'walrus_edge_sponsor_sub_wallet_top_ups_total',
    help: 'Sub-wallets topped up (several can share one transaction), by outcome (ok | failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Both outcomes from 0 on: the first failed top-up must show in increase() (and page).
  for (const outcome of ['ok', 'failed'] as const) {
    topUps.inc({ outcome }, 0);
    toppedUp.inc({ outcome }, 0);
  }
  const leaseWait = new Histogram({
    name: 'walrus_edge_sponsor_lease_wait_seconds',
    help: 'Time an upload waited for a free wallet; a long tail means too few sub-wallets.',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return {
    topUp(outcome, wallets) {
      topUps.inc({ outcome });
      toppedUp.inc({ outcome }, wallets);
    },
    leaseWaited: (ms) => leaseWait.observe(ms / 1000),
  };
}

export function registerSponsorMetrics(registry: Registry, sponsor: Sponsor): void {
  new Gauge({
    name: 'walrus_edge_sponsor_balance',
    help: 'Balance of a sponsor wallet as last read: MIST for coin="SUI", FROST for coin="WAL". role="main" is the operator wallet (index "0"), role="sub" a sub-wallet by index.',
    labelNames: ['role', 'index', 'coin'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const { main, subWallets } = sponsor.status();
      const wallets = [
        ...(main ? [{ role: 'main', index: '0', balances: main }] : []),
        ...subWallets.map((balances) => ({ role: 'sub', index: String(balances.index), balances })),
      ];
      for (const { role, index, balances } of wallets) {
        this.set({ role, index, coin: 'SUI' }, Number(balances.suiMist));
        this.set({ role, index, coin: 'WAL' }, Number(balances.walFrost));
      }
    },
  });
  new Gauge({
    name: 'walrus_edge_sponsor_low_balance',
    help: '1 while the main wallet is below PUBLISHER_LOW_BALANCE_SUI or _WAL, else 0.',
    registers: [registry],
    collect() {
      this.set(sponsor.status().lowBalance ? 1 : 0);
    },
  });
  new Gauge({
    name: 'walrus_edge_sponsor_sub_wallets_leased',
    help: 'Sub-wallets held by an upload right now.',
    registers: [registry],
    collect() {
      this.set(sponsor.status().subWallets.filter((wallet) => wallet.leased).length);
    },
  });
}
