// `walrus-edge <command> --help` as users run it, in its own process: every subcommand documents every
// option its parser accepts (the tables in src/cli-commands.ts are what parseArgs is given), and a
// misspelt option is refused with the command's usage.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS, type CliCommand, type CommandName } from '../src/cli-commands.ts';

const CLI = join(import.meta.dirname, '../src/cli.ts');
const execFileAsync = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout: string; stderr: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Every option of a command given at once, with a value where it takes one. */
function everyOption(command: CliCommand): string[] {
  return Object.entries(command.options)
    .filter(([long]) => long !== 'help')
    .flatMap(([long, option]) => (option.type === 'string' ? [`--${long}`, 'x'] : [`--${long}`]));
}

const names = Object.keys(COMMANDS) as CommandName[];

describe('walrus-edge --help', () => {
  it.each(names)(
    '%s --help prints its usage with every option and what it means, and exits 0',
    async (name) => {
      const command: CliCommand = COMMANDS[name];
      const { code, stdout } = await cli([name, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`usage: walrus-edge ${name} `);
      for (const [long, option] of Object.entries(command.options)) {
        expect(stdout).toContain(`--${long}`);
        expect(stdout).toContain(option.help);
      }
    },
  );

  it.each(names)('%s accepts every option it documents (and -h)', async (name) => {
    const { code, stdout, stderr } = await cli([name, ...everyOption(COMMANDS[name]), '-h']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`usage: walrus-edge ${name} `);
  });

  it.each(names)('%s refuses an unknown option with a clear message and its usage', async (name) => {
    const { code, stdout, stderr } = await cli([name, '--no-such-option']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`walrus-edge: Unknown option '--no-such-option'`);
    expect(stderr).toContain(`usage: walrus-edge ${name} `);
  });

  it('walrus-edge --help lists every command', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const name of names) expect(stdout).toContain(`  ${name} `);
  });
});

describe('walrus-edge serve --config', () => {
  it('reads its settings from the file (as CONFIG_FILE): a bad one stops it with one line naming it and the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'walrus-edge-cli-config-'));
    try {
      const file = join(dir, 'edge.yaml');
      writeFileSync(file, `DATA_DIR: ${join(dir, 'data')}\nNETWORK: moonnet\n`);
      const { code, stdout, stderr } = await cli(['serve', '--config', file]);
      expect(stdout).toBe('');
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(new RegExp(`^walrus-edge: invalid configuration: NETWORK \\(in ${file}\\): `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
