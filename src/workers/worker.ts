// The Workers tier's entry point (deploy/workers/wrangler.jsonc): the cache front over the upstream
// its settings name — the origin edges, or its own reads of the storage nodes. Settings are Worker
// variables; a missing or invalid one answers every request with a 500 that names it, the way the
// edge refuses to start (DESIGN §5 bodies).
import * as walrusWasm from '@mysten/walrus-wasm';
import walrusWasmModule from '@mysten/walrus-wasm/web/walrus_wasm_bg.wasm';
import packageJson from '../../package.json' with { type: 'json' };
import { useCompiledRs2Kernel } from '../protocol/rs2.ts';
import { apiError } from '../protocol/status.ts';
import { useCompiledMerkleModule } from '../protocol/wasm/blake2b-merkle.ts';
import merkleKernel from './generated/blake2b-merkle.wasm';
import rs2Kernel from './generated/rs2-kernel.wasm';
import { blocklistSync } from './blocklist-sync.ts';
import { createCacheFront, type Upstream, type WaitUntil } from './cache-front.ts';
import { nodeReadsUpstream } from './node-reads.ts';
import { originUpstream } from './origin-upstream.ts';
import { workersSettings, type WorkersEnv, type WorkersSettings } from './settings.ts';

/** workerd's CacheStorage has the data centre's cache as `default` (the DOM type does not). */
declare const caches: CacheStorage & { default: Cache };

// Workers compile WebAssembly only from modules the bundler compiled: walrus-wasm's web build (the
// bundler picks it), and the protocol's own kernels (scripts/workers-wasm.ts), which would otherwise
// fall back to JavaScript.
(walrusWasm as unknown as { initSync(input: { module: WebAssembly.Module }): unknown }).initSync({
  module: walrusWasmModule,
});
useCompiledMerkleModule(merkleKernel);
useCompiledRs2Kernel(rs2Kernel);

let front: { settingsText: string; app: ReturnType<typeof createCacheFront> } | undefined;

function upstreamOf(settings: WorkersSettings): Upstream {
  return settings.upstream === 'origins'
    ? originUpstream(settings)
    : nodeReadsUpstream({ ...settings, version: packageJson.version });
}

export default {
  fetch(request: Request, env: WorkersEnv, ctx: WaitUntil): Response | Promise<Response> {
    const settings = workersSettings(env);
    if (!settings.ok) {
      return Response.json(apiError(500, 'INVALID_SETTING', settings.message), {
        status: 500,
        headers: { 'cache-control': 'no-store' },
      });
    }
    // One front per isolate and settings: its in-flight fills and committee are kept between requests.
    const settingsText = JSON.stringify(settings.value);
    if (front?.settingsText !== settingsText) {
      front = {
        settingsText,
        app: createCacheFront({
          upstream: upstreamOf(settings.value),
          fillMaxBytes: settings.value.fillMaxBytes,
          teeMaxBytes: settings.value.teeMaxBytes,
          blocklist: settings.value.blocklist && blocklistSync(settings.value.blocklist),
          cache: caches.default,
        }),
      };
    }
    return front.app.fetch(request, env, ctx as ExecutionContextLike);
  },
};

type ExecutionContextLike = Parameters<ReturnType<typeof createCacheFront>['fetch']>[2];
