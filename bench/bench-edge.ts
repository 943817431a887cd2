// The edge a benchmark measures: `src/main.ts` in a process of its own (as clients meet it; sharing
// the bench's event loop would slow both), on a running devnet, with bench/memory-probe.ts loaded so
// its peak memory during a measured span can be read from outside (`measureMemory`).
import { EDGE_NODE_FLAGS } from '../src/node-flags.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processCpuSeconds } from './process-cpu.ts';

const ROOT = join(import.meta.dirname, '..');

export interface EdgeMemory {
  baselineRss: number;
  peakRss: number;
  baselineBuffers: number;
  peakBuffers: number;
  /** The event loop's delay over the span (ms): what a request arriving meanwhile waited at worst. */
  loopDelayMs: { p50: number; p99: number; max: number };
}

export interface BenchEdge {
  url: string;
  /** Runs `work` between a baseline (after a GC) and a peak reading of the edge process's memory. */
  measureMemory<T>(work: () => Promise<T>): Promise<{ value: T; memory: EdgeMemory }>;
  /** CPU seconds the edge process has used so far. */
  cpuSeconds(): number;
  stop(): void;
}

export async function startBenchEdge(devnetDir: string, env: Record<string, string>): Promise<BenchEdge> {
  const dataDir = mkdtempSync(join(devnetDir, 'bench-edge-'));
  const probeFile = join(dataDir, 'memory.json');
  // BENCH_EDGE_CPU_PROF=DIR: the edge writes a V8 CPU profile there when it stops (node --cpu-prof).
  const profile = process.env.BENCH_EDGE_CPU_PROF;
  const child = spawn(
    process.execPath,
    [
      ...EDGE_NODE_FLAGS,
      '--expose-gc',
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      '--import',
      join(import.meta.dirname, 'memory-probe.ts'),
      join(ROOT, 'src/main.ts'),
    ],
    {
      env: {
        ...process.env,
        DEVNET_DIR: devnetDir,
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'info',
        MEMORY_PROBE_FILE: probeFile,
        // One process unless asked (the memory probe reads the process it is loaded in).
        HTTP_WORKERS: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const listening = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.includes('walrus-edge listening'));
      if (!line) return;
      child.stdout!.off('data', listening).resume(); // later log lines are not needed
      resolve((JSON.parse(line) as { url: string }).url);
    };
    child.stdout!.on('data', listening);
    child.once('exit', (code) => reject(new Error(`the edge exited with ${code}`)));
  });
  const probe = async (signal: 'SIGUSR1' | 'SIGUSR2', phase: string): Promise<EdgeMemory> => {
    rmSync(probeFile, { force: true });
    child.kill(signal);
    for (;;) {
      try {
        const report = JSON.parse(readFileSync(probeFile, 'utf8')) as EdgeMemory & { phase: string };
        if (report.phase === phase) return report;
      } catch {
        // not written yet (or half written)
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    url,
    async measureMemory(work) {
      await probe('SIGUSR1', 'started');
      const value = await work();
      return { value, memory: await probe('SIGUSR2', 'done') };
    },
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop() {
      process.off('exit', kill);
      child.kill('SIGTERM');
    },
  };
}
