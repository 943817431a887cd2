// Quotes: the arithmetic against figures worked out by hand from DESIGN §2's official vector, and on
// the devnet against two witnesses that share none of our code: the official SDK's own
// `walrus.storageCost(size, epochs)`, and the WAL a real register transaction took from the payer's
// balance on Sui.
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient } from '@mysten/walrus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../../src/devnet/devnet.ts';
import {
  chainPriceCache,
  readChainPrices,
  type ChainPrices,
} from '../../../src/publish/payments/chain-prices.ts';
import {
  quoteJson,
  quoteUpload,
  settleAmount,
  type PriceSettings,
} from '../../../src/publish/payments/quote.ts';
import { startTestDevnet } from '../../support/devnet.ts';
import { devnetSui, devnetWalrus } from '../../support/publishing.ts';
import { balanceOf, fundedSigner, SUI_TYPE, walTypeHeldBy } from './sui-transfers.ts';

/** Mainnet's committee size; prices chosen so every part of a quote is a distinct number. */
const MAINNET: ChainPrices = {
  storagePricePerUnitFrost: 11_000n,
  writePricePerUnitFrost: 20_000n,
  nShards: 1000,
  epoch: 7,
};
const SETTINGS: PriceSettings = {
  marginBps: 1_000, // 10 %
  flatFeeFrost: 500n,
  freeTierBytes: 0,
  frostPerMist: { numerator: 1n, denominator: 3n },
  gasEstimateMist: 4_000_001n,
};

describe('quoteUpload', () => {
  it('prices the official vector (17 bytes at n = 1000, encoded 66,034,000 bytes = 63 units)', () => {
    const quote = quoteUpload({ size: 17, epochs: 3 }, MAINNET, SETTINGS);
    // 66,034,000 / 1 MiB = 62.97… → 63 units.
    // storage 63 × 11,000 × 3 = 2,079,000; write 63 × 20,000 = 1,260,000;
    // gas ⌈4,000,001 / 3⌉ = 1,333,334; network 4,672,334; margin ⌈467,233.4⌉ = 467,234; fee 500.
    expect(quote).toEqual({
      size: 17,
      epochs: 3,
      encodedSize: 66_034_000,
      storageUnits: 63,
      storageFrost: 2_079_000n,
      writeFrost: 1_260_000n,
      gasFrost: 1_333_334n,
      networkFrost: 4_672_334n,
      marginFrost: 467_234n,
      feeFrost: 500n,
      totalFrost: 5_140_068n,
      free: false,
      epoch: 7,
    });
  });

  it('as JSON every amount is a decimal string, the rest as it is', () => {
    const json = quoteJson(quoteUpload({ size: 17, epochs: 3 }, MAINNET, SETTINGS));
    const parsed = JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
    expect(parsed).toEqual({
      size: 17,
      epochs: 3,
      encodedSize: 66_034_000,
      storageUnits: 63,
      storageFrost: '2079000',
      writeFrost: '1260000',
      gasFrost: '1333334',
      networkFrost: '4672334',
      marginFrost: '467234',
      feeFrost: '500',
      totalFrost: '5140068',
      free: false,
      epoch: 7,
    });
    for (const [key, value] of Object.entries(parsed)) {
      expect(typeof value, key).toBe(
        key.endsWith('Frost') ? 'string' : key === 'free' ? 'boolean' : 'number',
      );
    }
  });

  it('the free tier costs nothing, and the quote still shows what the network costs', () => {
    const settings = { ...SETTINGS, freeTierBytes: 1024 };
    const free = quoteUpload({ size: 1024, epochs: 3 }, MAINNET, settings);
    expect(free).toMatchObject({ free: true, totalFrost: 0n, storageFrost: 2_079_000n, feeFrost: 500n });
    expect(quoteUpload({ size: 1025, epochs: 3 }, MAINNET, settings)).toMatchObject({
      free: false,
      totalFrost: 5_140_068n,
    });
    // freeTierBytes 0 is no free tier, not "empty blobs are free".
    expect(quoteUpload({ size: 0, epochs: 1 }, MAINNET, SETTINGS).free).toBe(false);
  });

  it('no margin, fee or gas: the network cost alone', () => {
    const bare = { ...SETTINGS, marginBps: 0, flatFeeFrost: 0n, gasEstimateMist: 0n };
    const quote = quoteUpload({ size: 17, epochs: 1 }, MAINNET, bare);
    expect([quote.networkFrost, quote.totalFrost]).toEqual([63n * 31_000n, 63n * 31_000n]);
  });

  it('refuses sizes and epochs that are no request, and blobs the committee cannot store', () => {
    for (const request of [
      { size: -1, epochs: 1 },
      { size: 1.5, epochs: 1 },
      { size: 10, epochs: 0 },
      { size: 10, epochs: 2.5 },
      { size: 15_000_000_000, epochs: 1 }, // above 334 × 667 × 65,534 bytes (13.6 GiB), n = 1000
    ]) {
      expect(() => quoteUpload(request, MAINNET, SETTINGS), JSON.stringify(request)).toThrow(RangeError);
    }
  });
});

