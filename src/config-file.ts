// CONFIG_FILE: the edge's settings in a file, under the names the environment uses, as JSON or YAML
// (YAML for comments, and because operators already keep Kubernetes and compose files in it). Values
// become the strings the environment would hold, so one schema (src/config.ts) validates both.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type SettingsFile = { ok: true; settings: Record<string, string> } | { ok: false; problem: string };

/** The settings in `path`; a problem (unreadable, malformed, an unknown name, a nested value) in one line. */
export function readSettingsFile(path: string, known: ReadonlySet<string>): SettingsFile {
  const extension = extname(path).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(extension))
    return { ok: false, problem: 'the name must end in .json, .yaml or .yml' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problem: `cannot be read: ${(error as Error).message}` };
  }
  let document: unknown;
  try {
    // Integers as bigint: a FROST amount beyond 2^53 keeps its digits.
    document =
      extension === '.json' ? JSON.parse(text) : parseYaml(text, { intAsBigInt: true, prettyErrors: false });
  } catch (error) {
    return { ok: false, problem: `not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${oneLine(error)}` };
  }
  if (document === null || document === undefined) return { ok: true, settings: {} };
  if (typeof document !== 'object' || Array.isArray(document))
    return { ok: false, problem: 'must hold one object of NAME: value settings' };
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(document)) {
    if (name === 'CONFIG_FILE') return { ok: false, problem: 'CONFIG_FILE cannot be set inside it' };
    if (!known.has(name)) return { ok: false, problem: `${name} is not a setting of the edge` };
    if (value === null) continue;
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value))
      return { ok: false, problem: `${name}: ${value} is too large for a JSON number; write it as a string` };
    if (!['string', 'number', 'boolean', 'bigint'].includes(typeof value))
      return { ok: false, problem: `${name}: must be a string, a number or true/false` };
    settings[name] = String(value);
  }
  return { ok: true, settings };
}

function oneLine(error: unknown): string {
  return String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' ');
}
