// Lint rules: typescript-eslint's recommended set, plus the layering of DESIGN §3 (a folder imports only
// folders above it, and the devnet never imports the edge's HTTP layer).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layers = ['protocol', 'network', 'codec', 'read', 'cache', 'publish', 'http', 'media'];
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
  {
    files: ['src/devnet/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: ['read', 'cache', 'publish', 'http', 'media'].map((edgeLayer) => ({
            group: [`**/${edgeLayer}/*`],
            message: 'the devnet uses only protocol/, network/ and codec/ (DESIGN §3)',
          })),
        },
      ],
    },
  },
);
