// What Workers' bundler makes of a .wasm import: a compiled module (wrangler's CompiledWasm rule).
declare module '@mysten/walrus-wasm/web/walrus_wasm_bg.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
