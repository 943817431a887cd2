// CPU time a process has used so far (user + system, all its threads, in seconds), read from Linux's
// /proc/PID/stat: how busy the devnet and the edge were while a writer ran — whether a span was bound
// by the devnet's nodes (their sliver checks) or by the writer itself.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times: 100 on every Linux this runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** Fields 3 onwards of /proc/PID/stat (the command name, field 2, may hold spaces and parentheses). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // Fields 14 (utime) and 15 (stime) of stat(5); fields[0] is field 3.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * The CPU seconds of a process and of every descendant now alive (nginx's workers, an edge's cluster
 * workers): a server made of several processes is measured as a whole.
 */
export function processTreeCpuSeconds(pid: number): number {
  let seconds = 0;
  for (const member of processTree(pid)) {
    try {
      seconds += processCpuSeconds(member);
    } catch {
      // gone meanwhile
    }
  }
  return seconds;
}

/** A process and every descendant now alive. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of stat(5): the parent's PID.
      const parent = Number(statFields(Number(entry))[1]);
      parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const members: number[] = [];
  for (const queue = [pid]; queue.length > 0;) {
    const next = queue.pop()!;
    members.push(next);
    queue.push(...(parents.get(next) ?? []));
  }
  return members;
}
