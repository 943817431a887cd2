// Linux's own account of processes (/proc/PID/stat, stat(5)): which processes are whose children, how
// long one has run and how much CPU it has used. Witnesses the tests take from the operating system,
// not from the edge, and what the benchmarks measure servers with (bench/process-cpu.ts).
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times: 100 on every Linux this runs on (USER_HZ). */
export const TICKS_PER_SECOND = 100;

/**
 * Fields 3 onwards of /proc/PID/stat (state, ppid, …; fields[0] is field 3): the command name (field
 * 2) may hold spaces and parentheses, so the split is after the last ')'.
 */
export function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Every process now alive by its parent's PID (field 4 of stat(5)), in one pass over /proc. */
export function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(statFields(entry)[1]);
      const siblings = children.get(parent);
      if (siblings) siblings.push(Number(entry));
      else children.set(parent, [Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** The PIDs whose parent is `parent`, lowest first. */
export function childrenOf(parent: number): number[] {
  return (childrenByParent().get(parent) ?? []).sort((a, b) => a - b);
}

/** How long a process has been running, in seconds: its start (field 22, ticks after boot) against /proc/uptime. */
export function secondsRunning(pid: number): number {
  const startTicks = Number(statFields(pid)[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return uptime - startTicks / TICKS_PER_SECOND;
}