describe('settleAmount', () => {
  const quote = quoteUpload({ size: 17, epochs: 3 }, MAINNET, SETTINGS);

  it('charges the actual cost with the same margin and fee', () => {
    // 3,339,000 WAL + ⌈3,000,000 / 3⌉ gas = 4,339,000; margin 433,900; fee 500.
    expect(settleAmount(quote, { networkWalFrost: 3_339_000n, gasMist: 3_000_000n }, SETTINGS)).toBe(
      4_773_400n,
    );
  });

  it('never more than the quote, nothing in the free tier', () => {
    expect(settleAmount(quote, { networkWalFrost: 9_000_000n, gasMist: 9_000_000n }, SETTINGS)).toBe(
      quote.totalFrost,
    );
    const settings = { ...SETTINGS, freeTierBytes: 100 };
    const free = quoteUpload({ size: 17, epochs: 3 }, MAINNET, settings);
    expect(settleAmount(free, { networkWalFrost: 3_339_000n, gasMist: 3_000_000n }, settings)).toBe(0n);
  });
});

describe('on the devnet', () => {
  const STORAGE_PRICE = 12_345n;
  const WRITE_PRICE = 6_789n;
  let devnet: RunningDevnet;
  let walrus: WalrusClient;

  beforeAll(async () => {
    devnet = await startTestDevnet({
      nodes: 4,
      shards: 100,
      chainParams: {
        storagePricePerUnit: STORAGE_PRICE.toString(),
        writePricePerUnit: WRITE_PRICE.toString(),
      },
    });
    walrus = devnetWalrus(devnet);
  }, 60_000);
  afterAll(async () => {
    await devnet?.stop();
  });

  it('reads the prices, shard count and epoch the chain holds', async () => {
    expect(await readChainPrices(walrus)).toEqual({
      storagePricePerUnitFrost: STORAGE_PRICE,
      writePricePerUnitFrost: WRITE_PRICE,
      nShards: 100,
      epoch: devnet.committee.epoch,
    });
  });

  it("storage + write equal the SDK's storageCost exactly, for many sizes and epochs", async () => {
    const prices = await readChainPrices(walrus);
    const bare = { ...SETTINGS, gasEstimateMist: 0n };
    const unit = 1024 * 1024;
    for (const size of [0, 1, 17, 6_700, 6_701, 1_000_000, unit, 3 * unit + 1, 20_000_000, 100_000_000]) {
      for (const epochs of [1, 2, 5, 53]) {
        const quote = quoteUpload({ size, epochs }, prices, bare);
        const sdk = await walrus.storageCost(size, epochs);
        const at = `${size} bytes × ${epochs} epochs`;
        expect(quote.storageFrost, at).toBe(sdk.storageCost);
        expect(quote.writeFrost, at).toBe(sdk.writeCost);
        expect(quote.storageFrost + quote.writeFrost, at).toBe(sdk.totalCost);
      }
    }
  });

  it('a real register transaction takes exactly storage + write from the payer in WAL', async () => {
    const signer = await fundedSigner(devnet.faucetUrl);
    const sui = devnetSui(devnet);
    const payer = signer.toSuiAddress();
    const walType = await walTypeHeldBy(sui, payer);
    const data = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const epochs = 4;
    const quote = quoteUpload({ size: data.length, epochs }, await readChainPrices(walrus), SETTINGS);

    const { blobId, rootHash } = await walrus.encodeBlob(data);
    const [walBefore, suiBefore] = [
      await balanceOf(sui, payer, walType),
      await balanceOf(sui, payer, SUI_TYPE),
    ];
    const { digest } = await walrus.executeRegisterBlobTransaction({
      signer,
      size: data.length,
      epochs,
      blobId,
      rootHash,
      deletable: false,
    });
    await sui.core.waitForTransaction({ digest });
    expect(walBefore - (await balanceOf(sui, payer, walType))).toBe(quote.storageFrost + quote.writeFrost);
    // SUI paid gas only, which the quote estimates separately.
    expect(suiBefore - (await balanceOf(sui, payer, SUI_TYPE))).toBeGreaterThan(0n);
  });

  describe('chainPriceCache', () => {
    it('reads once per TTL, with a fresh SDK client each time, concurrent callers sharing one read', async () => {
      let clients = 0;
      let clock = 1_000;
      const cache = chainPriceCache({
        newWalrus: () => {
          clients++;
          return devnetWalrus(devnet);
        },
        ttlMs: 30_000,
        now: () => clock,
      });
      const [a, b] = await Promise.all([cache.current(), cache.current()]);
      expect(a).toEqual(await readChainPrices(walrus));
      expect(b).toBe(a);
      expect(clients).toBe(1);
      clock += 29_999;
      expect(await cache.current()).toBe(a);
      expect(clients).toBe(1);
      clock += 1;
      expect(await cache.current()).toEqual(a);
      expect(clients).toBe(2);
    });

    it('a failed read is not kept: the next caller reads again', async () => {
      let clients = 0;
      const cache = chainPriceCache({
        newWalrus: () =>
          ++clients === 1
            ? new WalrusClient({
                packageConfig: devnet.packageConfig,
                suiClient: new SuiGrpcClient({ baseUrl: 'http://127.0.0.1:9', network: 'localnet' }),
              })
            : devnetWalrus(devnet),
      });
      await expect(cache.current()).rejects.toThrow();
      expect((await cache.current()).storagePricePerUnitFrost).toBe(STORAGE_PRICE);
      expect(clients).toBe(2);
    });

    it('a caller whose signal aborts leaves; the read goes on for the others', async () => {
      const cache = chainPriceCache({ newWalrus: () => devnetWalrus(devnet) });
      const controller = new AbortController();
      const leaving = cache.current(controller.signal);
      const staying = cache.current();
      controller.abort(new Error('client left'));
      await expect(leaving).rejects.toThrow('client left');
      expect((await staying).writePricePerUnitFrost).toBe(WRITE_PRICE);
    });
  });
});
