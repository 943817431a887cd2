// The Web-standard core (DESIGN §3, eslint.config.js): protocol/, read/, cache/ and http/, apart from
// the Node-only adapters that src/main.ts wires in, must load on Cloudflare Workers. Two checks:
// (a) nothing Node-only is reachable over runtime imports from the core's files; (b) the core loads
// and computes the same protocol values in a process where WebAssembly cannot be compiled.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { coreFolders, nodeOnlyAdapters, nodeOnlyPackages } from '../../eslint.config.js';
import { NODE } from '../support/node.ts';
import { isNodeOnlyModule } from './node-only.ts';
import { protocolVectors } from './protocol-vectors.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** The specifiers a module loads at run time: not `import type` / `export type`, dynamic imports included. */
function runtimeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const statics = code.matchAll(
    /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm,
  );
  const dynamics = code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g);
  return [...statics, ...dynamics].map((match) => match[1]!);
}

/**
 * Walks runtime imports from `entries` (repository-relative paths), following relative ones, and
 * returns each Node builtin, Node-only package or Node-only adapter reached, with the import chain.
 */
function nodeOnlyReachable(entries: readonly string[], read: (file: string) => string): string[] {
  const found: string[] = [];
  const chains = new Map(entries.map((entry) => [entry, [entry]]));
  const queue = [...chains.keys()];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const chain = chains.get(file)!;
    for (const specifier of runtimeImports(read(file))) {
      if (!specifier.startsWith('.')) {
        if (isNodeOnlyModule(specifier, nodeOnlyPackages))
          found.push(`${chain.join(' → ')} imports ${specifier}`);
        continue;
      }
      const target = join(dirname(file), specifier);
      if (nodeOnlyAdapters.includes(target)) {
        found.push(`${chain.join(' → ')} imports the Node-only adapter ${target}`);
      } else if (!chains.has(target)) {
        chains.set(target, [...chain, target]);
        queue.push(target);
      }
    }
  }
  return found;
}

describe('the core is Web-standard', () => {
  const files = coreFolders
    .flatMap((folder) =>
      readdirSync(join(repo, 'src', folder), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => `src/${folder}/${file}`),
    )
    .filter((file) => !nodeOnlyAdapters.includes(file));
  const readRepo = (file: string) => readFileSync(join(repo, file), 'utf8');

  it('lists adapters that exist, and finds the core files', () => {
    for (const adapter of nodeOnlyAdapters) expect(existsSync(join(repo, adapter)), adapter).toBe(true);
    expect(files).toContain('src/http/app.ts');
    expect(files).toContain('src/protocol/wasm/blake2b-merkle.ts');
    expect(files).not.toContain('src/http/metrics.ts');
  });

  it('reaches no Node builtin, Node-only package or Node-only adapter over runtime imports', () => {
    expect(nodeOnlyReachable(['src/http/app.ts', ...files], readRepo)).toEqual([]);
  });

  it('would notice a Node import in a core file, directly or through another module', () => {
    const tree: Record<string, string> = {
      'src/http/app.ts': [
        "import { Hono } from 'hono';",
        "import type { Registry } from 'prom-client';",
        "import type { HttpMetrics } from './metrics.ts';",
        "import {\n  helper,\n} from '../read/helper.ts';",
        "// import { x } from 'node:os';",
      ].join('\n'),
      'src/read/helper.ts': "import { readFileSync } from 'node:fs';\nexport { Redis } from 'ioredis';",
      'src/cache/tier.ts': "import { type RedisTier } from './redis-tier.ts';\nimport 'fs/promises';",
    };
    expect(nodeOnlyReachable(['src/http/app.ts', 'src/cache/tier.ts'], (file) => tree[file]!)).toEqual([
      'src/cache/tier.ts imports the Node-only adapter src/cache/redis-tier.ts',
      'src/cache/tier.ts imports fs/promises',
      'src/http/app.ts → src/read/helper.ts imports node:fs',
      'src/http/app.ts → src/read/helper.ts imports ioredis',
    ]);
  });

  it('loads and computes the same sliver hashes, blob IDs and Merkle roots where WebAssembly cannot be compiled', async () => {
    const here = protocolVectors();
    expect(here.engines).toEqual({ merkle: 'wasm', rs2: 'wasm' });
    const script = fileURLToPath(new URL('./workers-runtime.ts', import.meta.url));
    const modules = files.map((file) => pathToFileURL(join(repo, file)).href);
    const conditions = ['workerd', 'worker', 'browser'].map((condition) => `--conditions=${condition}`);
    // The stand-in runs on Node whatever runs the tests: it refuses Node-only imports from a
    // module.registerHooks resolve hook, and Bun 1.4.5 has no working equivalent (checked 2026-12-01:
    // node:module has no registerHooks there, oven-sh/bun#27369, the implementation #35690 is not
    // released; a Bun.plugin onResolve is never asked about node:fs, fs or os, nor, oven-sh/bun#40579,
    // about bare package names). What it checks is the Workers runtime, which neither of them is.
    const { stdout } = await promisify(execFile)(NODE, [...conditions, script], {
      cwd: repo,
      env: { ...process.env, WORKERS_RUNTIME: JSON.stringify({ modules, nodeOnlyPackages }) },
    });
    const there = JSON.parse(stdout) as { vectors: typeof here; status: number };
    expect(there.status).toBe(200);
    expect(there.vectors.engines).toEqual({ merkle: 'js', rs2: 'js' });
    expect(there.vectors.values).toEqual(here.values);
  });
});
