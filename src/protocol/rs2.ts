// RS2 Reed-Solomon encoding over GF(2^16), bit-exact with the `reed-solomon-simd` crate v3 that Walrus
// uses (the Leopard / Lin-Chung-Han additive-FFT construction in a Cantor basis). Own implementation
// written from the crate's description and reference engine; only the encoder (source → recovery).
//
// Byte layout (reed-solomon-simd src/engine/shards.rs): a shard (= one Walrus symbol, `symbolSize`
// bytes, even) is a sequence of 16-bit field elements, but NOT as little-endian pairs. Each whole
// 64-byte block holds 32 elements as [lo_0 .. lo_31, hi_0 .. hi_31]. A trailing partial block of
// t = symbolSize % 64 bytes holds t/2 elements as [lo_0 .. lo_(t/2-1), hi_0 .. hi_(t/2-1)]. Recovery
// shards come back in the same layout. Element positions never interact (the code is applied to each
// position independently), so only this pairing of a low byte with its high byte matters.
//
// Rate (src/rate/rate_default.rs): with o = source count, r = recovery count, the encoder is "high
// rate" when pow2(o) > pow2(r), or pow2(o) == pow2(r) and o <= r; "low rate" otherwise.
//   high: chunk c = pow2(r); work = IFFT(chunk_0, skew c) ^ IFFT(chunk_1, skew 2c) ^ ... (last chunk
//         zero-padded), then FFT(work, skew 0); recovery i = work[i].
//   low:  chunk c = pow2(o); t = IFFT(source zero-padded to c, skew 0); recovery block k (c shards) =
//         FFT(t, skew (k+1)·c); recovery i = block[floor(i/c)][i mod c].
// Here pow2 = next power of two and "skew d" = skew_delta (the FFT at `pos` uses skew[r + dist + d - 1]).
// Truncation: butterfly groups starting at or beyond the wanted outputs (FFT) or the nonzero inputs
// (IFFT) are skipped, as the crate does; the results we read are exact either way.
//
// Engines: the encoder is compiled once per (source, recovery) count into a flat list of butterfly
// groups (a "plan"), run either by a WebAssembly SIMD kernel assembled below (default; the crate's
// own byte layout and its SSSE3-style nibble tables) or by plain JS on Uint16Array elements (fallback
// where WebAssembly SIMD is unavailable, and the cross-check in the tests; ≈8× slower).
import { WASM, WasmCode, wasmAsm } from './wasm/assembler.ts';

const GF_ORDER = 65536;
const GF_MODULUS = 65535;
const GF_POLYNOMIAL = 0x1002d;
const CANTOR_BASIS = [
  0x0001, 0xacca, 0x3c0e, 0x163e, 0xc582, 0xed2e, 0x914c, 0x4012, 0x6c98, 0x10d8, 0x6a72, 0xb900, 0xfdb8,
  0xfb34, 0xff38, 0x991e,
];

export interface GfTables {
  /** exp[log] → element (Cantor basis); exp[65535] = exp[0]. */
  exp: Uint16Array;
  /** log[element] → log; log[0] = 65535 (callers must special-case 0). */
  log: Uint16Array;
  /** FFT twiddle logs, 65535 entries; a value of 65535 means "multiply by zero" (butterfly is a plain xor). */
  skew: Uint16Array;
}

let tables: GfTables | undefined;

/** The GF(2^16) tables of reed-solomon-simd (tables.rs), computed once (≈0.4 MiB). */
export function gfTables(): GfTables {
  if (tables === undefined) tables = buildTables();
  return tables;
}

function addMod(x: number, y: number): number {
  const sum = x + y;
  return (sum + (sum >>> 16)) & 0xffff;
}

/** x · exp(logM) in the field, with the tables' conventions (x = 0 → 0). */
function gfMulLog(x: number, logM: number, t: GfTables = gfTables()): number {
  return x === 0 ? 0 : t.exp[addMod(t.log[x]!, logM)]!;
}

