// One load run of Debian's wrk in a process of its own: requests/s, latency percentiles (ms),
// throughput (MB/s) and the requests completed. Non-2xx answers or socket errors fail the run: a
// benchmark of errors measures nothing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { onCpu } from './cpu-pinning.ts';

const run = promisify(execFile);

/** Debian's wrk, if installed (apt-get install wrk). */
export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => existsSync(path));

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  mbps: number;
  requests: number;
}

export async function wrkRun(
  url: string,
  options: {
    name: string;
    threads: number;
    connections: number;
    seconds: number;
    /** The core wrk runs on (bench:serve --pin). */
    cpu?: string;
  },
): Promise<WrkResult> {
  if (!WRK) throw new Error('wrk is not installed: apt-get install wrk');
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--timeout',
    '10s',
    '--latency',
    url,
  ];
  const { stdout } = await run(...(options.cpu ? onCpu(options.cpu, WRK, args) : ([WRK, args] as const)), {
    maxBuffer: 1 << 20,
  });
  const find = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`${options.name}: cannot read wrk output (${pattern}):\n${stdout}`);
    return match;
  };
  const ms = (text: string) => {
    const match = /^([\d.]+)(us|ms|s)$/.exec(text);
    if (!match) throw new Error(`${options.name}: not a wrk latency: ${text}`);
    return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (non2xx) throw new Error(`${options.name}: ${non2xx[0]}`);
  const socket = /Socket errors: .*/.exec(stdout);
  if (socket) throw new Error(`${options.name}: ${socket[0]}`);
  const transfer = find(/Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/);
  return {
    rps: Number(find(/Requests\/sec:\s+([\d.]+)/)[1]),
    // Anchored: a thread-stats column such as "82.50%" must not pass for the 50% percentile.
    p50: ms(find(/^\s+50%\s+(\S+)/m)[1]!),
    p99: ms(find(/^\s+99%\s+(\S+)/m)[1]!),
    mbps: Number(transfer[1]) * { B: 1 / 2 ** 20, KB: 1 / 1024, MB: 1, GB: 1024 }[transfer[2] as 'KB'],
    requests: Number(find(/(\d+) requests in/)[1]),
  };
}
