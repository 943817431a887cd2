// The steps of docs/journeys/*.md: fenced blocks whose info string is
//
//   <language> test:<journey>/<step> [background | file=<path>]
//
// (test/support/journeys.ts runs them). Every fenced block of those pages must be one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const FENCE = /^```(\S*)(.*)$/;
const INFO = /^test:([a-z0-9-]+)\/([a-z0-9-]+)(?:\s+(background|file=\S+))?$/;

export interface Step {
  journey: string;
  name: string;
  language: string;
  role: 'run' | 'background' | { file: string };
  code: string;
  /** Where the block starts, for messages: docs/journeys/x.md:42. */
  at: string;
}

/** Every step in a Markdown file, of every journey, in document order; throws on a block that is no step. */
export function markdownSteps(markdownPath: string): Step[] {
  const lines = readFileSync(markdownPath, 'utf8').split('\n');
  const relative = markdownPath.slice(ROOT.length + 1);
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end < 0) throw new Error(`${relative}:${start + 1}: the block is never closed`);
    i = end;
    const info = INFO.exec(open[2]!.trim());
    if (!info)
      throw new Error(
        `${relative}:${start + 1}: every block here must be a step (\`${open[1]} test:<journey>/<step> [background | file=<path>]\`), got \`${lines[start]}\``,
      );
    const role = info[3] === 'background' ? 'background' : info[3] ? { file: info[3].slice(5) } : 'run';
    steps.push({
      journey: info[1]!,
      name: info[2]!,
      language: open[1]!,
      role,
      code: lines.slice(start + 1, end).join('\n') + '\n',
      at: `${relative}:${start + 1}`,
    });
  }
  return steps;
}
