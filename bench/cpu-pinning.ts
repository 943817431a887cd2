// bench:serve --pin: one core for the server measured, the other for the load generator and for
// everything else on the machine while a run lasts. On a two-core machine whose other work (a test
// suite, a helper's build) comes and goes, the CPU a server spends per answer swings by half from run
// to run when that work shares its core; on a core of its own it holds still enough to compare
// servers within a few percent. Linux's taskset (util-linux) sets the affinities.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

export const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path));

export interface Pinning {
  /** The core a measured server runs on. */
  serverCpu: string;
  /** The load generator's core, where everything else goes during a run. */
  loadCpu: string;
}

export const TWO_CORES: Pinning = { serverCpu: '1', loadCpu: '0' };

/** A command line run on `cpu` (its threads and children inherit the affinity). */
export function onCpu(cpu: string, command: string, args: string[]): [string, string[]] {
  if (!TASKSET) throw new Error('--pin needs taskset (apt-get install util-linux)');
  return [TASKSET, ['-c', cpu, command, ...args]];
}

/**
 * Runs `work` with every process but `keep` (the measured servers and their children, started pinned)
 * moved to `cpu`, and gives them every core back afterwards. Processes that refuse (kernel threads)
 * stay where they are.
 */
export async function othersOn<T>(cpu: string, keep: Set<number>, work: () => Promise<T>): Promise<T> {
  const move = (cpus: string) => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || keep.has(Number(entry))) continue;
      try {
        setAffinity(Number(entry), cpus);
      } catch {
        // gone meanwhile, or not ours to move
      }
    }
  };
  move(cpu);
  try {
    return await work();
  } finally {
    move(ALL_CPUS);
  }
}

/** Runs `work` with the process `pid` (all its threads) on `cpu` alone, then on every core again. */
export async function onlyOn<T>(cpu: string, pid: number, work: () => Promise<T>): Promise<T> {
  setAffinity(pid, cpu);
  try {
    return await work();
  } finally {
    setAffinity(pid, ALL_CPUS);
  }
}

const ALL_CPUS = `0-${cpus().length - 1}`;

function setAffinity(pid: number, cpus: string): void {
  execFileSync(TASKSET!, ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}