function buildTables(): GfTables {
  const exp = new Uint16Array(GF_ORDER);
  const log = new Uint16Array(GF_ORDER);
  // Linear-feedback shift register: exp[] temporarily holds the discrete log in the polynomial basis.
  let state = 1;
  for (let i = 0; i < GF_MODULUS; i++) {
    exp[state] = i;
    state <<= 1;
    if (state >= GF_ORDER) state ^= GF_POLYNOMIAL;
  }
  exp[0] = GF_MODULUS;
  // Change to the Cantor basis: element bits select a XOR of basis vectors.
  log[0] = 0;
  for (let i = 0; i < 16; i++) {
    const width = 1 << i;
    for (let j = 0; j < width; j++) log[j + width] = log[j]! ^ CANTOR_BASIS[i]!;
  }
  for (let i = 0; i < GF_ORDER; i++) log[i] = exp[log[i]!]!;
  for (let i = 0; i < GF_ORDER; i++) exp[log[i]!] = i;
  exp[GF_MODULUS] = exp[0]!;

  const t: GfTables = { exp, log, skew: new Uint16Array(GF_MODULUS) };
  const skew = t.skew;
  const temp = new Uint16Array(15);
  for (let i = 1; i < 16; i++) temp[i - 1] = 1 << i;
  for (let m = 0; m < 15; m++) {
    const step = 1 << (m + 1);
    skew[(1 << m) - 1] = 0;
    for (let i = m; i < 15; i++) {
      const s = 1 << (i + 1);
      for (let j = (1 << m) - 1; j < s; j += step) skew[j + s] = skew[j]! ^ temp[i]!;
    }
    const tm = temp[m]!;
    temp[m] = GF_MODULUS - log[gfMulLog(tm, log[tm ^ 1]!, t)]!;
    for (let i = m + 1; i < 15; i++) {
      const sum = addMod(log[temp[i]! ^ 1]!, temp[m]!);
      temp[i] = gfMulLog(temp[i]!, sum, t);
    }
  }
  for (let i = 0; i < GF_MODULUS; i++) skew[i] = log[skew[i]!]!;
  return t;
}

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** Whether reed-solomon-simd's default rate uses the high-rate encoder (rate_default.rs use_high_rate). */
export function usesHighRate(sourceCount: number, recoveryCount: number): boolean {
  const o = nextPow2(sourceCount);
  const r = nextPow2(recoveryCount);
  return o > r || (o === r && sourceCount <= recoveryCount);
}

// ---------------------------------------------------------------------------------------------------
// Byte layout ↔ elements

/** Symbol bytes (reed-solomon-simd shard layout) → symbolSize/2 elements, written at `out[outOffset..]`. */
export function symbolToElements(
  bytes: Uint8Array,
  offset: number,
  symbolSize: number,
  out: Uint16Array,
  outOffset: number,
): void {
  const whole = symbolSize & ~63;
  let o = outOffset;
  for (let c = offset, end = offset + whole; c < end; c += 64) {
    for (let k = 0; k < 32; k++) out[o++] = bytes[c + k]! | (bytes[c + 32 + k]! << 8);
  }
  const half = (symbolSize - whole) >>> 1;
  const c = offset + whole;
  for (let k = 0; k < half; k++) out[o++] = bytes[c + k]! | (bytes[c + half + k]! << 8);
}

/** Inverse of symbolToElements. */
export function elementsToSymbol(
  elements: Uint16Array,
  offset: number,
  symbolSize: number,
  out: Uint8Array,
  outOffset: number,
): void {
  const whole = symbolSize & ~63;
  let e = offset;
  for (let c = outOffset, end = outOffset + whole; c < end; c += 64) {
    for (let k = 0; k < 32; k++) {
      const v = elements[e++]!;
      out[c + k] = v;
      out[c + 32 + k] = v >>> 8;
    }
  }
  const half = (symbolSize - whole) >>> 1;
  const c = outOffset + whole;
  for (let k = 0; k < half; k++) {
    const v = elements[e++]!;
    out[c + k] = v;
    out[c + half + k] = v >>> 8;
  }
}

// ---------------------------------------------------------------------------------------------------
// Plan: the encoder as a flat list of operations on a work array of shards. It depends only on
// (sourceCount, recoveryCount), so it is built once and shared by every symbol size and engine.

const OP_FFT = 0; // for i < dist: a = shard pos+i, b = shard pos+i+dist: a ^= b·m; b ^= a
const OP_IFFT = 1; // b ^= a; a ^= b·m
const OP_XOR_PAIR = 2; // either butterfly with m = 0 (skew log 65535): b ^= a
const OP_XOR = 3; // shards [pos, pos+dist) ^= shards [arg, arg+dist)
const OP_COPY = 4; // shards [pos, pos+dist) = shards [arg, arg+dist)

