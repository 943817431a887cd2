// One load run of autocannon in a process of its own (so the client's work is not the measured
// process's): requests/s, latency percentiles (ms) and throughput (MB/s). Non-2xx answers or socket
// errors fail the run: a benchmark of errors measures nothing.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const AUTOCANNON = join(import.meta.dirname, '..', 'node_modules/autocannon/autocannon.js');

export async function autocannonRun(
  url: string,
  options: { name: string; connections: string | number; seconds: number },
): Promise<{ rps: number; p50: number; p99: number; mbps: number }> {
  const { stdout } = await run(
    process.execPath,
    [AUTOCANNON, '--json', '-c', String(options.connections), '-d', String(options.seconds), url],
    { maxBuffer: 64 << 20 },
  );
  const r = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    throughput: { average: number };
    non2xx: number;
    errors: number;
  };
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${options.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mbps: r.throughput.average / 1e6,
  };
}
