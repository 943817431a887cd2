// Types for what eslint.config.js exports besides the config (the project has no allowJs): the
// Web-standard core's boundary, which test/core/web-standard.test.ts checks on the import graph too.
import type { Linter } from 'eslint';

export declare const coreFolders: readonly string[];
export declare const nodeOnlyAdapters: readonly string[];
export declare const nodeOnlyPackages: readonly string[];
declare const config: Linter.Config[];
export default config;
