// The Bun runtime, as the project has it: the binary inside the @oven/bun-linux-x64 devDependency (the
// npm registry is the only way it reaches the project's machines), on the path `npm run start:bun` uses.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const BUN = join(
  dirname(createRequire(import.meta.url).resolve('@oven/bun-linux-x64/package.json')),
  'bin',
  'bun',
);

/**
 * A test's limit for work that is nearly all WebAssembly (RS2 encoding, sliver Merkle checks for 1000
 * shards): `nodeMs` on Node, 5/3 of it on Bun. Bun 1.4.5's WebAssembly (JavaScriptCore) ran
 * @mysten/walrus-wasm's compute_metadata for 1000 shards in 4.7-6.3 s where Node 24 (V8) took
 * 2.7-3.4 s on this machine (checked 2026-12-01; JSC's WASM trailing V8's by up to 2x is reported by
 * others too, e.g. FluffyLabs/typeberry#951), so such a test passes alone on Bun but not within
 * Node's limit once the whole suite loads the two cores.
 */
export function wasmBoundTimeout(nodeMs: number): number {
  return process.versions.bun === undefined ? nodeMs : Math.ceil((nodeMs * 5) / 3);
}
