// WAL top-ups checked against real transfers on the devnet's Sui, made by a client's key with
// @mysten/sui alone. Witnesses: the sponsor's WAL balance as Sui reports it (listBalances/getBalance),
// and the WAL type as Sui lists it among a holder's balances.
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../../src/devnet/devnet.ts';
import { walCoinType } from '../../../src/publish/sponsor/wallet-funds.ts';
import { checkTopUp, type TopUpCheck } from '../../../src/publish/payments/top-up-check.ts';
import { startTestDevnet } from '../../support/devnet.ts';
import { devnetSui, devnetWalrus } from '../../support/publishing.ts';
import {
  balanceOf,
  failingWalTransfer,
  fundedSigner,
  SUI_TYPE,
  transfer,
  walTypeHeldBy,
} from './sui-transfers.ts';

let devnet: RunningDevnet;
let sui: SuiGrpcClient;
let walType: string;
const sponsor = new Ed25519Keypair().toSuiAddress();

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
  sui = devnetSui(devnet);
  const holder = await fundedSigner(devnet.faucetUrl);
  walType = await walTypeHeldBy(sui, holder.toSuiAddress());
}, 60_000);
afterAll(async () => {
  await devnet?.stop();
});

const check = (
  digest: string,
  overrides: { sponsorAddress?: string; walCoinType?: string; ownWallets?: string[] } = {},
) => checkTopUp({ sui, digest, sponsorAddress: sponsor, walCoinType: walType, ...overrides });

const refusal = (result: TopUpCheck) =>
  result.ok ? ['ok'] : [result.status, result.reason, typeof result.message];

describe('checkTopUp on the devnet', () => {
  it('the WAL type the edge finds (through the Walrus SDK) is the one Sui lists', async () => {
    expect(await walCoinType(devnetWalrus(devnet), sui)).toBe(walType);
  });

  it('a WAL transfer to the sponsor: ok, with exactly the amount the sponsor received on Sui', async () => {
    for (const signer of [
      await fundedSigner(devnet.faucetUrl),
      await fundedSigner(devnet.faucetUrl, new Secp256k1Keypair()),
    ]) {
      const before = await balanceOf(sui, sponsor, walType);
      const digest = await transfer(sui, signer, { coinType: walType, amount: 1_234_567_891n, to: sponsor });
      const received = (await balanceOf(sui, sponsor, walType)) - before;
      expect(received).toBe(1_234_567_891n);

      const result = await check(digest);
      expect(result).toMatchObject({ ok: true, amountFrost: received, sender: signer.toSuiAddress() });
      // The same digest again gives the same answer: crediting once is the ledger's part.
      expect(await check(digest)).toEqual(result);
    }
  });

  it('the sponsor address in another spelling (no leading zeros, upper case) still matches', async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const digest = await transfer(sui, signer, { coinType: walType, amount: 5n, to: sponsor });
    const spelled = `0x${sponsor.slice(2).replace(/^0+/, '').toUpperCase()}`;
    expect(await check(digest, { sponsorAddress: spelled })).toMatchObject({ ok: true, amountFrost: 5n });
  });

  it('SUI sent to the sponsor: TOP_UP_WRONG_COIN (422), though the sponsor was paid', async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const before = await balanceOf(sui, sponsor, SUI_TYPE);
    const digest = await transfer(sui, signer, { coinType: SUI_TYPE, amount: 7_000n, to: sponsor });
    expect((await balanceOf(sui, sponsor, SUI_TYPE)) - before).toBe(7_000n);
    expect(refusal(await check(digest))).toEqual([422, 'TOP_UP_WRONG_COIN', 'string']);
  });

  it('WAL sent to another address: TOP_UP_WRONG_RECIPIENT (422)', async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const other = new Ed25519Keypair().toSuiAddress();
    const digest = await transfer(sui, signer, { coinType: walType, amount: 9_000n, to: other });
    expect(await balanceOf(sui, other, walType)).toBe(9_000n);
    expect(refusal(await check(digest))).toEqual([422, 'TOP_UP_WRONG_RECIPIENT', 'string']);
    // Named as the sponsor, the same transaction is a top-up of that address.
    expect(await check(digest, { sponsorAddress: other })).toMatchObject({ ok: true, amountFrost: 9_000n });
  });

  it("WAL from one of the sponsor's own wallets (a sub-wallet's funds coming home): TOP_UP_FROM_SPONSOR", async () => {
    const subWallet = await fundedSigner(devnet.faucetUrl);
    const digest = await transfer(sui, subWallet, { coinType: walType, amount: 5_000n, to: sponsor });
    expect(refusal(await check(digest, { ownWallets: [subWallet.toSuiAddress()] }))).toEqual([
      422,
      'TOP_UP_FROM_SPONSOR',
      'string',
    ]);
    // From anyone else the same transfer is a top-up.
    expect(await check(digest, { ownWallets: [new Ed25519Keypair().toSuiAddress()] })).toMatchObject({
      ok: true,
    });
  });

  it('the sponsor paying a client is no top-up of the sponsor: TOP_UP_WRONG_RECIPIENT', async () => {
    const payer = await fundedSigner(devnet.faucetUrl);
    const client = new Ed25519Keypair().toSuiAddress();
    const digest = await transfer(sui, payer, { coinType: walType, amount: 1_000n, to: client });
    expect(refusal(await check(digest, { sponsorAddress: payer.toSuiAddress() }))).toEqual([
      422,
      'TOP_UP_WRONG_RECIPIENT',
      'string',
    ]);
  });

  it('a failed transaction on Sui: TOP_UP_FAILED_TRANSACTION (422), and the sponsor got nothing', async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const before = await balanceOf(sui, sponsor, walType);
    const digest = await failingWalTransfer(sui, signer, { walType, to: sponsor });
    const onChain = await sui.core.getTransaction({ digest, include: { effects: true } });
    expect(onChain.$kind).toBe('FailedTransaction');
    expect(await balanceOf(sui, sponsor, walType)).toBe(before);
    expect(refusal(await check(digest))).toEqual([422, 'TOP_UP_FAILED_TRANSACTION', 'string']);
  });

  it('an unknown digest: TOP_UP_NOT_FOUND (404), after retrying briefly', async () => {
    const started = Date.now();
    expect(refusal(await check('11111111111111111111111111111111'))).toEqual([
      404,
      'TOP_UP_NOT_FOUND',
      'string',
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_300); // the 300 ms and 1 s retries
  });

  it('garbage: INVALID_DIGEST (400), without asking Sui', async () => {
    for (const digest of ['', 'not-a-digest', '0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl', '1111', 'x'.repeat(500)]) {
      const started = Date.now();
      expect(refusal(await check(digest)), digest).toEqual([400, 'INVALID_DIGEST', 'string']);
      expect(Date.now() - started).toBeLessThan(250);
    }
  });

  it('Sui unreachable: SUI_UNAVAILABLE (503)', async () => {
    const nowhere = new SuiGrpcClient({ baseUrl: 'http://127.0.0.1:9', network: 'localnet' });
    const result = await checkTopUp({
      sui: nowhere,
      digest: '11111111111111111111111111111111',
      sponsorAddress: sponsor,
      walCoinType: walType,
    });
    expect(refusal(result)).toEqual([503, 'SUI_UNAVAILABLE', 'string']);
  });
});