interface Plan {
  /** Quadruples (op, pos, dist, arg); for OP_FFT/OP_IFFT arg indexes `logs`. */
  ops: Int32Array;
  /** The multipliers (as logs) of the FFT/IFFT butterfly groups, one per group. */
  logs: Uint16Array;
  /** Shards in the work array (source shards are loaded at 0..sourceCount-1, the rest zeroed). */
  workCount: number;
  /** JS engine: per multiplier, 512 products: m·b for each low byte b, then m·(b << 8). Lazy. */
  byteTables?: Uint16Array;
  /** WASM engine: where the plan's ops and nibble tables live in the module's memory. Lazy. */
  wasm?: { opsPtr: number; opsEnd: number };
}

class PlanBuilder {
  ops: number[] = [];
  logs: number[] = [];
  skew: Uint16Array;
  constructor(skew: Uint16Array) {
    this.skew = skew;
  }
  push(op: number, pos: number, dist: number, arg: number): void {
    this.ops.push(op, pos, dist, arg);
  }
  butterflies(op: number, pos: number, dist: number, logM: number): void {
    if (logM === GF_MODULUS) this.push(OP_XOR_PAIR, pos, dist, 0);
    else this.push(op, pos, dist, this.logs.push(logM) - 1);
  }
  /** reed-solomon-simd Engine::fft(data, pos, size, truncated_size, skew_delta), naive engine order. */
  fft(pos: number, size: number, truncated: number, skewDelta: number): void {
    for (let dist = size >>> 1; dist > 0; dist >>>= 1) {
      for (let r = 0; r < truncated; r += 2 * dist) {
        this.butterflies(OP_FFT, pos + r, dist, this.skew[r + dist + skewDelta - 1]!);
      }
    }
  }
  /** reed-solomon-simd Engine::ifft, likewise. */
  ifft(pos: number, size: number, truncated: number, skewDelta: number): void {
    for (let dist = 1; dist < size; dist *= 2) {
      for (let r = 0; r < truncated; r += 2 * dist) {
        this.butterflies(OP_IFFT, pos + r, dist, this.skew[r + dist + skewDelta - 1]!);
      }
    }
  }
}

const plans = new Map<string, Plan>();

function planFor(o: number, r: number): Plan {
  const key = `${o}/${r}`;
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = buildPlan(o, r);
    plans.set(key, plan);
  }
  return plan;
}

function buildPlan(o: number, r: number): Plan {
  const b = new PlanBuilder(gfTables().skew);
  let workCount: number;
  if (usesHighRate(o, r)) {
    const chunk = nextPow2(r);
    workCount = Math.ceil(o / chunk) * chunk;
    b.ifft(0, chunk, Math.min(o, chunk), chunk);
    for (let start = chunk; start < o; start += chunk) {
      b.ifft(start, chunk, Math.min(chunk, o - start), start + chunk);
      b.push(OP_XOR, 0, chunk, start);
    }
    b.fft(0, chunk, r, 0);
  } else {
    const chunk = nextPow2(o);
    workCount = Math.ceil(r / chunk) * chunk;
    b.ifft(0, chunk, o, 0);
    for (let start = chunk; start < r; start += chunk) b.push(OP_COPY, start, chunk, 0);
    for (let start = 0; start < r; start += chunk)
      b.fft(start, chunk, Math.min(chunk, r - start), start + chunk);
  }
  return { ops: Int32Array.from(b.ops), logs: Uint16Array.from(b.logs), workCount };
}

// ---------------------------------------------------------------------------------------------------
// JS engine: elements as a Uint16Array, shard s at [s·E, (s+1)·E), E = symbolSize / 2. Products by
// two lookups in a 1 KiB byte table per multiplier (≈1.5× faster than log/exp lookups), ≈1 MiB of
// tables for n = 1000.

function byteTables(plan: Plan): Uint16Array {
  if (plan.byteTables !== undefined) return plan.byteTables;
  const { exp, log } = gfTables();
  const tables = new Uint16Array(512 * plan.logs.length);
  for (let k = 0; k < plan.logs.length; k++) {
    const logM = plan.logs[k]!;
    for (let x = 1; x < 256; x++) {
      tables[512 * k + x] = exp[addMod(log[x]!, logM)]!;
      tables[512 * k + 256 + x] = exp[addMod(log[x << 8]!, logM)]!;
    }
  }
  plan.byteTables = tables;
  return tables;
}

