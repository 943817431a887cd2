// Lint rules: typescript-eslint's recommended set, plus two boundaries of DESIGN §3:
//  - layering: a folder imports only folders above it, and the devnet never imports the edge's HTTP
//    layer (the base rule no-restricted-imports, one options object per folder);
//  - the Web-standard core: protocol/, read/, cache/ and http/ also run on Cloudflare Workers, so they
//    load no Node builtin, no Node-only package and no Node-only adapter file at run time
//    (@typescript-eslint/no-restricted-imports, a separate rule, so that its options never replace
//    the layering rule's; `import type` stays allowed, it is erased before anything runs).
// test/core/web-standard.test.ts checks the same boundary on the import graph, with these lists.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layers = ['protocol', 'network', 'codec', 'read', 'cache', 'publish', 'http', 'media', 'workers'];
const layerRules = layers.map((layer, index) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [...layers.slice(index + 1), 'devnet'].map((below) => ({
          group: [`**/${below}/*`],
          message: `src/${layer} must not import src/${below} (DESIGN §3 layering)`,
        })),
      },
    ],
  },
}));

/** The folders of the Web-standard core. */
export const coreFolders = ['protocol', 'read', 'cache', 'http'];

// THE EXCEPTIONS: the Node-only adapter files inside the core folders. Only these may use Node
// builtins and Node-only packages; src/main.ts (the composition root) wires them in behind the core's
// interfaces, and core files may import them only with `import type`. Add a file here only if it is
// wired by main.ts and nothing in the core needs its values.
export const nodeOnlyAdapters = [
  'src/cache/redis-tier.ts',
  'src/cache/redis-connection.ts',
  'src/http/fast-hits.ts',
  'src/http/blocklist-file.ts',
  'src/http/metrics.ts',
  'src/http/read-metrics.ts',
  'src/http/cache-metrics.ts',
  'src/http/publish-metrics.ts',
  'src/http/paid-upload-metrics.ts',
  'src/http/node-metrics.ts',
  'src/http/codec-metrics.ts',
  'src/http/chain-metrics.ts',
  'src/http/rejection-metrics.ts',
  'src/http/metrics-listener.ts',
  'src/http/request-log.ts',
  'src/http/access-log-stream.ts',
];

/** Packages that need Node (sockets, files, threads, process-wide state, native or Node-only WASM). */
export const nodeOnlyPackages = [
  '@hono/node-server',
  '@mysten/walrus-wasm',
  'ioredis',
  'pino',
  'prom-client',
  'undici',
];

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const nodeOnlyModules = [...builtinModules.filter((name) => !name.startsWith('node:')), ...nodeOnlyPackages];
const adapterNames = nodeOnlyAdapters.map((file) => file.slice(file.lastIndexOf('/') + 1, -'.ts'.length));

const webStandardCore = {
  files: coreFolders.map((folder) => `src/${folder}/**/*.ts`),
  ignores: nodeOnlyAdapters,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            // node:*, a bare builtin (fs, fs/promises, worker_threads, …) or a Node-only package (and
            // its subpaths).
            regex: `^(node:.*|(${nodeOnlyModules.map(escapeRegex).join('|')})(/.*)?)$`,
            message:
              'the core runs on Workers too: Node builtins and Node-only packages belong in a Node-only adapter (eslint.config.js) that src/main.ts wires in',
            allowTypeImports: true,
          },
          {
            // Matched by file name: import specifiers are not resolved here, and the names are unique.
            regex: `(^|/)(${adapterNames.map(escapeRegex).join('|')})(\\.ts)?$`,
            message:
              'a Node-only adapter: the core may import its types only (`import type`); src/main.ts wires it in',
            allowTypeImports: true,
          },
        ],
      },
    ],
    // `import { type X } from 'm'` still loads m at run time (verbatimModuleSyntax keeps `import {}
    // from 'm'`), so a type-only import must be written `import type`.
    '@typescript-eslint/no-import-type-side-effects': 'error',
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.walrus-edge/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
  webStandardCore,
  {
    files: ['src/devnet/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: ['read', 'cache', 'publish', 'http', 'media', 'workers'].map((edgeLayer) => ({
            group: [`**/${edgeLayer}/*`],
            message: 'the devnet uses only protocol/, network/ and codec/ (DESIGN §3)',
          })),
        },
      ],
    },
  },
);
