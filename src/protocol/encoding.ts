// Encoding arithmetic for RS2 (DESIGN §2): source symbol counts, symbol size, sizes and costs, for any
// shard count n. Pure integer math; lengths are numbers (safe up to 2^53, far above the 13.6 GiB max).

export const RS2_ENCODING_TYPE = 1;
export const MAX_SYMBOL_SIZE = 65534;
/** One storage unit is 1 MiB of encoded length. */
export const BYTES_PER_UNIT_SIZE = 1024 * 1024;
export const DIGEST_LEN = 32;

export interface EncodingParams {
  /** Number of shards. */
  n: number;
  /** Maximum number of faulty shards tolerated, floor((n-1)/3). */
  f: number;
  /** Source symbols per secondary sliver = number of primary source slivers (rows): n - 2f. */
  primarySymbols: number;
  /** Source symbols per primary sliver = number of secondary source slivers (columns): n - f. */
  secondarySymbols: number;
}

export function encodingParams(n: number): EncodingParams {
  if (!Number.isInteger(n) || n < 4 || n > 65535) {
    throw new RangeError(`shard count must be an integer in [4, 65535], got ${n}`);
  }
  const f = Math.floor((n - 1) / 3);
  return { n, f, primarySymbols: n - 2 * f, secondarySymbols: n - f };
}

/** Symbol size for a blob of `length` bytes, or undefined when the blob is too large for n shards. */
export function symbolSizeFor(length: number, n: number): number | undefined {
  const { primarySymbols, secondarySymbols } = encodingParams(n);
  const perSymbol = Math.ceil(Math.max(length, 1) / (primarySymbols * secondarySymbols));
  const even = perSymbol + (perSymbol % 2);
  return even > MAX_SYMBOL_SIZE ? undefined : even;
}

export function maxBlobSize(n: number): number {
  const { primarySymbols, secondarySymbols } = encodingParams(n);
  return primarySymbols * secondarySymbols * MAX_SYMBOL_SIZE;
}

/** Bytes of one primary sliver (a row of S symbols) and one secondary sliver (a column of P symbols). */
export function sliverLengths(
  length: number,
  n: number,
): { primary: number; secondary: number; symbolSize: number } {
  const symbolSize = requireSymbolSize(length, n);
  const { primarySymbols, secondarySymbols } = encodingParams(n);
  return { primary: secondarySymbols * symbolSize, secondary: primarySymbols * symbolSize, symbolSize };
}

/** Metadata per shard (n hash pairs + blob id) plus all slivers: what the network bills for. */
export function encodedLength(length: number, n: number): number {
  const symbolSize = requireSymbolSize(length, n);
  const { primarySymbols, secondarySymbols } = encodingParams(n);
  return n * (2 * DIGEST_LEN * n + DIGEST_LEN) + n * (primarySymbols + secondarySymbols) * symbolSize;
}

export function storageUnits(encodedBytes: number): number {
  return Math.ceil(encodedBytes / BYTES_PER_UNIT_SIZE);
}

export interface Prices {
  /** FROST per storage unit per epoch. */
  storagePricePerUnit: bigint;
  /** FROST per storage unit, paid once at registration. */
  writePricePerUnit: bigint;
}

/** Cost in FROST (1 WAL = 10^9 FROST) of storing `length` unencoded bytes for `epochs` epochs. */
export function storageCost(length: number, n: number, epochs: number, prices: Prices) {
  const units = BigInt(storageUnits(encodedLength(length, n)));
  const storage = units * prices.storagePricePerUnit * BigInt(epochs);
  const write = units * prices.writePricePerUnit;
  return { units: Number(units), storage, write, total: storage + write };
}

function requireSymbolSize(length: number, n: number): number {
  const symbolSize = symbolSizeFor(length, n);
  if (symbolSize === undefined) {
    throw new RangeError(`a blob of ${length} bytes exceeds the maximum ${maxBlobSize(n)} for ${n} shards`);
  }
  return symbolSize;
}

/**
 * Column `column` of a blob's matrix (its secondary sliver's data before encoding) cut out of the
 * blob's own bytes: the matrix is the blob row-major, zero-padded, one symbol per cell.
 */
export function columnOfBlob(bytes: Uint8Array, n: number, column: number): Uint8Array {
  const size = bytes.length;
  const { secondary: columnBytes, symbolSize } = sliverLengths(size, n);
  const rowBytes = encodingParams(n).secondarySymbols * symbolSize;
  const out = new Uint8Array(columnBytes);
  for (let row = 0; row * symbolSize < columnBytes; row++) {
    const at = row * rowBytes + column * symbolSize;
    if (at < size) out.set(bytes.subarray(at, Math.min(size, at + symbolSize)), row * symbolSize);
  }
  return out;
}
