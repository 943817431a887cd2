// The smallest useful WebAssembly module, made by hand: a test's wasm blob.

/** A module exporting add(a, b), padded with a custom section of `padding` zero bytes. */
export function wasmModule(padding: number): Uint8Array {
  const leb = (n: number) => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n) byte |= 0x80;
      out.push(byte);
    } while (n);
    return out;
  };
  const name = [0x03, 0x70, 0x61, 0x64]; // "pad"
  const custom = [0x00, ...leb(name.length + padding), ...name, ...new Array<number>(padding).fill(0)];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    0x01,
    0x07,
    0x01,
    0x60,
    0x02,
    0x7f,
    0x7f,
    0x01,
    0x7f, // type: (i32, i32) -> i32
    0x03,
    0x02,
    0x01,
    0x00, // function 0 has type 0
    0x07,
    0x07,
    0x01,
    0x03,
    0x61,
    0x64,
    0x64,
    0x00,
    0x00, // export "add"
    0x0a,
    0x09,
    0x01,
    0x07,
    0x00,
    0x20,
    0x00,
    0x20,
    0x01,
    0x6a,
    0x0b, // local.get 0, local.get 1, i32.add
    ...custom,
  ]);
}
