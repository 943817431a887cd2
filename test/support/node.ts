// The Node runtime, as the project pins it: the binary of the `node` devDependency (Node 24), the one
// node_modules/.bin/node runs. For what must run on Node whatever runtime the tests themselves are on.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const NODE = join(dirname(createRequire(import.meta.url).resolve('node/package.json')), 'bin', 'node');
