// `npm run docs:settings`: writes the README's settings tables from the schema in src/config.ts (name,
// default and `.describe()` text of every setting, by group) between the two markers below, formatted
// as Prettier formats it. Running it again changes nothing; test/docs/settings-table.test.ts fails
// while the README and the schema differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import { SETTING_GROUPS } from '../src/config.ts';

export const README = join(import.meta.dirname, '..', 'README.md');
export const BEGIN = '<!-- settings:begin (generated from src/config.ts by `npm run docs:settings`) -->';
export const END = '<!-- settings:end -->';

export interface SettingRow {
  group: string;
  name: string;
  /** The default as the table shows it: `value`, or — when unset means something the text explains. */
  fallback: string;
  description: string;
}

/** Every setting of the schema, in its groups' order; throws naming a setting that has no description. */
export function settingRows(): SettingRow[] {
  const seen = new Set<string>();
  return SETTING_GROUPS.flatMap(({ title, settings }) =>
    Object.entries(settings).map(([name, schema]: [string, z.ZodType]) => {
      if (seen.has(name)) throw new Error(`src/config.ts: ${name} is in two groups of SETTING_GROUPS`);
      seen.add(name);
      const description = schema.description?.trim();
      if (!description)
        throw new Error(`src/config.ts: ${name} has no description: end its schema with .describe('…')`);
      const fallback = defaultOf(schema);
      return {
        group: title,
        name,
        fallback: fallback === undefined ? '—' : `\`${String(fallback)}\``,
        description,
      };
    }),
  );
}

/** The value zod fills in when the setting is unset, looking through transforms and optionals. */
function defaultOf(schema: z.ZodType): unknown {
  let inner: z.ZodType = schema;
  for (;;) {
    if (inner instanceof z.ZodDefault) return inner.def.defaultValue;
    if (inner instanceof z.ZodPipe) inner = inner.in as z.ZodType;
    else if (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    else return undefined;
  }
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The Markdown between the markers: a caption and a table per group. */
export function settingsMarkdown(rows: SettingRow[]): string {
  const groups = [...new Set(rows.map((row) => row.group))];
  return groups
    .map((group) =>
      [
        `**${group}**`,
        '',
        '| setting | default | meaning |',
        '| --- | --- | --- |',
        ...rows
          .filter((row) => row.group === group)
          .map((row) => `| \`${row.name}\` | ${cell(row.fallback)} | ${cell(row.description)} |`),
      ].join('\n'),
    )
    .join('\n\n');
}

/** `readme` with the section between the markers replaced by the generated one, Prettier-formatted. */
export async function withSettingsSection(readme: string): Promise<string> {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start)
    throw new Error(`README.md has no settings section: put ${BEGIN} and ${END} where the tables go`);
  const options = { ...(await resolveConfig(README)), parser: 'markdown' };
  const section = (await format(settingsMarkdown(settingRows()), options)).trim();
  return `${readme.slice(0, start + BEGIN.length)}\n\n${section}\n\n${readme.slice(end)}`;
}

/** The rows a README's section shows, read back from its tables (for a readable difference). */
export function rowsInReadme(readme: string): Map<string, string> {
  const section = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const name = /^\|\s*`([A-Z0-9_]+)`\s*\|/.exec(line)?.[1];
    if (name) rows.set(name, line.replace(/\s+/g, ' '));
  }
  return rows;
}

if (import.meta.main) {
  const before = readFileSync(README, 'utf8');
  const after = await withSettingsSection(before);
  if (after === before)
    console.log(`README.md: the settings tables are up to date (${settingRows().length})`);
  else {
    writeFileSync(README, after);
    console.log(`README.md: settings tables rewritten from src/config.ts (${settingRows().length} settings)`);
  }
}
