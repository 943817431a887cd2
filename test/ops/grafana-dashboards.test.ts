// The dashboards in grafana/dashboards/ against @grafana/schema: each JSON file is typechecked, by the
// TypeScript compiler, as the WalrusEdgeDashboard type built from the package's Dashboard and panel
// types (test/ops/grafana-dashboard-type.ts says what it checks and why that way). Mutants of a real
// dashboard (a misspelt field, a value outside an enum, another data source) must fail the same check,
// so a check that accepts anything cannot pass here. Plus what the types cannot say: uids unique,
// panels inside the 24-column grid without overlapping, and the provisioning files agreeing with the
// dashboards (the data source uid, the folder compose mounts them at). Whether the queries return data
// from a real Prometheus is test/ops/dashboards-prometheus.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DATASOURCE_UID } from './grafana-dashboard-type.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DASHBOARDS = join(ROOT, 'grafana', 'dashboards');
const PROVISIONING = join(ROOT, 'grafana', 'provisioning');

interface GridPanel {
  id: number;
  type: string;
  title?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid?: string };
  targets?: { datasource?: { uid?: string } }[];
  panels?: GridPanel[];
}
/** The parts of a time series panel the mutants below change. */
interface MutablePanel {
  type: string;
  gridPos: unknown;
  options: { legend: { displayMode: string } };
  fieldConfig: { defaults: { thresholds: { mode: string } } };
  targets: { datasource: { uid: string }; expr?: string }[];
}
interface DashboardJson {
  uid: string;
  title: string;
  panels: GridPanel[];
}

const files = readdirSync(DASHBOARDS)
  .filter((file) => file.endsWith('.json'))
  .sort();
const texts = new Map(files.map((file) => [file, readFileSync(join(DASHBOARDS, file), 'utf8')]));
const dashboards = new Map([...texts].map(([file, text]) => [file, JSON.parse(text) as DashboardJson]));

/**
 * Typechecks each JSON text as `const dashboard: WalrusEdgeDashboard = <text>` with the project's
 * compiler options; the errors of each, with the JSON line they point at.
 */
