// The WebAssembly engine of ../blake2b-merkle.ts: Blake2b-256 and the Walrus Merkle tree in a small
// module assembled with ./assembler.ts and compiled on first use, synchronously (so every caller
// stays synchronous) and never at import: where WebAssembly may not be compiled from bytes at run time
// (Cloudflare Workers) wasmBlake2bMerkle() returns null and the JS engine takes over.
//
// Why: Walrus commitments hash many tiny inputs (2n symbols per sliver check, n leaves of 64 bytes
// per metadata check), where a general-purpose hashing library's per-call JS glue (hash-wasm: ≈0.5 µs
// to hash 41 bytes, ≈1.5 µs a Merkle node) costs more than the hash itself. Here one call hashes
// straight out of the module's memory, and one call builds a whole tree over leaves laid out
// contiguously in it (≈0.15 µs a node). Hand-assembled so that it needs no build step and runs
// unchanged on Node and in browsers (Web-standard WebAssembly, no SIMD).
//
// Memory layout: [0, 128) scratch block; [LEVEL_PTR, +32·(count+1)) node digests (trees are reduced
// in place; a single hash is written at LEVEL_PTR); then the input bytes, contiguous, at dataPtr. The
// memory grows to the largest input seen and stays that size.
import type { Blake2bMerkle } from '../blake2b-merkle.ts';
import { WASM, WasmCode, wasmAsm } from './assembler.ts';

const DIGEST = 32;
const SCRATCH_PTR = 0;
const LEVEL_PTR = 128;
const PAGE = 65536;
/** `prefix` value for hashing the input alone. */
const NO_PREFIX = -1;

interface MerkleExports {
  memory: WebAssembly.Memory;
  /**
   * Blake2b-256(prefix ‖ mem[inPtr, inPtr + len)) → mem[outPtr, +32); prefix ≥ 256 (unsigned, e.g.
   * NO_PREFIX) hashes mem[inPtr, inPtr + len) alone. Requires inPtr ≥ 1.
   */
  hash: (prefix: number, inPtr: number, len: number, outPtr: number) => void;
  /** Root of the tree over `count` ≥ 1 leaves of `size` bytes at dataPtr → mem[levelPtr, +32). */
  merkle: (dataPtr: number, count: number, size: number, levelPtr: number) => void;
  /** Root of the tree over the `count` ≥ 1 node digests at levelPtr → mem[levelPtr, +32). */
  reduce: (count: number, levelPtr: number) => void;
}

let engine: WasmBlake2bMerkle | null | undefined;

/**
 * Where WebAssembly cannot be compiled from bytes (Workers) but a bundler hands over compiled modules:
 * the engine made from `module` (merkleModuleBytes(), compiled by the bundler) from now on.
 */
export function useCompiledMerkleModule(module: WebAssembly.Module): void {
  engine = new WasmBlake2bMerkle(new WebAssembly.Instance(module));
}

/** The WASM engine, compiled on the first call; null where WebAssembly cannot be compiled from bytes. */
export function wasmBlake2bMerkle(): Blake2bMerkle | null {
  if (engine === undefined) {
    try {
      engine = new WasmBlake2bMerkle(new WebAssembly.Instance(new WebAssembly.Module(merkleModule())));
    } catch {
      engine = null;
    }
  }
  return engine;
}

class WasmBlake2bMerkle implements Blake2bMerkle {
  readonly engine = 'wasm';
  readonly #wasm: MerkleExports;
  #view: Uint8Array;

  constructor(instance: WebAssembly.Instance) {
    this.#wasm = instance.exports as unknown as MerkleExports;
    this.#view = new Uint8Array(this.#wasm.memory.buffer);
  }