function runJs(ops: Int32Array, tables: Uint16Array, w: Uint16Array, e: number): void {
  for (let k = 0; k < ops.length; k += 4) {
    const op = ops[k]!;
    const start = ops[k + 1]! * e;
    const span = ops[k + 2]! * e;
    const arg = ops[k + 3]!;
    const end = start + span;
    if (op === OP_FFT) {
      const lo = arg << 9;
      const hi = lo + 256;
      for (let p = start, q = end; p < end; p++, q++) {
        const y = w[q]!;
        const x = w[p]! ^ tables[lo + (y & 0xff)]! ^ tables[hi + (y >>> 8)]!;
        w[p] = x;
        w[q] = y ^ x;
      }
    } else if (op === OP_IFFT) {
      const lo = arg << 9;
      const hi = lo + 256;
      for (let p = start, q = end; p < end; p++, q++) {
        const x = w[p]!;
        const y = w[q]! ^ x;
        w[q] = y;
        w[p] = x ^ tables[lo + (y & 0xff)]! ^ tables[hi + (y >>> 8)]!;
      }
    } else if (op === OP_XOR_PAIR) {
      for (let p = start, q = end; p < end; p++, q++) w[q] = w[q]! ^ w[p]!;
    } else if (op === OP_XOR) {
      for (let p = start, q = arg * e; p < end; p++, q++) w[p] = w[p]! ^ w[q]!;
    } else {
      w.copyWithin(start, arg * e, arg * e + span);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// WASM SIMD engine: the crate's own layout, shards of ceil(symbolSize / 64) 64-byte blocks in
// WebAssembly memory, and products by i8x16.swizzle on 4-bit tables (the SSSE3/AVX2 engines' method:
// 8 × 16 bytes per multiplier, the low and high product bytes for each nibble of the element).
// Memory: [plans (ops + tables), bump-allocated and kept] [work area, reused by every call].

interface Kernel {
  memory: WebAssembly.Memory;
  run: (opsPtr: number, opsEnd: number, workPtr: number, shardBytes: number) => void;
}

let kernel: Kernel | null | undefined;
let kernelEnd = 0;
let kernelView = new Uint8Array(0);

/**
 * Where WebAssembly cannot be compiled from bytes (Workers) but a bundler hands over compiled modules:
 * the kernel made from `module` (rs2KernelModuleBytes(), compiled by the bundler) from now on.
 */
export function useCompiledRs2Kernel(module: WebAssembly.Module): void {
  kernel = new WebAssembly.Instance(module).exports as unknown as Kernel;
  kernelView = new Uint8Array(kernel.memory.buffer);
  kernelEnd = 0;
}

/** The kernel's module, for a bundler to compile ahead (scripts/workers-wasm.ts). */
export function rs2KernelModuleBytes(): Uint8Array<ArrayBuffer> {
  return kernelModule();
}

/** The WASM SIMD kernel, or null where WebAssembly SIMD is unavailable. */
function wasmKernel(): Kernel | null {
  if (kernel === undefined) {
    try {
      const bytes = kernelModule();
      kernel = WebAssembly.validate(bytes)
        ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Kernel)
        : null;
    } catch {
      kernel = null;
    }
    if (kernel !== null) kernelView = new Uint8Array(kernel.memory.buffer);
  }
  return kernel;
}

function kernelMemory(k: Kernel, end: number): Uint8Array {
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / 65536));
  if (kernelView.buffer !== k.memory.buffer) kernelView = new Uint8Array(k.memory.buffer);
  return kernelView;
}

/** Uploads a plan's ops (positions in shards, arg of a multiplication = its table's address). */
function wasmPlan(k: Kernel, plan: Plan): { opsPtr: number; opsEnd: number } {
  if (plan.wasm !== undefined) return plan.wasm;
  const tablesPtr = (kernelEnd + 15) & ~15;
  const opsPtr = tablesPtr + 128 * plan.logs.length;
  const opsEnd = opsPtr + 4 * plan.ops.length;
  const mem = kernelMemory(k, opsEnd);
  const t = gfTables();
  for (let m = 0; m < plan.logs.length; m++) {
    const logM = plan.logs[m]!;
    const base = tablesPtr + 128 * m;
    for (let nibble = 0; nibble < 4; nibble++) {
      for (let x = 0; x < 16; x++) {
        const product = gfMulLog(x << (4 * nibble), logM, t);
        mem[base + 32 * nibble + x] = product;
        mem[base + 32 * nibble + 16 + x] = product >>> 8;
      }
    }
  }
  const ops = plan.ops.slice();
  for (let i = 0; i < ops.length; i += 4) {
    if (ops[i] === OP_FFT || ops[i] === OP_IFFT) ops[i + 3] = tablesPtr + 128 * ops[i + 3]!;
  }
  new Int32Array(mem.buffer, opsPtr, ops.length).set(ops);
  kernelEnd = opsEnd;
  plan.wasm = { opsPtr, opsEnd };
  return plan.wasm;
}

