// docs/journeys/selling-uploads.md, run step by step (test/support/journeys.ts): the edge from a YAML
// settings file, an account opened and credited, a paid upload retried with its Idempotency-Key, the
// receipt checked by the page's script, a top-up sent on Sui by the page's other script, and what to
// watch. Witnesses: Sui (the sponsor's WAL balance gains exactly the top-up; the Blob object of the
// receipt exists), the receipt's signature checked here with the SDK against the sponsor's address,
// and the account's balance against the receipt (one charge for two requests).
import { readFileSync } from 'node:fs';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { fromBase64 } from '@mysten/sui/utils';
import { verifyPersonalMessageSignature } from '@mysten/sui/verify';
import { afterAll, describe, expect, it } from 'vitest';
import { Journey, requirePrograms } from '../support/journeys.ts';

let journey: Journey | undefined;

afterAll(async () => {
  await journey?.close();
});

interface Receipt {
  blobId: string;
  objectId: string;
  chargedFrost: string;
  accountId: string;
  sponsor: string;
  message: string;
  signature: string;
}

describe('docs/journeys/selling-uploads.md', () => {
  it('runs as written: settings file, account, a paid upload paid once, the receipt verified, a signed top-up, what to watch', async () => {
    requirePrograms({ curl: 'curl', jq: 'jq', openssl: 'openssl' });
    journey = await Journey.open({ doc: 'docs/journeys/selling-uploads.md', journey: 'selling-uploads' });
    await journey.run('settings');
    await journey.run('edge');
    const ready = JSON.parse((await journey.run('ready')).stdout) as { address: string; walFrost: string };
    const sponsor = await journey.variable('SPONSOR');
    expect(ready.address).toBe(sponsor);
    expect(BigInt(ready.walFrost)).toBeGreaterThan(0n);

    const credited = JSON.parse((await journey.run('account')).stdout) as Record<string, string>;
    const account = await journey.variable('ACCOUNT');
    expect(credited).toEqual({
      id: account,
      balanceFrost: '1000000000',
      heldFrost: '0',
      availableFrost: '1000000000',
    });

    const [quoteJson, receiptJson, replayed, balanceJson] = (await journey.run('upload')).stdout
      .trim()
      .split('\n');
    const quote = JSON.parse(quoteJson!) as { totalFrost: string; marginFrost: string; feeFrost: string };
    const shown = JSON.parse(receiptJson!) as { chargedFrost: string };
    const answer = JSON.parse(readFileSync(journey.path('upload.json'), 'utf8')) as { receipt: Receipt };
    const receipt = answer.receipt;
    // The settings file's prices apply: 10 % margin, a fee of 1,000,000 FROST.
    expect(quote.feeFrost).toBe('1000000');
    expect(BigInt(quote.marginFrost)).toBeGreaterThan(0n);
    expect(shown.chargedFrost).toBe(receipt.chargedFrost);
    expect(BigInt(receipt.chargedFrost)).toBeLessThanOrEqual(BigInt(quote.totalFrost));
    expect(replayed!.trim()).toMatch(/^idempotent-replayed: true$/i);
    // The retry's answer is the first one, and the account paid once.
    expect(JSON.parse(readFileSync(journey.path('again.json'), 'utf8'))).toEqual(answer);
    const charged = 1_000_000_000n - BigInt(receipt.chargedFrost);
    expect(JSON.parse(balanceJson!)).toEqual({
      balanceFrost: String(charged),
      heldFrost: '0',
      availableFrost: String(charged),
    });
    // The receipt is the sponsor's signature over its fields, and its Blob object is on Sui.
    await verifyPersonalMessageSignature(fromBase64(receipt.message), receipt.signature, {
      address: sponsor,
    });
    expect(receipt.sponsor).toBe(sponsor);
    const status = (await (await fetch(`${journey.edgeUrl}/status`)).json()) as { sui: { url: string } };
    const sui = new SuiGrpcClient({ baseUrl: status.sui.url, network: 'localnet' });
    const { object } = await sui.core.getObject({ objectId: receipt.objectId });
    expect(object.type).toMatch(/::blob::Blob$/);

    await journey.run('verify-script');
    expect((await journey.run('verify')).stdout.trim()).toBe(
      `${receipt.blobId}: ${receipt.chargedFrost} FROST charged to account ${account}`,
    );

    await journey.run('top-up-script');
    const { balances } = await sui.core.listBalances({ owner: sponsor });
    const wal = balances.find((balance) => balance.coinType.endsWith('::wal::WAL'))!.coinType;
    const sponsorWal = async () =>
      BigInt((await sui.core.getBalance({ owner: sponsor, coinType: wal })).balance.balance);
    const walBefore = await sponsorWal();
    const topUp = (await journey.run('top-up')).stdout.trim().split('\n');
    expect(topUp[0]).toBe('"Success"');
    expect(topUp[1]).toMatch(/^200 \{/);
    expect(JSON.parse(topUp[1]!.slice(4))).toMatchObject({
      creditedFrost: '2000000000',
      balanceFrost: String(charged + 2_000_000_000n),
    });
    // Sui moved exactly that much WAL to the sponsor.
    expect(await sponsorWal()).toBe(walBefore + 2_000_000_000n);

    const watched = (await journey.run('watch')).stdout.split('\n');
    expect(JSON.parse(watched[0]!)).toEqual({ consistent: true, mismatches: [] });
    expect(JSON.parse(watched[1]!)).toMatchObject({
      ready: true,
      ledger: 'up',
      publisher: { lowBalance: null },
    });
    expect(watched).toContain('walrus_edge_paid_uploads_total{outcome="newly-created"} 1');
    expect(watched).toContain('walrus_edge_paid_uploads_total{outcome="idempotent-replay"} 1');
    expect(watched).toContain(`walrus_edge_paid_charged_frost_total ${receipt.chargedFrost}`);
    expect(
      watched.some((line) => /^walrus_edge_sponsor_balance\{role="main",.*coin="WAL"\} \d+/.test(line)),
    ).toBe(true);

    expect(journey.remaining).toEqual([]);
  }, 120_000);
});
