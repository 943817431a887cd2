// The Bun runtime, as the project has it: the binary inside the @oven/bun-linux-x64 devDependency (the
// npm registry is the only way it reaches the project's machines), on the path `npm run start:bun` uses.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const BUN = join(
  dirname(createRequire(import.meta.url).resolve('@oven/bun-linux-x64/package.json')),
  'bin',
  'bun',
);