// ---------------------------------------------------------------------------------------------------
// The code

export interface Rs2Options {
  /** 'wasm' (WebAssembly SIMD, the default where available) or 'js' (portable, several times slower). */
  engine?: 'wasm' | 'js';
}

/**
 * A Reed-Solomon code with `sourceCount` source symbols expanded to `totalCount` symbols of
 * `symbolSize` bytes, as Walrus builds it (reed-solomon-simd with original_count = sourceCount,
 * recovery_count = totalCount − sourceCount, shard_bytes = symbolSize). Instances are cheap (the
 * plan and tables are shared per (sourceCount, totalCount)); not reentrant (scratch buffers).
 */
export class Rs2Code {
  readonly sourceCount: number;
  readonly totalCount: number;
  readonly recoveryCount: number;
  readonly symbolSize: number;
  readonly engine: 'wasm' | 'js';
  readonly #plan: Plan | undefined;
  #work: Uint16Array | undefined;

  constructor(sourceCount: number, totalCount: number, symbolSize: number, options: Rs2Options = {}) {
    if (!Number.isInteger(totalCount) || totalCount < 1 || totalCount > 65535) {
      throw new RangeError(`total count must be an integer in [1, 65535], got ${totalCount}`);
    }
    if (!Number.isInteger(sourceCount) || sourceCount < 1 || sourceCount > totalCount) {
      throw new RangeError(`source count must be an integer in [1, ${totalCount}], got ${sourceCount}`);
    }
    if (!Number.isInteger(symbolSize) || symbolSize < 2 || symbolSize > 65534 || symbolSize % 2 !== 0) {
      throw new RangeError(`symbol size must be an even integer in [2, 65534], got ${symbolSize}`);
    }
    const recoveryCount = totalCount - sourceCount;
    const smallerPow2 = Math.min(nextPow2(sourceCount), nextPow2(recoveryCount));
    if (recoveryCount > 0 && smallerPow2 + Math.max(sourceCount, recoveryCount) > GF_ORDER) {
      throw new RangeError(`reed-solomon-simd supports no code with ${sourceCount}+${recoveryCount} shards`);
    }
    this.sourceCount = sourceCount;
    this.totalCount = totalCount;
    this.recoveryCount = recoveryCount;
    this.symbolSize = symbolSize;
    this.engine = options.engine === 'js' || wasmKernel() === null ? 'js' : 'wasm';
    this.#plan = recoveryCount === 0 ? undefined : planFor(sourceCount, recoveryCount);
  }

  /**
   * The recovery symbols for `source` (sourceCount·symbolSize bytes, the source symbols in order):
   * recoveryCount·symbolSize bytes, symbol i = encoded symbol sourceCount + i. Written to `out` (its
   * first recoveryCount·symbolSize bytes) if given, else to a new array.
   */
  recovery(source: Uint8Array, out?: Uint8Array): Uint8Array {
    const { sourceCount, recoveryCount, symbolSize } = this;
    if (source.length !== sourceCount * symbolSize) {
      throw new RangeError(`expected ${sourceCount * symbolSize} source bytes, got ${source.length}`);
    }
    const result = out ?? new Uint8Array(recoveryCount * symbolSize);
    if (result.length < recoveryCount * symbolSize) throw new RangeError('output buffer too small');
    const plan = this.#plan;
    if (plan === undefined) return result;
    if (this.engine === 'wasm') this.#recoveryWasm(plan, source, result);
    else this.#recoveryJs(plan, source, result);
    return result;
  }

  #recoveryJs(plan: Plan, source: Uint8Array, result: Uint8Array): void {
    const { sourceCount, recoveryCount, symbolSize } = this;
    const e = symbolSize >>> 1;
    const work = (this.#work ??= new Uint16Array(plan.workCount * e));
    for (let i = 0; i < sourceCount; i++) symbolToElements(source, i * symbolSize, symbolSize, work, i * e);
    work.fill(0, sourceCount * e);
    runJs(plan.ops, byteTables(plan), work, e);
    for (let i = 0; i < recoveryCount; i++) elementsToSymbol(work, i * e, symbolSize, result, i * symbolSize);
  }

