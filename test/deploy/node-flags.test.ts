// Every way the edge is launched starts Node with src/node-flags.ts's V8 flags: `npm start`, the
// `walrus-edge` command (its shebang, and its npm script), the container image (whose CMD compose and
// Kubernetes run), the systemd unit. They cannot be set from inside the process (NODE_OPTIONS refuses
// them), so a launcher that drops one loses what it buys (src/node-flags.ts) without a sound.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EDGE_NODE_FLAGS } from '../../src/node-flags.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The words of a command line as run by a shell (the launchers' lines have no quoting). */
const words = (line: string) => line.trim().split(/\s+/);

/** The flags between the Node binary (`node`, or a path ending in /node) and the script `script`. */
function flagsBefore(command: string[], script: string): string[] {
  const node = command.findIndex((word) => word === 'node' || word.endsWith('/node'));
  const at = command.indexOf(script);
  if (node < 0 || at < node) throw new Error(`not a Node command running ${script}: ${command.join(' ')}`);
  return command.slice(node + 1, at);
}

describe("the edge's launchers", () => {
  it('npm start and npm run walrus-edge', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(flagsBefore(words(scripts.start!), 'src/main.ts')).toEqual([...EDGE_NODE_FLAGS]);
    expect(flagsBefore(words(scripts['walrus-edge']!), 'src/cli.ts')).toEqual([...EDGE_NODE_FLAGS]);
  });

  it("the walrus-edge command's shebang (env -S splits it into words)", () => {
    const shebang = read('src/cli.ts').split('\n')[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S ')).toBe(true);
    expect(words(shebang.slice('#!/usr/bin/env -S '.length))).toEqual(['node', ...EDGE_NODE_FLAGS]);
  });

  it("the container image's ENTRYPOINT and CMD", () => {
    const dockerfile = read('deploy/docker/Dockerfile');
    const json = (instruction: string) =>
      JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(dockerfile)![1]!) as string[];
    expect(flagsBefore([...json('ENTRYPOINT'), ...json('CMD')], 'src/main.ts')).toEqual([...EDGE_NODE_FLAGS]);
  });

  it("the systemd unit's ExecStart", () => {
    const execStart = /^ExecStart=(.*)$/m.exec(read('deploy/systemd/walrus-edge.service'))![1]!;
    expect(flagsBefore(words(execStart), 'src/main.ts')).toEqual([...EDGE_NODE_FLAGS]);
  });
});
