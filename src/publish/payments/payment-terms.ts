// The operator's terms, bound to the chain: a quote at the chain's current prices, the charge for a
// certified upload from the gas its transactions actually used, and receipts signed by the sponsor's
// main key. What paid-uploads.ts needs of prices and keys, in one place.
import type { Signer } from '@mysten/sui/cryptography';
import { gasUsedMist, type TransactionSource } from '../../network/sui/transaction-lookup.ts';
import type { ChainPriceCache } from './chain-prices.ts';
import { mistToFrost, quoteUpload, settleAmount, type PriceSettings, type Quote } from './quote.ts';
import { signReceipt, type ReceiptFields, type SignedReceipt } from './receipt.ts';
import type { PaidUploadsDeps } from './paid-uploads.ts';
import { nativeWhereFaster } from './native-ed25519.ts';

export function paymentTerms(input: {
  prices: ChainPriceCache;
  settings: PriceSettings;
  sui: TransactionSource;
  /** The sponsor's main key: receipts verify against its address. */
  signer: Signer;
}): Pick<PaidUploadsDeps, 'quote' | 'gasOf' | 'charge' | 'signReceipt'> {
  const { settings } = input;
  const sponsor = input.signer.toSuiAddress();
  const receiptSigner = nativeWhereFaster(input.signer);
  return {
    async quote(size, epochs, signal) {
      return quoteUpload({ size, epochs }, await input.prices.current(signal), settings);
    },
    gasOf: (digest) => gasUsedMist(input.sui, [digest]),
    charge(quote: Quote, { walFrost, gasMist }) {
      return {
        chargedFrost: settleAmount(quote, { networkWalFrost: walFrost, gasMist }, settings),
        networkCostFrost: walFrost + mistToFrost(gasMist, settings),
      };
    },
    signReceipt(fields: Omit<ReceiptFields, 'version' | 'sponsor' | 'issuedAt'>): Promise<SignedReceipt> {
      return signReceipt(
        { ...fields, version: 1, sponsor, issuedAt: new Date().toISOString() },
        receiptSigner,
      );
    },
  };
}

/** PRICE_FROST_PER_MIST ("1", "0.25") as an exact ratio. */
export function parseRate(text: string): { numerator: bigint; denominator: bigint } {
  const [whole, fraction = ''] = text.split('.');
  return { numerator: BigInt(`${whole}${fraction}`), denominator: 10n ** BigInt(fraction.length) };
}
