// The suite with the tests themselves on Bun: `npm run test:bun` (bun --bun vitest). The same
// configuration as vitest.config.ts, plus one workaround: under Vitest on Bun (1.4.5, checked
// 2026-12-01), zod's named export `z` is undefined when Bun loads the package itself (zod's
// `export { z }` of a namespace import; seen by others too, e.g. oblien/openship#347), so every module
// that reads `z` fails to load. Letting Vite transform zod instead gives it its exports.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default mergeConfig(base, defineConfig({ test: { server: { deps: { inline: ['zod'] } } } }));
