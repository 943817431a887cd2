// Cost of verifying slivers at n = 1000 (RS2 expansion + Merkle root), per sliver and for a whole blob.
// Run: node bench/rs2-verify.ts [sizes in MiB, e.g. 0.1 1 10 100]
import { encodingParams, sliverLengths } from '../src/protocol/encoding.ts';
import { rs2Code, sliverMerkleRoot, symbolsMerkleRoot } from '../src/protocol/sliver-hash.ts';
import { Rs2Code } from '../src/protocol/rs2.ts';
import { leafHash, merkleRootFromLeafHashes } from '../src/protocol/merkle.ts';

const N = 1000;
const { primarySymbols: P } = encodingParams(N);

function randomFill(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

/**
 * Milliseconds per call of `fn`: the best of 3 batches of `iterations` calls after `warmup` calls.
 * The best batch, not the mean, because other processes share this machine's CPUs.
 */
function time(fn: (i: number) => void, iterations: number, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn(i);
  let best = Infinity;
  for (let batch = 0; batch < 3; batch++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn(i);
    best = Math.min(best, (performance.now() - start) / iterations);
  }
  return best;
}

const sizesMiB = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [100 / 1024, 1, 10, 100];
const label = (mib: number) => (mib < 1 ? `${Math.round(mib * 1024)} KiB` : `${mib} MiB`);

console.log(`n=${N}, P=${P}; ms per sliver (random bytes, warm caches, best of 3 batches)`);
console.log(
  [
    'blob'.padEnd(8),
    'symbol'.padStart(6),
    'primary ms'.padStart(11),
    '(rs ms)'.padStart(8),
    'secondary ms'.padStart(13),
    '(rs ms)'.padStart(8),
    `${P} primary ms`.padStart(15),
  ].join(' '),
);
for (const mib of sizesMiB) {
  const length = Math.round(mib * 1024 * 1024);
  const { primary, secondary, symbolSize } = sliverLengths(length, N);
  const slivers = 8;
  const primaries = Array.from({ length: slivers }, (_, i) => randomFill(primary, i + 1));
  const secondaries = Array.from({ length: slivers }, (_, i) => randomFill(secondary, i + 100));
  const iterations = Math.max(4, Math.min(60, Math.round(200 / mib)));
  const pCode = rs2Code(primary / symbolSize, N, symbolSize);
  const sCode = rs2Code(secondary / symbolSize, N, symbolSize);
  const pMs = time((i) => sliverMerkleRoot(primaries[i % slivers]!, symbolSize, 'primary', N), iterations);
  const out = new Uint8Array(N * symbolSize);
  const pRs = time((i) => pCode.recovery(primaries[i % slivers]!, out), iterations);
  const sMs = time(
    (i) => sliverMerkleRoot(secondaries[i % slivers]!, symbolSize, 'secondary', N),
    iterations,
  );
  const sRs = time((i) => sCode.recovery(secondaries[i % slivers]!, out), iterations);
  // The whole blob: all P systematic primary slivers, timed end to end (best of 3).
  const all = time(
    () => {
      for (let i = 0; i < P; i++) sliverMerkleRoot(primaries[i % slivers]!, symbolSize, 'primary', N);
    },
    1,
    0,
  );
  console.log(
    [
      label(mib).padEnd(8),
      String(symbolSize).padStart(6),
      pMs.toFixed(3).padStart(11),
      pRs.toFixed(3).padStart(8),
      sMs.toFixed(3).padStart(13),
      sRs.toFixed(3).padStart(8),
      all.toFixed(0).padStart(15),
    ].join(' '),
  );
}

// Hashing alone: n leaves + the tree, the floor under any sliver check (and the whole cost of checking
// a systematic primary sliver from the repair secondary slivers' symbols, without Reed-Solomon).
for (const symbolSize of [2, 48, 472]) {
  const symbols = randomFill(N * symbolSize, symbolSize);
  const leaves = Array.from({ length: N }, (_, i) => symbols.subarray(i * symbolSize, (i + 1) * symbolSize));
  const wasmMs = time(() => symbolsMerkleRoot(symbols, symbolSize), 50);
  const jsMs = time(() => merkleRootFromLeafHashes(leaves.map(leafHash)), 10);
  console.log(
    `hash only, ${N} leaves of ${symbolSize} B: ${wasmMs.toFixed(3)} ms (merkle.ts with hash-wasm: ${jsMs.toFixed(3)} ms)`,
  );
}

// The portable JS engine, for comparison (used where WebAssembly SIMD is unavailable).
for (const mib of [1, 10, 100]) {
  const { primary, symbolSize } = sliverLengths(mib * 1024 * 1024, N);
  const code = new Rs2Code(primary / symbolSize, N, symbolSize, { engine: 'js' });
  const data = randomFill(primary, 5);
  const out = new Uint8Array(N * symbolSize);
  const ms = time(() => code.recovery(data, out), Math.max(4, Math.round(100 / mib)));
  console.log(`JS engine, primary expansion, ${label(mib)}: ${ms.toFixed(3)} ms`);
}
