// What the dashboards in grafana/dashboards/ ask Prometheus, read the way Grafana reads it: every
// panel's PromQL targets and every query variable, with Grafana's template variables replaced as the
// dashboard would replace them, and the metric names each expression selects, found by Prometheus's
// own PromQL grammar (@prometheus-io/lezer-promql) rather than by pattern matching.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';

const DASHBOARDS = join(import.meta.dirname, '..', '..', 'grafana', 'dashboards');

export interface PanelQuery {
  file: string;
  title: string;
  refId: string;
  /** Where it is, for failure messages: file › panel title › refId. */
  where: string;
  expr: string;
}

export interface QueryVariable {
  where: string;
  name: string;
  /** The variable's PromQL: `label_values(selector, label)`. */
  query: string;
  /** Selected as "All" (multi-value with an all value): Grafana then puts allValue in queries. */
  allValue?: string;
}

interface PanelJson {
  title?: string;
  type: string;
  targets?: { refId: string; expr: string }[];
  panels?: PanelJson[];
}
interface DashboardJson {
  panels: PanelJson[];
  templating: {
    list: { name: string; query: string | { query: string }; includeAll?: boolean; allValue?: string }[];
  };
}

function dashboards(): [file: string, dashboard: DashboardJson][] {
  return readdirSync(DASHBOARDS)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => [file, JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as DashboardJson]);
}

export function panelQueries(): PanelQuery[] {
  return dashboards().flatMap(([file, dashboard]) =>
    dashboard.panels
      .flatMap((panel) => [panel, ...(panel.panels ?? [])])
      .flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({
          file,
          title: panel.title ?? '',
          refId: target.refId,
          where: `${file} › ${panel.title} › ${target.refId}`,
          expr: target.expr,
        })),
      ),
  );
}

export function queryVariables(): QueryVariable[] {
  return dashboards().flatMap(([file, dashboard]) =>
    dashboard.templating.list.map((variable) => ({
      where: `${file} › $${variable.name}`,
      name: variable.name,
      query: typeof variable.query === 'string' ? variable.query : variable.query.query,
      ...(variable.includeAll && { allValue: variable.allValue ?? '.*' }),
    })),
  );
}

/**
 * `expr` with Grafana's variables replaced: `$__rate_interval`, `$__range` and `$__interval` by
 * `window`, dashboard variables (`$name`, `${name}`) by `values`. Throws on any variable left over.
 */
export function substitute(expr: string, window: string, values: Record<string, string>): string {
  const all: Record<string, string> = {
    __rate_interval: window,
    __range: window,
    __interval: window,
    ...values,
  };
  const replaced = expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const value = all[(braced ?? bare)!];
    if (value === undefined) throw new Error(`unknown variable ${whole} in ${expr}`);
    return value;
  });
  return replaced;
}

/** The metric names `expr` selects (`name{...}`, `name[5m]`, `{__name__="name"}`), or its syntax errors. */
export function metricNames(expr: string): { names: string[]; errors: string[] } {
  const names = new Set<string>();
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from} in ${expr}`);
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier) names.add(expr.slice(identifier.from, identifier.to));
      }
      if (node.name === 'UnquotedLabelMatcher' || node.name === 'QuotedLabelMatcher') {
        const label = node.node.getChild('LabelName') ?? node.node.getChild('QuotedLabelName');
        const value = node.node.getChild('StringLiteral');
        if (label && value && expr.slice(label.from, label.to).replaceAll('"', '') === '__name__') {
          names.add(JSON.parse(expr.slice(value.from, value.to).replace(/^'|'$/g, '"')) as string);
        }
      }
    },
  });
  return { names: [...names], errors };
}
