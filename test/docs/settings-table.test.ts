// The README's settings tables are the schema's (src/config.ts): every setting, its default and its
// description, as `npm run docs:settings` writes them. A setting added, removed or redescribed in the
// schema without rerunning the script fails here, and the failure says what differs and what to run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config.ts';
import { README, rowsInReadme, settingRows, withSettingsSection } from '../../scripts/docs-settings.ts';

describe("the README's settings tables", () => {
  it('list every setting of the schema, with its default and description, as `npm run docs:settings` writes them', async () => {
    const readme = readFileSync(README, 'utf8');
    const expected = await withSettingsSection(readme);
    if (expected !== readme) {
      const shown = rowsInReadme(readme);
      const wanted = rowsInReadme(expected);
      const missing = [...wanted.keys()].filter((name) => !shown.has(name));
      const stale = [...shown.keys()].filter((name) => !wanted.has(name));
      const changed = [...wanted.keys()].filter(
        (name) => shown.has(name) && shown.get(name) !== wanted.get(name),
      );
      expect.fail(
        `README.md's settings tables differ from src/config.ts (missing: ${missing.join(', ') || 'none'}; ` +
          `no longer settings: ${stale.join(', ') || 'none'}; changed: ${changed.join(', ') || 'none'}` +
          `${missing.length + stale.length + changed.length === 0 ? '; the order or the layout' : ''}). ` +
          'Run `npm run docs:settings` to rewrite them.',
      );
    }
    // What the README shows is every name the edge reads, once.
    expect([...rowsInReadme(readme).keys()].sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });

  it('show the defaults zod fills in, so the table cannot claim one the edge does not use', () => {
    const rows = new Map(settingRows().map((row) => [row.name, row]));
    const defaults = ConfigSchema.parse({});
    for (const [name, value] of Object.entries(defaults)) {
      const shown = rows.get(name)!.fallback;
      if (value === undefined) expect(shown, name).toBe('—');
      // Flags and amounts are parsed (true, 10000000n); the table shows what one would write.
      else
        expect(
          ConfigSchema.shape[name as keyof typeof ConfigSchema.shape].parse(shown.slice(1, -1)),
          name,
        ).toEqual(value);
    }
  });
});
