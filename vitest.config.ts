import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Devnets bind ports and spawn processes; two cores do not gain from more parallel files.
    maxWorkers: 2,
    // A .only left in a file would quietly run that test alone; make it an error everywhere, not only
    // where CI=true (vitest's default). Pass --allowOnly to focus a test while working on it.
    allowOnly: false,
  },
});