function typecheck(jsons: Map<string, string>): Map<string, string[]> {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const project = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
  // The project's strictness; no DOM or Node types, which a JSON literal does not need (and which
  // would only slow the check down).
  const options = { ...project, lib: ['lib.es2023.d.ts'], types: [], noEmit: true };
  const header = "import type { WalrusEdgeDashboard } from './grafana-dashboard-type.ts';\n";
  const sources = new Map(
    [...jsons].map(([name, json], i) => [
      join(import.meta.dirname, `dashboard-check-${i}.ts`),
      { name, text: `${header}export const dashboard: WalrusEdgeDashboard = ${json};\n` },
    ]),
  );
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => sources.has(path) || fileExists(path);
  host.readFile = (path) => sources.get(path)?.text ?? readFile(path);
  host.getSourceFile = (path, language, ...rest) => {
    const source = sources.get(path);
    return source ? ts.createSourceFile(path, source.text, language) : getSourceFile(path, language, ...rest);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const errors = new Map<string, string[]>();
  for (const [path, { name }] of sources) {
    const file = program.getSourceFile(path)!;
    const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    errors.set(
      name,
      diagnostics.map((diagnostic) => {
        // The JSON starts on the file's second line (0-based line 1), so that line index is its line number.
        const line = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
        return `${name}:${line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      }),
    );
  }
  return errors;
}

/** Every panel, those inside rows included. */
const allPanels = (dashboard: DashboardJson): GridPanel[] =>
  dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);

describe('grafana/dashboards', () => {
  it('has the four dashboards of issue 13', () => {
    expect(files).toEqual([
      'overview.json',
      'publisher-and-money.json',
      'reads-and-cache.json',
      'storage-nodes.json',
    ]);
  });

  it("typechecks every dashboard as @grafana/schema's Dashboard with typed panels, and rejects mutants", () => {
    const overview = dashboards.get('overview.json')!;
    const timeseries = overview.panels.findIndex((panel) => panel.type === 'timeseries');
    const mutant = (change: (dashboard: Record<string, unknown> & DashboardJson) => void): string => {
      const copy = structuredClone(overview) as Record<string, unknown> & DashboardJson;
      change(copy);
      return JSON.stringify(copy, null, 2);
    };
    const panel = (d: DashboardJson) => d.panels[timeseries] as unknown as MutablePanel;
    // Each mutant with what the compiler must say about it.
    const mutants = new Map([
      ['a misspelt dashboard field', [mutant((d) => (d.refersh = '30s')), '\'"refersh"\' does not exist']],
      [
        'a legend mode outside the enum',
        [
          mutant((d) => (panel(d).options.legend.displayMode = 'lists')),
          'Type \'"lists"\' is not assignable',
        ],
      ],
      [
        'a thresholds mode outside the enum',
        [
          mutant((d) => (panel(d).fieldConfig.defaults.thresholds.mode = 'abs')),
          'Type \'"abs"\' is not assignable',
        ],
      ],
      [
        'a grid position of the wrong type',
        [
          mutant((d) => (panel(d).gridPos = { x: '0', y: 0, w: 12, h: 8 })),
          "Type 'string' is not assignable to type 'number'",
        ],
      ],
      [
        'a target on another data source',
        [
          mutant((d) => (panel(d).targets[0]!.datasource.uid = 'other')),
          'Type \'"other"\' is not assignable',
        ],
      ],
      [
        'a target without its query',
        [mutant((d) => delete panel(d).targets[0]!.expr), "Property 'expr' is missing"],
      ],
      [
        'an unknown panel type',
        [mutant((d) => (panel(d).type = 'graph')), 'Type \'"graph"\' is not assignable'],
      ],
    ] as const);
    const errors = typecheck(
      new Map([...texts, ...[...mutants].map(([name, [json]]) => [name, json] as const)]),
    );
    for (const file of files) expect(errors.get(file), file).toEqual([]);
    for (const [name, [, expected]] of mutants) {
      expect(errors.get(name)!.join('\n'), name).toContain(expected);
    }
  });

  it('gives each dashboard its own uid and each panel its own id and place on the grid', () => {
    const uids = [...dashboards.values()].map((dashboard) => dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const [file, dashboard] of dashboards) {
      const panels = allPanels(dashboard);
      expect(new Set(panels.map((panel) => panel.id)).size, `${file}: panel ids`).toBe(panels.length);
      for (const [i, a] of panels.entries()) {
        const { x, y, w, h } = a.gridPos;
        expect(x >= 0 && w > 0 && h > 0 && x + w <= 24, `${file}: "${a.title}" is off the grid`).toBe(true);
        for (const b of panels.slice(i + 1)) {
          const overlap =
            x < b.gridPos.x + b.gridPos.w &&
            b.gridPos.x < x + w &&
            y < b.gridPos.y + b.gridPos.h &&
            b.gridPos.y < y + h;
          expect(overlap, `${file}: "${a.title}" overlaps "${b.title}"`).toBe(false);
        }
      }
    }
  });

  it('is provisioned from the folder compose mounts, on the data source every panel names', () => {
    const datasources = parse(readFileSync(join(PROVISIONING, 'datasources', 'prometheus.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: DATASOURCE_UID, type: 'prometheus' }),
    ]);
    const providers = parse(readFileSync(join(PROVISIONING, 'dashboards', 'walrus-edge.yaml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(providers.providers).toEqual([
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }),
      }),
    ]);
    for (const [file, dashboard] of dashboards) {
      for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row')) {
        const uids = [
          panel.datasource?.uid,
          ...(panel.targets ?? []).map((target) => target.datasource?.uid),
        ];
        expect(new Set(uids), `${file}: "${panel.title}"`).toEqual(new Set([DATASOURCE_UID]));
      }
    }
  });
});
