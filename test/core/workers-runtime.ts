// Loads the core the way Cloudflare Workers would, as far as Node can play it, and prints the
// protocol vectors it computes there (protocol-vectors.ts) and the status of a request to the app:
//  - WebAssembly cannot be compiled from bytes (Workers throw "Wasm code generation disallowed by
//    embedder"), so every engine must fall back to JS, and nothing may compile WASM at import;
//  - no module of the graph, dependencies included, may resolve a Node builtin or a Node-only
//    package; packages are resolved with the conditions Workers' bundler uses (run with
//    --conditions=workerd --conditions=worker --conditions=browser).
// Usage: WORKERS_RUNTIME='{"modules": [file URLs to import], "nodeOnlyPackages": […]}' \
//          node <conditions> test/core/workers-runtime.ts
import { registerHooks } from 'node:module';
import { isNodeOnlyModule } from './node-only.ts';

const { modules, nodeOnlyPackages } = JSON.parse(process.env.WORKERS_RUNTIME!) as {
  modules: string[];
  nodeOnlyPackages: string[];
};

const disallowed = () => new WebAssembly.CompileError('Wasm code generation disallowed by embedder');
for (const name of ['Module', 'Instance'] as const) {
  Object.defineProperty(WebAssembly, name, {
    value: function refused() {
      throw disallowed();
    },
  });
}
for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming'] as const) {
  Object.defineProperty(WebAssembly, name, { value: () => Promise.reject(disallowed()) });
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (isNodeOnlyModule(specifier, nodeOnlyPackages)) {
      throw new Error(`${context.parentURL} imports ${specifier}, which Workers do not have`);
    }
    return nextResolve(specifier, context);
  },
});

for (const url of modules) await import(url);
const { createEdgeApp } = await import('../../src/http/app.ts');
const { protocolVectors } = await import('./protocol-vectors.ts');
const app = createEdgeApp({ version: 'test', network: 'test', committee: async () => undefined });
const response = await app.request('/status');
console.log(JSON.stringify({ vectors: protocolVectors(), status: response.status }));