  /** Room for a level of `count` digests and `dataBytes` of input; returns where the input goes. */
  #reserve(count: number, dataBytes: number): number {
    const memory = this.#wasm.memory;
    const dataPtr = (LEVEL_PTR + DIGEST * (count + 1) + 63) & ~63;
    const needed = dataPtr + dataBytes;
    if (needed > memory.buffer.byteLength) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    }
    if (this.#view.buffer !== memory.buffer) this.#view = new Uint8Array(memory.buffer);
    return dataPtr;
  }

  #digestAt(ptr: number): Uint8Array {
    return this.#view.slice(ptr, ptr + DIGEST);
  }

  hash(parts: readonly Uint8Array[], prefix: number = NO_PREFIX): Uint8Array {
    let total = 0;
    for (const part of parts) total += part.length;
    const dataPtr = this.#reserve(1, total);
    let at = dataPtr;
    for (const part of parts) {
      this.#view.set(part, at);
      at += part.length;
    }
    this.#wasm.hash(prefix, dataPtr, total, LEVEL_PTR);
    return this.#digestAt(LEVEL_PTR);
  }

  symbolsRootInPlace(count: number, symbolSize: number, write: (leaves: Uint8Array) => void): Uint8Array {
    if (count === 0) return new Uint8Array(DIGEST);
    const dataPtr = this.#reserve(count, count * symbolSize);
    write(this.#view.subarray(dataPtr, dataPtr + count * symbolSize));
    this.#wasm.merkle(dataPtr, count, symbolSize, LEVEL_PTR);
    return this.#digestAt(LEVEL_PTR);
  }

  leavesRoot(leaves: readonly Uint8Array[]): Uint8Array {
    const count = leaves.length;
    if (count === 0) return new Uint8Array(DIGEST);
    const size = leaves[0]!.length;
    let total = 0;
    let uniform = true;
    for (const leaf of leaves) {
      total += leaf.length;
      if (leaf.length !== size) uniform = false;
    }
    const dataPtr = this.#reserve(count, total);
    let at = dataPtr;
    for (const leaf of leaves) {
      this.#view.set(leaf, at);
      at += leaf.length;
    }
    if (uniform) {
      this.#wasm.merkle(dataPtr, count, size, LEVEL_PTR);
    } else {
      at = dataPtr;
      for (let i = 0; i < count; i++) {
        const length = leaves[i]!.length;
        this.#wasm.hash(0, at, length, LEVEL_PTR + DIGEST * i);
        at += length;
      }
      this.#wasm.reduce(count, LEVEL_PTR);
    }
    return this.#digestAt(LEVEL_PTR);
  }

  leafHashesRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
    const count = leafHashes.length;
    if (count === 0) return new Uint8Array(DIGEST);
    this.#reserve(count, 0);
    for (let i = 0; i < count; i++) {
      const hash = leafHashes[i]!;
      if (hash.length !== DIGEST) throw new RangeError(`leaf hash ${i} has ${hash.length} bytes, not 32`);
      this.#view.set(hash, LEVEL_PTR + DIGEST * i);
    }
    this.#wasm.reduce(count, LEVEL_PTR);
    return this.#digestAt(LEVEL_PTR);
  }
}

// ---------------------------------------------------------------------------------------------------
// The module.

// Blake2b (RFC 7693) constants.
const IV = [
  0x6a09e667f3bcc908n,
  0xbb67ae8584caa73bn,
  0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n,
  0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn,
  0x5be0cd19137e2179n,
];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/**
 * Function 0: hash(prefix, inPtr, len, outPtr) = Blake2b-256(prefix ‖ mem[inPtr, inPtr + len)), or of
 * mem[inPtr, inPtr + len) alone when prefix ≥ 256 as an unsigned i32 (NO_PREFIX).
 */
