// Writes the protocol's hand-assembled WebAssembly kernels (BLAKE2b Merkle hashing, RS2) as .wasm
// files for the Workers bundle. Workers compile no WebAssembly from bytes, so without these the Worker
// falls back to JavaScript for both (several times the CPU); wrangler compiles a .wasm import ahead
// and hands the module over (src/workers/worker.ts). Run by wrangler before each build
// (deploy/workers/wrangler.jsonc, "build"); the files are generated, not kept in git.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rs2KernelModuleBytes } from '../src/protocol/rs2.ts';
import { merkleModuleBytes } from '../src/protocol/wasm/blake2b-merkle.ts';

const out = join(import.meta.dirname, '..', 'src', 'workers', 'generated');
mkdirSync(out, { recursive: true });
// Written aside and renamed: builds running side by side (the tests) never read half a file.
const write = (name: string, bytes: Uint8Array) => {
  const aside = join(out, `.${name}.${process.pid}`);
  writeFileSync(aside, bytes);
  renameSync(aside, join(out, name));
};
write('blake2b-merkle.wasm', merkleModuleBytes());
write('rs2-kernel.wasm', rs2KernelModuleBytes());
