// deploy/systemd/walrus-edge.service, judged by systemd's own tools: `systemd-analyze verify` (it
// parses the unit as systemd would, and checks that ExecStart's binary exists and is executable) and
// `systemd-analyze security --offline` (the exposure score of its sandbox, held under a threshold).
// The unit names /opt/walrus-edge, where an operator installs the project; verify would rightly
// reject it on a machine without that install, so the tests verify a copy pointed at this checkout,
// whose node_modules/node/bin/node (the pinned Node 24) and src/main.ts are the same files. A broken
// copy shows that verify's warnings (which do not change its exit code) are caught.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const repo = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const unit = readFileSync(join(repo, 'deploy/systemd/walrus-edge.service'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'walrus-edge-systemd-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes the unit text as walrus-edge.service (the name verify sees) in a fresh directory. */
function unitFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(work, `${name}-`)), 'walrus-edge.service');
  writeFileSync(file, text);
  return file;
}

/** Runs systemd-analyze; its exit code and everything it printed. */
function analyze(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    execFile(SYSTEMD_ANALYZE, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        fail(new Error(`${SYSTEMD_ANALYZE} could not run (apt-get install systemd): ${error.message}`));
        return;
      }
      done({ code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}`.trim() });
    });
  });
}

const here = unit.replaceAll('/opt/walrus-edge', repo);

describe('deploy/systemd/walrus-edge.service', () => {
  it('passes systemd-analyze verify without a single warning', async () => {
    expect(await analyze(['verify', '--man=no', unitFile('good', here)])).toEqual({ code: 0, output: '' });
  });

  it('would be rejected with a misspelt directive or a missing binary', async () => {
    const misspelt = await analyze([
      'verify',
      '--man=no',
      unitFile('misspelt', here.replace('ProtectSystem=', 'ProtectSytem=')),
    ]);
    expect(misspelt.output).toMatch(/Unknown key( name)? 'ProtectSytem'/);
    const missing = await analyze(['verify', '--man=no', unitFile('missing', unit)]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain('/opt/walrus-edge/node_modules/node/bin/node is not executable');
  });

  it('has an exposure score under 2.0 in systemd-analyze security', async () => {
    // --threshold is in tenths of the printed score (0–10): the command fails above 2.0.
    const { code, output } = await analyze([
      'security',
      '--offline=yes',
      '--no-pager',
      '--threshold=20',
      unitFile('security', here),
    ]);
    expect(output).toMatch(/Overall exposure level for walrus-edge\.service: \d\.\d/);
    expect(code, output.split('\n').at(-1)).toBe(0);
    // The same check on a copy stripped of its sandbox fails: the threshold means something.
    const bare = here
      .split('\n')
      .filter(
        (line) => !/^(Protect|Private|Restrict|SystemCall|Capability|NoNewPrivileges|DynamicUser)/.test(line),
      )
      .join('\n');
    expect(
      (await analyze(['security', '--offline=yes', '--no-pager', '--threshold=20', unitFile('bare', bare)]))
        .code,
    ).not.toBe(0);
  });

  it('sets the hardening the deployment relies on', () => {
    const directives = new Map(
      unit
        .split('\n')
        .filter((line) => /^\w+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.fromEntries(directives)).toMatchObject({
      DynamicUser: 'yes',
      StateDirectory: 'walrus-edge',
      ProtectSystem: 'strict',
      NoNewPrivileges: 'yes',
      PrivateTmp: 'yes',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      Restart: 'on-failure',
      EnvironmentFile: '/etc/walrus-edge/walrus-edge.env',
      MemoryMax: expect.any(String),
    });
    // DATA_DIR is the state directory, the only place ProtectSystem=strict lets the edge write.
    expect(directives.get('Environment')).toContain('DATA_DIR=%S/walrus-edge');
  });
});