function hashBody(): number[] {
  // Locals: params 0-3, then i32 src, rem, p, first, last, then i64 h0-7, v0-15, m0-15, t. With a
  // prefix, the message (prefix ‖ data) is read from src = inPtr − 1, patching its first byte (first =
  // 1 until the first block is loaded); rem counts what is left.
  const [PREFIX, IN, LEN, OUT, SRC, REM, P, FIRST, LAST] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const H = 9;
  const V = H + 8;
  const M = V + 16;
  const T = M + 16;
  const W = WASM;
  const c = new WasmCode();
  const g = (a: number, b: number, cc: number, d: number, x: number, y: number) => {
    for (const [m, r1, r2] of [
      [x, 32n, 24n],
      [y, 16n, 63n],
    ] as const) {
      c.get(V + a)
        .get(V + b)
        .op(W.i64Add)
        .get(M + m)
        .op(W.i64Add)
        .set(V + a);
      c.get(V + d)
        .get(V + a)
        .op(W.i64Xor)
        .i64(r1)
        .op(W.i64Rotr)
        .set(V + d);
      c.get(V + cc)
        .get(V + d)
        .op(W.i64Add)
        .set(V + cc);
      c.get(V + b)
        .get(V + cc)
        .op(W.i64Xor)
        .i64(r2)
        .op(W.i64Rotr)
        .set(V + b);
    }
  };

  // Parameter block: digest length 32, no key, fanout 1, depth 1.
  for (let i = 0; i < 8; i++) c.i64(i === 0 ? IV[0]! ^ 0x01010020n : IV[i]!).set(H + i);
  c.get(PREFIX).i32(256).op(W.i32LtU).set(FIRST);
  c.get(IN).get(FIRST).op(W.i32Sub).set(SRC);
  c.get(LEN).get(FIRST).op(W.i32Add).set(REM);
  c.i64(0n).set(T);
  c.op(W.loop, W.void);
  // A full block that is not the last is read in place; the last one is copied, zero-padded.
  c.get(REM).i32(128).op(W.i32GtU, W.if, W.void);
  c.get(SRC).set(P).i32(0).set(LAST);
  c.get(T).i64(128n).op(W.i64Add).set(T);
  c.op(W.else);
  c.i32(SCRATCH_PTR)
    .i32(0)
    .i32(128)
    .op(...W.memoryFill);
  c.i32(SCRATCH_PTR)
    .get(SRC)
    .get(REM)
    .op(...W.memoryCopy);
  c.i32(SCRATCH_PTR).set(P).i32(1).set(LAST);
  c.get(T).get(REM).op(W.i64ExtendI32U, W.i64Add).set(T);
  c.op(W.end);
  for (let j = 0; j < 16; j++)
    c.get(P)
      .mem(W.i64Load, 8 * j)
      .set(M + j);
  c.get(FIRST).op(W.if, W.void);
  c.get(M).i64(-256n).op(W.i64And).get(PREFIX).op(W.i64ExtendI32U, W.i64Or).set(M);
  c.op(W.end);
  // Compression.
  for (let i = 0; i < 8; i++) c.get(H + i).set(V + i);
  for (let i = 0; i < 8; i++) c.i64(IV[i]!).set(V + 8 + i);
  c.get(V + 12)
    .get(T)
    .op(W.i64Xor)
    .set(V + 12);
  c.get(LAST)
    .op(W.if, W.void)
    .get(V + 14)
    .i64(-1n)
    .op(W.i64Xor)
    .set(V + 14)
    .op(W.end);
  for (let round = 0; round < 12; round++) {
    const s = SIGMA[round % 10]!;
    g(0, 4, 8, 12, s[0]!, s[1]!);
    g(1, 5, 9, 13, s[2]!, s[3]!);
    g(2, 6, 10, 14, s[4]!, s[5]!);
    g(3, 7, 11, 15, s[6]!, s[7]!);
    g(0, 5, 10, 15, s[8]!, s[9]!);
    g(1, 6, 11, 12, s[10]!, s[11]!);
    g(2, 7, 8, 13, s[12]!, s[13]!);
    g(3, 4, 9, 14, s[14]!, s[15]!);
  }
  for (let i = 0; i < 8; i++) {
    c.get(H + i)
      .get(V + i)
      .op(W.i64Xor)
      .get(V + 8 + i)
      .op(W.i64Xor)
      .set(H + i);
  }
  c.i32(0).set(FIRST);
  c.get(SRC).i32(128).op(W.i32Add).set(SRC);
  c.get(REM).i32(128).op(W.i32Sub).set(REM);
  c.get(LAST).op(W.i32Eqz, W.brIf, 0);
  c.op(W.end);
  for (let i = 0; i < 4; i++)
    c.get(OUT)
      .get(H + i)
      .mem(W.i64Store, 8 * i);
  return c.body([
    [5, W.i32],
    [41, W.i64],
  ]);
}

