// A fixed set of protocol computations (sliver hashes, a metadata root and blob ID, Merkle roots,
// Blake2b-256) on reproducible pseudo-random inputs, as hex, with the engines that computed them.
// web-standard.test.ts runs it in the test process (WebAssembly engines) and in a child process where
// WebAssembly cannot be compiled (JS engines, as on Workers), and expects the same values.
import { metadataRootHash, deriveBlobId, formatBlobId } from '../../src/protocol/blob-id.ts';
import { blake2bMerkle } from '../../src/protocol/blake2b-merkle.ts';
import { bytesToHex } from '../../src/protocol/base64.ts';
import { blake2b256 } from '../../src/protocol/hash.ts';
import { merkleRoot, merkleRootFromLeafHashes } from '../../src/protocol/merkle.ts';
import {
  rs2Code,
  sliverMerkleRoot,
  sliverSymbolCount,
  verifySliver,
} from '../../src/protocol/sliver-hash.ts';

export interface ProtocolVectors {
  engines: { merkle: string; rs2: string };
  values: Record<string, string>;
}

/** xorshift32 bytes: the same inputs in every process, without importing the walrus-wasm oracle. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2 + 1) | 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function protocolVectors(): ProtocolVectors {
  const values: Record<string, string> = {};
  for (const [n, symbolSize] of [
    [10, 34],
    [100, 130],
  ] as const) {
    const hashes = [];
    for (let pair = 0; pair < 4; pair++) {
      const seed = n * 1000 + pair;
      const primary = pseudoRandomBytes(sliverSymbolCount('primary', n) * symbolSize, seed);
      const secondary = pseudoRandomBytes(sliverSymbolCount('secondary', n) * symbolSize, seed + 500);
      const primaryHash = sliverMerkleRoot(primary, symbolSize, 'primary', n);
      const secondaryHash = sliverMerkleRoot(secondary, symbolSize, 'secondary', n);
      if (!verifySliver(primary, symbolSize, 'primary', n, primaryHash))
        throw new Error('sliver check failed');
      values[`sliver n=${n} s=${symbolSize} pair ${pair}`] =
        bytesToHex(primaryHash) + bytesToHex(secondaryHash);
      hashes.push({ primary: primaryHash, secondary: secondaryHash });
    }
    const root = metadataRootHash(hashes);
    values[`metadata root n=${n}`] = bytesToHex(root);
    values[`blob id n=${n}`] = formatBlobId(deriveBlobId(root, n * symbolSize * 7));
  }
  for (const count of [1, 2, 3, 33]) {
    const leaves = Array.from({ length: count }, (_, i) => pseudoRandomBytes((i * 41) % 97, count * 100 + i));
    values[`merkle root of ${count} leaves`] = bytesToHex(merkleRoot(leaves));
    const digests = leaves.map((leaf) => blake2b256(leaf));
    values[`merkle root of ${count} leaf hashes`] = bytesToHex(merkleRootFromLeafHashes(digests));
  }
  values['blake2b-256'] = bytesToHex(blake2b256(pseudoRandomBytes(1000, 7), pseudoRandomBytes(3, 8)));
  return {
    engines: { merkle: blake2bMerkle().engine, rs2: rs2Code(4, 10, 2).engine },
    values,
  };
}
