// The price of an upload, and what it finally costs the client: the network's cost at the chain's
// prices (storage units of the ENCODED size × (storage price × epochs + write price), as the Walrus
// contract charges it), plus the gas converted from SUI at the operator's rate, plus the operator's
// margin and flat fee. Pure arithmetic in FROST (1 WAL = 10^9 FROST); every rounding goes up, so the
// operator never sells below cost.
import { encodedLength, storageCost, storageUnits } from '../../protocol/encoding.ts';
import type { ChainPrices } from './chain-prices.ts';

export interface PriceSettings {
  /** The operator's margin on the network cost, in basis points (100 = 1 %). */
  marginBps: number;
  /** Added to every paid upload. */
  flatFeeFrost: bigint;
  /** Uploads of at most this many bytes cost the client nothing; 0 turns the free tier off. */
  freeTierBytes: number;
  /** FROST per MIST: the rate at which the operator sells the SUI its gas costs. */
  frostPerMist: { numerator: bigint; denominator: bigint };
  /** The gas (MIST) an upload is expected to cost: register + certify. */
  gasEstimateMist: bigint;
}

export interface Quote {
  size: number;
  epochs: number;
  /** Bytes the network bills for (metadata per shard + all slivers) at the committee's shard count. */
  encodedSize: number;
  /** 1 MiB of encoded size each, rounded up. */
  storageUnits: number;
  storageFrost: bigint;
  writeFrost: bigint;
  gasFrost: bigint;
  /** storage + write + gas: what the upload costs the operator. */
  networkFrost: bigint;
  marginFrost: bigint;
  feeFrost: bigint;
  /** What the client pays: network + margin + fee, or 0 in the free tier. */
  totalFrost: bigint;
  free: boolean;
  /** The chain epoch the prices are from. */
  epoch: number;
}

/** A quote as JSON: every amount (a name ending in `Frost`) a decimal string. */
export type QuoteJson = { [K in keyof Quote]: Quote[K] extends bigint ? string : Quote[K] };

/**
 * The price of storing `size` bytes for `epochs` epochs. Throws a RangeError for a size or epoch
 * count that is no positive integer, or a blob larger than the committee can store
 * (`maxBlobSize(prices.nShards)`): callers validate requests first.
 */
export function quoteUpload(
  request: { size: number; epochs: number },
  prices: ChainPrices,
  settings: PriceSettings,
): Quote {
  const { size, epochs } = request;
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a byte count, got ${size}`);
  if (!Number.isSafeInteger(epochs) || epochs < 1) {
    throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
  }
  const encodedSize = encodedLength(size, prices.nShards);
  const cost = storageCost(size, prices.nShards, epochs, {
    storagePricePerUnit: prices.storagePricePerUnitFrost,
    writePricePerUnit: prices.writePricePerUnitFrost,
  });
  const gasFrost = mistToFrost(settings.gasEstimateMist, settings);
  const networkFrost = cost.storage + cost.write + gasFrost;
  const marginFrost = marginOn(networkFrost, settings);
  const feeFrost = settings.flatFeeFrost;
  const free = settings.freeTierBytes > 0 && size <= settings.freeTierBytes;
  return {
    size,
    epochs,
    encodedSize,
    storageUnits: storageUnits(encodedSize),
    storageFrost: cost.storage,
    writeFrost: cost.write,
    gasFrost,
    networkFrost,
    marginFrost,
    feeFrost,
    totalFrost: free ? 0n : networkFrost + marginFrost + feeFrost,
    free,
    epoch: prices.epoch,
  };
}

/**
 * What to charge after the upload certified: its actual WAL and gas, with the same margin and fee as
 * the quote, never more than the quote (the client agreed to that price), nothing in the free tier.
 */
export function settleAmount(
  quote: Quote,
  actual: { networkWalFrost: bigint; gasMist: bigint },
  settings: PriceSettings,
): bigint {
  if (quote.free) return 0n;
  const network = actual.networkWalFrost + mistToFrost(actual.gasMist, settings);
  const charge = network + marginOn(network, settings) + settings.flatFeeFrost;
  return charge < quote.totalFrost ? charge : quote.totalFrost;
}

export function quoteJson(quote: Quote): QuoteJson {
  return {
    ...quote,
    storageFrost: quote.storageFrost.toString(),
    writeFrost: quote.writeFrost.toString(),
    gasFrost: quote.gasFrost.toString(),
    networkFrost: quote.networkFrost.toString(),
    marginFrost: quote.marginFrost.toString(),
    feeFrost: quote.feeFrost.toString(),
    totalFrost: quote.totalFrost.toString(),
  };
}

/** MIST sold as FROST at the operator's rate, rounded up. */
export function mistToFrost(mist: bigint, settings: Pick<PriceSettings, 'frostPerMist'>): bigint {
  const { numerator, denominator } = settings.frostPerMist;
  if (denominator <= 0n || numerator < 0n) {
    throw new RangeError(`frostPerMist must be a non-negative ratio, got ${numerator}/${denominator}`);
  }
  return ceilDiv(mist * numerator, denominator);
}

function marginOn(networkFrost: bigint, settings: Pick<PriceSettings, 'marginBps'>): bigint {
  return ceilDiv(networkFrost * BigInt(settings.marginBps), 10_000n);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
