// A publisher whose main wallet runs low says so in /readyz (and stays ready: reads still work), with
// the balance Sui reports for that wallet.
import { describe, expect, it } from 'vitest';
import { publisherWallet, publishingSetup, walletBalances } from '../support/publishing.ts';

const MIST_PER_SUI = 10n ** 9n;
const setup = publishingSetup(
  'publish-readyz',
  { nodes: 4, shards: 100 },
  // More SUI than the devnet's faucet ever gives one wallet.
  { PUBLISHER_LOW_BALANCE_SUI: String(1_000_000n * MIST_PER_SUI) },
);

describe('/readyz and the sponsored account', () => {
  it('names a low main balance, with what Sui says the wallet holds, and stays ready', async () => {
    const { sui } = await walletBalances(setup.devnet, publisherWallet(setup.dataDir).address);
    expect(sui).toBeLessThan(1_000_000n * MIST_PER_SUI);

    const response = await fetch(`${setup.edge.url}/readyz`);
    const body = (await response.json()) as { ready: boolean; publisher?: { lowBalance: string | null } };
    expect(response.status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.publisher?.lowBalance).toMatch(/SUI/);
    // The amount it names is the wallet's, in whole SUI as Sui counts it.
    const whole = (sui / MIST_PER_SUI).toString();
    expect(body.publisher?.lowBalance).toContain(whole);
  });
});