  #recoveryWasm(plan: Plan, source: Uint8Array, result: Uint8Array): void {
    const { sourceCount, recoveryCount, symbolSize } = this;
    const k = wasmKernel()!;
    const { opsPtr, opsEnd } = wasmPlan(k, plan);
    const shardBytes = (symbolSize + 63) & ~63;
    const workPtr = (kernelEnd + 63) & ~63;
    const mem = kernelMemory(k, workPtr + plan.workCount * shardBytes);
    const whole = symbolSize & ~63;
    const half = (symbolSize - whole) >>> 1;
    if (half === 0) {
      mem.set(source, workPtr);
    } else {
      for (let i = 0; i < sourceCount; i++) {
        const from = i * symbolSize;
        const to = workPtr + i * shardBytes;
        if (whole > 0) mem.set(source.subarray(from, from + whole), to);
        for (let j = 0, a = from + whole, b = to + whole; j < half; j++) {
          mem[b + j] = source[a + j]!;
          mem[b + 32 + j] = source[a + half + j]!;
        }
      }
    }
    mem.fill(0, workPtr + sourceCount * shardBytes, workPtr + plan.workCount * shardBytes);
    k.run(opsPtr, opsEnd, workPtr, shardBytes);
    if (half === 0) {
      result.set(mem.subarray(workPtr, workPtr + recoveryCount * symbolSize));
    } else {
      for (let i = 0; i < recoveryCount; i++) {
        const from = workPtr + i * shardBytes;
        const to = i * symbolSize;
        if (whole > 0) result.set(mem.subarray(from, from + whole), to);
        for (let j = 0, a = from + whole, b = to + whole; j < half; j++) {
          result[b + j] = mem[a + j]!;
          result[b + half + j] = mem[a + 32 + j]!;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The WASM kernel, assembled here with ./wasm/assembler.ts (no build step, no binary blob):
// run(opsPtr, opsEnd, workPtr, shardBytes) executes the ops as 4 × i32 (op, pos, dist, arg) in place
// on the work area.

function kernelModule(): Uint8Array<ArrayBuffer> {
  // Params: 0 opsPtr (then the cursor), 1 opsEnd, 2 work, 3 shardBytes. i32 locals: 4 op, 5 p, 6 end,
  // 7 span, 8 arg, 9 q. v128 locals: 10-17 tables, 18 mask, 19 ylo, 20 yhi, 21 xlo, 22 xhi, 23-26 nibbles.
  const [K, OPS_END, WORK, SHARD, OPC, P, END, SPAN, ARG, Q] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const TAB = 10;
  const [MASK, YLO, YHI, XLO, XHI, N0, N1, N2, N3] = [18, 19, 20, 21, 22, 23, 24, 25, 26];
  const W = WASM;
  const c = new WasmCode();

  /** Pushes the low (hiByte 0) or high (1) product bytes of y·m for the 16 lanes split in N0..N3. */
  const product = (hiByte: 0 | 1) => {
    for (let nibble = 0; nibble < 4; nibble++) {
      c.get(TAB + 2 * nibble + hiByte)
        .get(N0 + nibble)
        .simd(W.i8x16Swizzle);
      if (nibble > 0) c.simd(W.v128Xor);
    }
  };
  const nibbles = () => {
    c.get(YLO).get(MASK).simd(W.v128And).set(N0);
    c.get(YLO).i32(4).simd(W.i8x16ShrU).set(N1);
    c.get(YHI).get(MASK).simd(W.v128And).set(N2);
    c.get(YHI).i32(4).simd(W.i8x16ShrU).set(N3);
  };
  /** A loop over [p, end), `step` bytes at a time, with q = p + span alongside. */
  const spanLoop = (step: number, body: () => void) => {
    c.get(P).get(SPAN).op(W.i32Add).set(Q);
    c.op(W.loop, W.void);
    body();
    c.get(P).i32(step).op(W.i32Add).set(P);
    c.get(Q).i32(step).op(W.i32Add).set(Q);
    c.get(P).get(END).op(W.i32LtU, W.brIf, 0);
    c.op(W.end);
  };

  c.i32(0x0f).simd(W.i8x16Splat).set(MASK);
  c.op(W.block, W.void, W.loop, W.void);
  c.get(K).get(OPS_END).op(W.i32GeU, W.brIf, 1);
  c.get(K).mem(W.i32Load, 0).set(OPC);
  c.get(K).mem(W.i32Load, 4).get(SHARD).op(W.i32Mul).get(WORK).op(W.i32Add).set(P);
  c.get(K).mem(W.i32Load, 8).get(SHARD).op(W.i32Mul).set(SPAN);
  c.get(K).mem(W.i32Load, 12).set(ARG);
  c.get(P).get(SPAN).op(W.i32Add).set(END);

  // FFT / IFFT butterflies: load the 8 tables, then per 64-byte block two halves of 16 elements,
  // low bytes at +0/+16 and high bytes at +32/+48.
  for (const kind of [OP_FFT, OP_IFFT]) {
    c.get(OPC).i32(kind).op(W.i32Eq, W.if, W.void);
    for (let t = 0; t < 8; t++)
      c.get(ARG)
        .v128Load(16 * t)
        .set(TAB + t);
    spanLoop(64, () => {
      for (const half of [0, 16]) {
        if (kind === OP_FFT) {
          // x ^= y·m; y ^= x
          c.get(Q).v128Load(half).set(YLO);
          c.get(Q)
            .v128Load(half + 32)
            .set(YHI);
          nibbles();
          c.get(P).v128Load(half);
          product(0);
          c.simd(W.v128Xor).set(XLO);
          c.get(P).v128Load(half + 32);
          product(1);
          c.simd(W.v128Xor).set(XHI);
          c.get(P).get(XLO).v128Store(half);
          c.get(P)
            .get(XHI)
            .v128Store(half + 32);
          c.get(Q).get(YLO).get(XLO).simd(W.v128Xor).v128Store(half);
          c.get(Q)
            .get(YHI)
            .get(XHI)
            .simd(W.v128Xor)
            .v128Store(half + 32);
        } else {
          // y ^= x; x ^= y·m
          c.get(P).v128Load(half).set(XLO);
          c.get(P)
            .v128Load(half + 32)
            .set(XHI);
          c.get(Q).v128Load(half).get(XLO).simd(W.v128Xor).set(YLO);
          c.get(Q)
            .v128Load(half + 32)
            .get(XHI)
            .simd(W.v128Xor)
            .set(YHI);
          c.get(Q).get(YLO).v128Store(half);
          c.get(Q)
            .get(YHI)
            .v128Store(half + 32);
          nibbles();
          c.get(P).get(XLO);
          product(0);
          c.simd(W.v128Xor).v128Store(half);
          c.get(P).get(XHI);
          product(1);
          c.simd(W.v128Xor).v128Store(half + 32);
        }
      }
    });
    c.op(W.end);
  }
  // Butterflies with a zero multiplier: y ^= x.
  c.get(OPC).i32(OP_XOR_PAIR).op(W.i32Eq, W.if, W.void);
  spanLoop(16, () => c.get(Q).get(Q).v128Load(0).get(P).v128Load(0).simd(W.v128Xor).v128Store(0));
  c.op(W.end);
  // XOR, shards [pos, pos+dist) ^= shards [arg, arg+dist): make q = p + span run over the source.
  c.get(OPC).i32(OP_XOR).op(W.i32Eq, W.if, W.void);
  c.get(ARG).get(SHARD).op(W.i32Mul).get(WORK).op(W.i32Add).get(P).op(W.i32Sub).set(SPAN);
  spanLoop(16, () => c.get(P).get(P).v128Load(0).get(Q).v128Load(0).simd(W.v128Xor).v128Store(0));
  c.op(W.end);
  // COPY, shards [pos, pos+dist) = shards [arg, arg+dist).
  c.get(OPC).i32(OP_COPY).op(W.i32Eq, W.if, W.void);
  c.get(P)
    .get(ARG)
    .get(SHARD)
    .op(W.i32Mul)
    .get(WORK)
    .op(W.i32Add)
    .get(SPAN)
    .op(...W.memoryCopy);
  c.op(W.end);

  c.get(K).i32(16).op(W.i32Add).set(K);
  c.op(W.br, 0, W.end, W.end);
  return wasmAsm.module([
    {
      name: 'run',
      params: 4,
      body: c.body([
        [6, W.i32],
        [17, W.v128],
      ]),
    },
  ]);
}
