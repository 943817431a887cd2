// The shape every dashboard in grafana/dashboards/ must have, built from @grafana/schema's own types.
// Checked 2026-12-01 against @grafana/schema 13.2.3 (the latest on npm): the package ships TypeScript
// types only (no JSON Schema, no CUE files); its `Dashboard` is Grafana's classic JSON model (schema
// version 42), the one file provisioning loads (Grafana 13 migrates it to v2 on load). Its `Panel`
// leaves `options`, `fieldConfig.defaults.custom` and `targets` open (Record<string, unknown>), so
// here each panel kind gets the types of its plugin that the package ships (timeseries, stat,
// bargauge), and targets a Prometheus query on the provisioned data source. The package ships no type
// for Prometheus queries, so PrometheusTarget is its DataQuery plus the fields Grafana's Prometheus
// editor saves. test/ops/grafana-dashboards.test.ts typechecks each JSON file as WalrusEdgeDashboard.
import type {
  Dashboard,
  DataQuery,
  FieldConfigSource,
  Panel,
  RowPanel,
  VariableModel,
} from '@grafana/schema';
import type * as BarGauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/** The data source grafana/provisioning/datasources/prometheus.yaml creates, by its fixed uid. */
export const DATASOURCE_UID = 'walrus-edge-prometheus';
interface EdgePrometheus {
  type: 'prometheus';
  uid: typeof DATASOURCE_UID;
}

interface PrometheusTarget extends Omit<DataQuery, 'datasource'> {
  datasource: EdgePrometheus;
  expr: string;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  editorMode?: 'code' | 'builder';
  format?: 'time_series' | 'table' | 'heatmap';
  interval?: string;
}

type PanelOf<Type extends string, Options, Custom> = Omit<
  Panel,
  'type' | 'datasource' | 'options' | 'fieldConfig' | 'targets'
> & {
  type: Type;
  datasource: EdgePrometheus;
  options: Options;
  fieldConfig: FieldConfigSource<Custom>;
  targets: PrometheusTarget[];
};

type EdgePanel =
  | PanelOf<'timeseries', TimeSeries.Options, TimeSeries.FieldConfig>
  | PanelOf<'stat', Stat.Options, Record<string, never>>
  | PanelOf<'bargauge', BarGauge.Options, Record<string, never>>;

/**
 * What a JSON file can hold of a TypeScript type: an enum becomes the union of its values (JSON says
 * "absolute", not ThresholdsMode.Absolute); everything else keeps its shape and optionality.
 */
type Json<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends readonly (infer Item)[]
      ? Json<Item>[]
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

export type WalrusEdgeDashboard = Json<
  Omit<Dashboard, 'panels' | 'templating' | 'uid' | 'title'> & {
    uid: string;
    title: string;
    panels: (EdgePanel | (Omit<RowPanel, 'panels'> & { panels: EdgePanel[] }))[];
    templating: { list: (VariableModel & { datasource: EdgePrometheus })[] };
  }
>;
