// Every example in docs/journeys/ is run: each fenced block is a step of a journey (markdownSteps
// throws on one that is not), and each journey has the test that runs its steps in order
// (test/docs/journey-<name>.test.ts, which also requires that none is left over).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownSteps } from '../support/journey-steps.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = join(ROOT, 'docs', 'journeys');

describe('docs/journeys', () => {
  const pages = readdirSync(DOCS).filter((name) => name.endsWith('.md'));

  it('has pages', () => {
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  it.each(pages)(
    '%s: every block is a step of one journey, which a test runs, with unique step names',
    (page) => {
      const steps = markdownSteps(join(DOCS, page));
      expect(steps.length).toBeGreaterThan(0);
      const journeys = new Set(steps.map((step) => step.journey));
      expect([...journeys]).toEqual([page.replace(/\.md$/, '')]);
      for (const journey of journeys)
        expect(existsSync(join(ROOT, 'test', 'docs', `journey-${journey}.test.ts`)), journey).toBe(true);
      const names = steps.map((step) => step.name);
      expect(new Set(names).size).toBe(names.length);
    },
  );
});
