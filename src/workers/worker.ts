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

function upstreamOf(settings: WorkersSettings): Upstream {
  return settings.upstream === 'origins'
    ? originUpstream(settings)
    : nodeReadsUpstream({ ...settings, version: packageJson.version });
}

/**
 * The front for an isolate's variables, made once: workerd hands every request of an isolate the
 * same `env`, so its settings are checked once, and the front keeps its in-flight fills, committee
 * and blocklist between requests. Invalid settings are kept as the answer they give.
 */
let front:
  { env: WorkersEnv; serve: (request: Request, ctx: WaitUntil) => Response | Promise<Response> } | undefined;

function frontFor(env: WorkersEnv): NonNullable<typeof front> {
  if (front?.env === env) return front;
  const settings = workersSettings(env);
  if (!settings.ok) {
    const body = JSON.stringify(apiError(500, 'INVALID_SETTING', settings.message));
    const refusal = () =>
      new Response(body, {
        status: 500,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      });
    return (front = { env, serve: refusal });
  }
  const app = createCacheFront({
    upstream: upstreamOf(settings.value),
    fillMaxBytes: settings.value.fillMaxBytes,
    teeMaxBytes: settings.value.teeMaxBytes,
    blocklist: settings.value.blocklist && blocklistSync(settings.value.blocklist),
    cache: caches.default,
  });
  return (front = { env, serve: (request, ctx) => app.fetch(request, env, ctx as ExecutionContextLike) });
}

export default {
  fetch(request: Request, env: WorkersEnv, ctx: WaitUntil): Response | Promise<Response> {
    return frontFor(env).serve(request, ctx);
  },
};

type ExecutionContextLike = Parameters<ReturnType<typeof createCacheFront>['fetch']>[2];
