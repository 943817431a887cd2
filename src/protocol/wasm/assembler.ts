// A tiny WebAssembly assembler: binary encoding helpers (LEB128, sections, a module exporting its
// memory and some (i32 × k) → () functions), a chainable function-body builder, and the opcodes the
// generated modules use.
//
// Why hand-assembled WebAssembly: the hot loops of sliver verification (the RS2 SIMD kernel in
// ../rs2.ts, Blake2b-256 and the Merkle tree in ./blake2b-merkle.ts) need WebAssembly to be fast,
// and generating the modules on first use from TypeScript needs no build step, no toolchain and no
// binary blob in the repository: the same source runs on Node (type stripping) and in browsers.

/** Minimal WebAssembly binary encoding helpers. */
export const wasmAsm = {
  uleb(value: number): number[] {
    const out: number[] = [];
    do {
      let byte = value & 0x7f;
      value >>>= 7;
      if (value !== 0) byte |= 0x80;
      out.push(byte);
    } while (value !== 0);
    return out;
  },
  sleb(value: bigint): number[] {
    const out: number[] = [];
    for (;;) {
      const byte = Number(value & 0x7fn);
      value >>= 7n;
      const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0);
      out.push(done ? byte : byte | 0x80);
      if (done) return out;
    }
  },
  vec(items: number[][]): number[] {
    return [...wasmAsm.uleb(items.length), ...items.flat()];
  },
  section(id: number, body: number[]): number[] {
    return [id, ...wasmAsm.uleb(body.length), ...body];
  },
  name(text: string): number[] {
    return [...wasmAsm.uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
  },
  /** A module exporting `memory` and the given functions, all of type (i32 × params) → (). */
  module(functions: { name: string; params: number; body: number[] }[]): Uint8Array<ArrayBuffer> {
    const { uleb, vec, section, name } = wasmAsm;
    const types = functions.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [0x7f])), 0]);
    return Uint8Array.from([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...section(1, vec(types)),
      ...section(3, vec(functions.map((_, i) => uleb(i)))),
      ...section(5, vec([[0x00, ...uleb(1)]])),
      ...section(
        7,
        vec([[...name('memory'), 0x02, 0], ...functions.map((f, i) => [...name(f.name), 0x00, i])]),
      ),
      ...section(10, vec(functions.map((f) => [...uleb(f.body.length), ...f.body]))),
    ]);
  },
};

/** A function body under construction; every method appends an instruction and returns `this`. */
export class WasmCode {
  readonly bytes: number[] = [];
  op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }
  get(local: number): this {
    return this.op(0x20, ...wasmAsm.uleb(local));
  }
  set(local: number): this {
    return this.op(0x21, ...wasmAsm.uleb(local));
  }
  i32(value: number): this {
    return this.op(0x41, ...wasmAsm.sleb(BigInt(value)));
  }
  i64(value: bigint): this {
    return this.op(0x42, ...wasmAsm.sleb(BigInt.asIntN(64, value)));
  }
  /** A SIMD (0xfd-prefixed) instruction. */
  simd(code: number): this {
    return this.op(0xfd, ...wasmAsm.uleb(code));
  }
  /** Memory access `opcode` (e.g. 0x28 i32.load, 0x29 i64.load, 0x37 i64.store) at constant `offset`. */
  mem(opcode: number, offset: number): this {
    return this.op(opcode, 0, ...wasmAsm.uleb(offset));
  }
  v128Load(offset: number): this {
    return this.simd(0x00).op(0, ...wasmAsm.uleb(offset));
  }
  v128Store(offset: number): this {
    return this.simd(0x0b).op(0, ...wasmAsm.uleb(offset));
  }
  /** The complete body: local declarations ([count, type] runs), instructions, end. */
  body(locals: [count: number, type: number][]): number[] {
    return [
      ...wasmAsm.vec(locals.map(([count, type]) => [...wasmAsm.uleb(count), type])),
      ...this.bytes,
      0x0b,
    ];
  }
}

/** WebAssembly opcodes used by the generated modules. */
export const WASM = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  i32Load: 0x28,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Rotr: 0x8a,
  i64ExtendI32U: 0xad,
  memoryCopy: [0xfc, 0x0a, 0x00, 0x00],
  memoryFill: [0xfc, 0x0b, 0x00],
  // SIMD opcodes (after the 0xfd prefix).
  i8x16Swizzle: 0x0e,
  i8x16Splat: 0x0f,
  v128And: 0x4e,
  v128Xor: 0x51,
  i8x16ShrU: 0x6d,
  // Types.
  void: 0x40,
  i32: 0x7f,
  i64: 0x7e,
  v128: 0x7b,
} as const;
