// A real Prometheus for tests: Debian's /usr/bin/prometheus (npm test's pretest installs it) in a
// process of its own, with its own storage in a temporary directory and a free loopback port, running
// deploy/prometheus/prometheus.yml as shipped except for what a test must change: the edge it scrapes,
// the intervals, and the path of the rules. Spoken to over its HTTP API only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../support/free-port.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy', 'prometheus');

export interface PrometheusServer {
  url: string;
  /** GET /api/v1/<path>; throws unless Prometheus answers status "success". */
  api<T>(path: string, params?: Record<string, string | string[]>): Promise<T>;
  stop(): Promise<void>;
}

interface ShippedConfig {
  global: Record<string, string>;
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

/** A port nothing listens on now (the kernel's pick), for a server that binds it a moment later. */
/**
 * Starts Prometheus scraping `target` (host:port of an edge) every `interval`, with the shipped
 * alerting rules evaluated as often, and resolves once /-/ready answers.
 */
export async function startPrometheus(target: string, interval = '1s'): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'walrus-edge-prometheus-'));
  const config = parse(readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8')) as ShippedConfig;
  config.global = { ...config.global, scrape_interval: interval, evaluation_interval: interval };
  config.rule_files = config.rule_files.map((file) => join(DEPLOY, file));
  const [edgeJob, ...others] = config.scrape_configs;
  if (!edgeJob || others.length > 0) throw new Error('prometheus.yml should scrape the edge alone');
  edgeJob.static_configs = [{ targets: [target] }];
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));

  const url = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${new URL(url).host}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  child.once('error', (error) => (stderr += `\n${error.message}`));

  for (let tries = 0; ; tries++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || child.signalCode !== null || tries > 100) {
      await stop();
      throw new Error(`${PROMETHEUS} did not become ready at ${url}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    stop,
    async api<T>(path: string, params: Record<string, string | string[]> = {}): Promise<T> {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) {
        for (const one of [value].flat()) query.append(name, one);
      }
      const response = await fetch(`${url}/api/v1/${path}?${query}`);
      const body = (await response.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`Prometheus ${path} ${query}: ${body.error}`);
      return body.data;
    },
  };
}
