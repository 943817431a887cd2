// The sponsored account's balances as Prometheus gauges, read from the sponsor's last-read status at
// scrape time (a scrape never calls Sui). Labels are the wallet's role and index, never an address
// or key: the set of series stays fixed however the wallets change.
import { Gauge, type Registry } from 'prom-client';
import type { Sponsor } from './sponsor.ts';

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
