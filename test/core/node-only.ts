// Whether an import specifier names something Workers do not have: a Node builtin (node:fs, fs,
// fs/promises, worker_threads, …) or one of the Node-only packages listed in eslint.config.js.
import { builtinModules } from 'node:module';

/** The package a bare specifier names ('@scope/name' or 'name'), without its subpath. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

export function isNodeOnlyModule(specifier: string, nodeOnlyPackages: readonly string[]): boolean {
  if (specifier.startsWith('node:')) return true;
  const name = packageOf(specifier);
  return builtinModules.includes(name) || nodeOnlyPackages.includes(name);
}
