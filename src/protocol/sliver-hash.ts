// Sliver hashes (DESIGN §2): a sliver's metadata hash is the Merkle root over its n symbols after
// expanding it with the orthogonal code. A primary sliver (S = n − f source symbols) is expanded with
// the secondary code to n symbols; a secondary sliver (P = n − 2f source symbols) with the primary
// code. The n leaves are the source symbols in order followed by the recovery symbols in order
// (walrus-core SliverData::get_merkle_root → encode_all_symbols::<OrthogonalAxis>).
//
// The expansion runs in WebAssembly SIMD (rs2.ts) and writes the recovery symbols straight into the
// memory of the WebAssembly Merkle tree (wasm/blake2b-merkle.ts), which hashes the 2n small inputs
// at ≈0.15 µs a node. Where WebAssembly cannot be compiled (Cloudflare Workers) both fall back to
// their JS engines, with the same results; `engine: 'js'` asks for those anywhere.
import { blake2bMerkle, type HashEngine } from './blake2b-merkle.ts';
import { encodingParams } from './encoding.ts';
import { Rs2Code } from './rs2.ts';
import type { SliverType } from './sliver-layout.ts';

export interface SliverHashOptions {
  /** 'wasm' (the default where available) or 'js', for the Reed-Solomon code and the Merkle tree. */
  engine?: HashEngine;
}

const codes = new Map<string, Rs2Code>();
const MAX_CACHED_CODES = 64;

/** A cached Rs2Code for (sourceCount, totalCount, symbolSize, engine). */
export function rs2Code(
  sourceCount: number,
  totalCount: number,
  symbolSize: number,
  engine: HashEngine = 'wasm',
): Rs2Code {
  const key = `${sourceCount}/${totalCount}/${symbolSize}/${engine}`;
  let code = codes.get(key);
  if (code === undefined) {
    code = new Rs2Code(sourceCount, totalCount, symbolSize, { engine });
    if (codes.size >= MAX_CACHED_CODES) codes.delete(codes.keys().next().value!);
    codes.set(key, code);
  }
  return code;
}

/** Source symbols of a sliver of `type` at n shards: S for primary, P for secondary. */
export function sliverSymbolCount(type: SliverType, n: number): number {
  const { primarySymbols, secondarySymbols } = encodingParams(n);
  return type === 'primary' ? secondarySymbols : primarySymbols;
}

/**
 * Merkle root over the n expanded symbols of a sliver: `data` is the sliver's symbol bytes (the
 * `symbols.data` of its BCS SliverData), `symbolSize` its symbol size.
 */
export function sliverMerkleRoot(
  data: Uint8Array,
  symbolSize: number,
  type: SliverType,
  n: number,
  options: SliverHashOptions = {},
): Uint8Array {
  const sourceCount = sliverSymbolCount(type, n);
  if (data.length !== sourceCount * symbolSize) {
    throw new RangeError(
      `a ${type} sliver at n=${n} with symbol size ${symbolSize} has ${sourceCount * symbolSize} bytes, got ${data.length}`,
    );
  }
  const code = rs2Code(sourceCount, n, symbolSize, options.engine);
  return blake2bMerkle(options.engine).symbolsRootInPlace(n, symbolSize, (symbols) => {
    symbols.set(data);
    code.recovery(data, symbols.subarray(data.length));
  });
}

/** Whether a sliver's expanded Merkle root equals `expected` (its metadata hash, 32 bytes). */
export function verifySliver(
  data: Uint8Array,
  symbolSize: number,
  type: SliverType,
  n: number,
  expected: Uint8Array,
): boolean {
  if (expected.length !== 32) return false;
  let root: Uint8Array;
  try {
    root = sliverMerkleRoot(data, symbolSize, type, n);
  } catch {
    return false;
  }
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= root[i]! ^ expected[i]!;
  return diff === 0;
}

// symbolsMerkleRoot(symbols, symbolSize): the Merkle root over equal-size symbols laid end to end.
// E.g. a systematic primary sliver's row followed by symbol p of each repair secondary sliver gives
// its primary hash with no Reed-Solomon arithmetic.
export { symbolsMerkleRoot } from './blake2b-merkle.ts';
