// CPU time a process has used so far (user + system, all its threads, in seconds), read from Linux's
// /proc/PID/stat: how busy the devnet and the edge were while a writer ran — whether a span was bound
// by the devnet's nodes (their sliver checks) or by the writer itself.
import { childrenByParent, statFields, TICKS_PER_SECOND } from '../test/support/proc-stat.ts';

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
  const children = childrenByParent();
  const members: number[] = [];
  for (const queue = [pid]; queue.length > 0;) {
    const next = queue.pop()!;
    members.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return members;
}
