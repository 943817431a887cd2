// A parser of the Prometheus text exposition format (version 0.0.4, what prom-client writes), kept
// apart from the product so tests read /metrics as Prometheus would: sample lines `name{labels} value`,
// label values unescaped (\\, \", \n), comments and blank lines skipped. Malformed lines throw.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText = '', valueText] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const at = LABEL.lastIndex;
      const label = LABEL.exec(labelText);
      if (!label) throw new Error(`bad labels at ${at}: ${line}`);
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    // As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case.
    const special = { nan: NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity }[
      valueText!.toLowerCase()
    ];
    const value = special ?? Number(valueText);
    if (Number.isNaN(value) && special === undefined) throw new Error(`bad value: ${line}`);
    samples.push({ name: name!, labels, value });
  }
  return samples;
}

/** A scrape: every sample, and sums over the samples of one name whose labels include `match`. */
export interface Scrape {
  samples: Sample[];
  sum(name: string, match?: Record<string, string>): number;
  /** Whether a sample of this name (with these labels) exists at all. */
  has(name: string, match?: Record<string, string>): boolean;
}

export function scrapeOf(text: string): Scrape {
  const samples = parseMetrics(text);
  const matching = (name: string, match: Record<string, string> = {}) =>
    samples.filter(
      (sample) =>
        sample.name === name && Object.entries(match).every(([key, value]) => sample.labels[key] === value),
    );
  return {
    samples,
    sum: (name, match) => matching(name, match).reduce((total, sample) => total + sample.value, 0),
    has: (name, match) => matching(name, match).length > 0,
  };
}

export async function scrape(metricsUrl: string): Promise<Scrape> {
  const response = await fetch(metricsUrl);
  if (response.status !== 200) throw new Error(`${metricsUrl} answered ${response.status}`);
  return scrapeOf(await response.text());
}

/** What grew between two scrapes, for one name and label match. */
export function grew(before: Scrape, after: Scrape, name: string, match?: Record<string, string>): number {
  return after.sum(name, match) - before.sum(name, match);
}
