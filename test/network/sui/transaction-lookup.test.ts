// Reading executed transactions from the devnet's Sui: the gas they cost, proven by the sender's SUI
// balance as Sui reports it, and the three ways a lookup fails (malformed digest, unknown after the
// retries, Sui unreachable or the caller gone).
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../../src/devnet/devnet.ts';
import { gasUsedMist, lookUpTransaction } from '../../../src/network/sui/transaction-lookup.ts';
import { startTestDevnet } from '../../support/devnet.ts';
import { devnetSui } from '../../support/publishing.ts';
import {
  balanceOf,
  failingWalTransfer,
  fundedSigner,
  SUI_TYPE,
  transfer,
  walTypeHeldBy,
} from '../../publish/payments/sui-transfers.ts';

const UNKNOWN = '11111111111111111111111111111111';
let devnet: RunningDevnet;
let sui: SuiGrpcClient;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
  sui = devnetSui(devnet);
}, 60_000);
afterAll(async () => {
  await devnet?.stop();
});

describe('gasUsedMist', () => {
  it("is what the transactions took from the sender's SUI balance", async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const sender = signer.toSuiAddress();
    const walType = await walTypeHeldBy(sui, sender);
    const to = (await fundedSigner(devnet.faucetUrl)).toSuiAddress();

    const before = await balanceOf(sui, sender, SUI_TYPE);
    const first = await transfer(sui, signer, { coinType: walType, amount: 10n, to });
    const afterFirst = await balanceOf(sui, sender, SUI_TYPE);
    expect(await gasUsedMist(sui, [first])).toBe(before - afterFirst);
    expect(before - afterFirst).toBeGreaterThan(0n);

    const second = await transfer(sui, signer, { coinType: walType, amount: 20n, to });
    const after = await balanceOf(sui, sender, SUI_TYPE);
    expect(await gasUsedMist(sui, [first, second])).toBe(before - after);
    expect(await gasUsedMist(sui, [])).toBe(0n);
  });

  it('a failed transaction costs what its effects say (the devnet charges no gas for failures)', async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const sender = signer.toSuiAddress();
    const walType = await walTypeHeldBy(sui, sender);
    const before = await balanceOf(sui, sender, SUI_TYPE);
    const failed = await failingWalTransfer(sui, signer, { walType, to: sender });
    expect(await gasUsedMist(sui, [failed])).toBe(before - (await balanceOf(sui, sender, SUI_TYPE)));
  });

  it('throws for a transaction Sui does not know', async () => {
    await expect(gasUsedMist(sui, [UNKNOWN])).rejects.toThrow(UNKNOWN);
  });
});

describe('lookUpTransaction', () => {
  it('finds a transaction and says whether it succeeded', async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const sender = signer.toSuiAddress();
    const walType = await walTypeHeldBy(sui, sender);
    const ok = await transfer(sui, signer, { coinType: walType, amount: 1n, to: sender });
    const failed = await failingWalTransfer(sui, signer, { walType, to: sender });
    for (const [digest, succeeded] of [
      [ok, true],
      [failed, false],
    ] as const) {
      const found = await lookUpTransaction({ sui, digest, include: { effects: true } });
      expect(found).toMatchObject({ ok: true, succeeded, transaction: { digest } });
    }
  });

  it('an unknown digest is not found after the retries, which it waits for', async () => {
    const started = Date.now();
    expect(
      await lookUpTransaction({ sui, digest: UNKNOWN, include: {}, notFoundRetriesMs: [50, 100] }),
    ).toMatchObject({
      ok: false,
      problem: 'not-found',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('a caller that leaves during the retries stops waiting', async () => {
    const started = Date.now();
    const result = await lookUpTransaction({
      sui,
      digest: UNKNOWN,
      include: {},
      notFoundRetriesMs: [10_000],
      signal: AbortSignal.timeout(100),
    });
    expect(result).toMatchObject({ ok: false, problem: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a malformed digest is refused without asking Sui; an unreachable Sui is unavailable', async () => {
    const nowhere = new SuiGrpcClient({ baseUrl: 'http://127.0.0.1:9', network: 'localnet' });
    expect(await lookUpTransaction({ sui: nowhere, digest: 'abc', include: {} })).toMatchObject({
      ok: false,
      problem: 'invalid-digest',
    });
    const unreachable = await lookUpTransaction({ sui: nowhere, digest: UNKNOWN, include: {} });
    expect(unreachable).toMatchObject({ ok: false, problem: 'unavailable' });
    expect(unreachable.ok ? '' : unreachable.message).toMatch(/ECONNREFUSED|fetch failed/);
  });
});
