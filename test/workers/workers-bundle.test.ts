// The Workers tier as `wrangler deploy` would upload it (--dry-run: wrangler validates the configuration
// and bundles, and stops before the network): it must fit Cloudflare's Worker size limit of the Free
// plan, 3 MB after compression (developers.cloudflare.com, Workers "Limits", read 2026-12-04; Paid: 10 MB).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/devnet.ts';
import { NODE } from '../support/node.ts';
import { WORKERS_CONFIG } from '../support/workers-tier.ts';

describe('the Workers bundle', () => {
  it('is what wrangler deploy uploads, with its WebAssembly as modules, within the Free plan’s 3 MB', async () => {
    const out = tempDir('workers-bundle');
    try {
      const { stdout } = await promisify(execFile)(
        NODE,
        [
          'node_modules/wrangler/bin/wrangler.js',
          'deploy',
          '--dry-run',
          '--outdir',
          out.path,
          '--config',
          WORKERS_CONFIG,
        ],
        { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: 'true' } },
      );
      expect(stdout).toMatch(/--dry-run: exiting now/);
      const uploaded = readdirSync(out.path).filter((file) => /\.(js|wasm)$/.test(file));
      expect(uploaded).toContain('worker.js');
      // walrus-wasm, and the protocol's own kernels (scripts/workers-wasm.ts, run by wrangler's build):
      // without them the Worker hashes and expands in JavaScript.
      for (const module of ['walrus_wasm_bg.wasm', 'blake2b-merkle.wasm', 'rs2-kernel.wasm'])
        expect(
          uploaded.some((file) => file.endsWith(module)),
          module,
        ).toBe(true);
      const gzipped = uploaded.reduce(
        (sum, file) => sum + gzipSync(readFileSync(join(out.path, file))).length,
        0,
      );
      expect(gzipped).toBeLessThan(3 * 1024 * 1024);
    } finally {
      out.remove();
    }
  });
});
