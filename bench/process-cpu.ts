// CPU time a process has used so far (user + system, all its threads, in seconds), read from Linux's
// /proc/PID/stat: how busy the devnet and the edge were while a writer ran — whether a span was bound
// by the devnet's nodes (their sliver checks) or by the writer itself.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times: 100 on every Linux this runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

export function processCpuSeconds(pid: number): number {
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of stat(5); fields[0] is field 3.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
