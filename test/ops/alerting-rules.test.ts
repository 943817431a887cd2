// The alerting rules and the Prometheus configuration in deploy/prometheus/, judged by Prometheus's own
// promtool (Debian's prometheus package, which npm test's pretest installs): the rules and the config
// load (`check rules`, `check config`), and the unit tests in alerts.test.yml pass (`test rules`:
// series in, the alerts that must fire and those that must not). On top, a rule without a test that
// sees it fire and one that sees it quiet, or without its severity and texts, fails here.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'prometheus');
const PROMTOOL = '/usr/bin/promtool';

/** promtool's exit code and everything it printed (it explains failures on stdout and stderr). */
async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(PROMTOOL, args, { cwd: DIR });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (failed.code === 'ENOENT')
      throw new Error(`${PROMTOOL} is missing: apt-get install prometheus`, { cause: error });
    return { code: Number(failed.code), output: `${failed.stdout ?? ''}${failed.stderr ?? failed.message}` };
  }
}

interface AlertRule {
  alert: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertTestCase {
  alertname: string;
  exp_alerts?: unknown[];
}

const rules = (
  parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((group) => group.rules);
const cases = (
  parse(readFileSync(join(DIR, 'alerts.test.yml'), 'utf8')) as {
    tests: { alert_rule_test?: AlertTestCase[] }[];
  }
).tests.flatMap((test) => test.alert_rule_test ?? []);

describe('deploy/prometheus', () => {
  it('has alerting rules promtool accepts', async () => {
    const { code, output } = await promtool('check', 'rules', 'alerts.yml');
    expect(code, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('has a Prometheus configuration promtool accepts, rules included', async () => {
    const { code, output } = await promtool('check', 'config', 'prometheus.yml');
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS: 1 rule files found');
  });

  it('passes its rule unit tests', async () => {
    const { code, output } = await promtool('test', 'rules', 'alerts.test.yml');
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('tests every alert both firing and quiet, each with a severity, a summary and a description', () => {
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description?.length ?? 0, rule.alert).toBeGreaterThan(100);
      const tested = cases.filter((c) => c.alertname === rule.alert);
      expect(
        tested.some((c) => (c.exp_alerts?.length ?? 0) > 0),
        `${rule.alert} is never seen firing`,
      ).toBe(true);
      expect(
        tested.some((c) => (c.exp_alerts?.length ?? 0) === 0),
        `${rule.alert} is never seen quiet`,
      ).toBe(true);
    }
    // What issue 13 says must page an operator.
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        ...['WalrusEdgeDown', 'WalrusEdgeHigh5xxRatio', 'WalrusEdgeReconstructionFailures'],
        ...['WalrusEdgeStorageNodeFailing', 'WalrusEdgeRedisDown', 'WalrusEdgeSponsorLowBalance'],
        ...['WalrusEdgeLedgerErrors', 'WalrusEdgeCommitteeStale'],
      ]),
    );
  });
});