/** Function 1: merkle(dataPtr, count, size, levelPtr): level[i] = H(0x00 ‖ leaf i), then reduce. */
function merkleBody(): number[] {
  const [DATA, COUNT, SIZE, LEVEL, I] = [0, 1, 2, 3, 4];
  const W = WASM;
  const c = new WasmCode();
  c.i32(0).set(I);
  c.op(W.block, W.void, W.loop, W.void);
  c.get(I).get(COUNT).op(W.i32GeU, W.brIf, 1);
  c.i32(0).get(DATA).get(I).get(SIZE).op(W.i32Mul, W.i32Add).get(SIZE);
  c.get(LEVEL).get(I).i32(5).op(W.i32Shl, W.i32Add, W.call, 0);
  c.get(I).i32(1).op(W.i32Add).set(I).op(W.br, 0);
  c.op(W.end, W.end);
  c.get(COUNT).get(LEVEL).op(W.call, 2);
  return c.body([[1, W.i32]]);
}

/**
 * Function 2: reduce(count, levelPtr), in place, level by level: an odd level gets an all-zero node;
 * level[i] = H(0x01 ‖ level[2i] ‖ level[2i+1]).
 */
function reduceBody(): number[] {
  const [COUNT, LEVEL, I, HALF] = [0, 1, 2, 3];
  const W = WASM;
  const c = new WasmCode();
  c.op(W.block, W.void, W.loop, W.void);
  c.get(COUNT).i32(2).op(W.i32LtU, W.brIf, 1);
  c.get(COUNT).i32(1).op(W.i32And, W.if, W.void);
  c.get(LEVEL)
    .get(COUNT)
    .i32(5)
    .op(W.i32Shl, W.i32Add)
    .i32(0)
    .i32(32)
    .op(...W.memoryFill);
  c.get(COUNT).i32(1).op(W.i32Add).set(COUNT);
  c.op(W.end);
  c.get(COUNT).i32(1).op(W.i32ShrU).set(HALF);
  c.i32(0).set(I);
  c.op(W.block, W.void, W.loop, W.void);
  c.get(I).get(HALF).op(W.i32GeU, W.brIf, 1);
  c.i32(1).get(LEVEL).get(I).i32(6).op(W.i32Shl, W.i32Add).i32(64);
  c.get(LEVEL).get(I).i32(5).op(W.i32Shl, W.i32Add, W.call, 0);
  c.get(I).i32(1).op(W.i32Add).set(I).op(W.br, 0);
  c.op(W.end, W.end);
  c.get(HALF).set(COUNT).op(W.br, 0);
  c.op(W.end, W.end);
  return c.body([[2, W.i32]]);
}

/** The engine's module, for a bundler to compile ahead (scripts/workers-wasm.ts). */
export function merkleModuleBytes(): Uint8Array<ArrayBuffer> {
  return merkleModule();
}

function merkleModule(): Uint8Array<ArrayBuffer> {
  return wasmAsm.module([
    { name: 'hash', params: 4, body: hashBody() },
    { name: 'merkle', params: 4, body: merkleBody() },
    { name: 'reduce', params: 2, body: reduceBody() },
  ]);
}
