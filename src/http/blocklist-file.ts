// A blocklist kept in a file: read at start, re-read whenever the file changes (an operator may edit it
// by hand or a deploy may replace it), and written through when the admin API adds or removes IDs.
import {
  existsSync,
  readFileSync,
  unwatchFile,
  watchFile,
  writeFileSync,
  renameSync,
  mkdirSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { parseBlocklist, type Blocklist } from '../read/blocklist.ts';

export function fileBlocklist(
  path: string,
  options: { pollMs?: number } = {},
): Blocklist & { close(): void } {
  let ids = new Set<string>();
  const load = () => {
    ids = new Set(existsSync(path) ? parseBlocklist(readFileSync(path, 'utf8')) : []);
  };
  const save = () => {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, [...ids].sort().join('\n') + (ids.size ? '\n' : ''));
    renameSync(tmp, path);
  };
  load();
  watchFile(path, { interval: options.pollMs ?? 1000, persistent: false }, load);
  return {
    has: (id) => ids.has(id),
    add: async (id) => {
      ids.add(id);
      save();
    },
    remove: async (id) => {
      ids.delete(id);
      save();
    },
    list: () => [...ids].sort(),
    close: () => unwatchFile(path, load),
  };
}
