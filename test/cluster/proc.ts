// Witnesses from the operating system, not from the edge: which processes are the primary's children
// (/proc/PID/stat), which worker slot each was started for (its environment, /proc/PID/environ), and
// which process holds the server end of a TCP connection (/proc/net/tcp + /proc/PID/fd). Linux only.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Fields 3 onwards of /proc/PID/stat (state, ppid, …; fields[0] is field 3): pid (comm) state ppid ...,
 * where comm may hold spaces and parentheses, so the split is after the last ')'.
 */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The PIDs whose parent is `parent`. */
export function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(entry)[1]) === parent) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children.sort((a, b) => a - b);
}

/** How long a process has been running, in seconds: its start (field 22 of stat(5), clock ticks after boot) against /proc/uptime. */
export function secondsRunning(pid: number): number {
  const startTicks = Number(statFields(pid)[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return uptime - startTicks / 100; // USER_HZ is 100 on every Linux this runs on
}

/** One variable of a process's environment as it was started, if set (and the process still there). */
export function environOf(pid: number, name: string): string | undefined {
  try {
    const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const pair = pairs.find((entry) => entry.startsWith(`${name}=`));
    return pair?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

/** Socket inodes of established IPv4 connections local:serverPort ↔ remote:clientPort, by client port. */
function serverSockets(serverPort: number): Map<number, string> {
  const byClientPort = new Map<number, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [, local, remote, state, , , , , , inode] = fields;
    if (state !== '01') continue; // ESTABLISHED
    if (Number.parseInt(local!.split(':')[1]!, 16) !== serverPort) continue;
    byClientPort.set(Number.parseInt(remote!.split(':')[1]!, 16), inode!);
  }
  return byClientPort;
}

/** Which of `pids` holds the server end of each connection to `serverPort` from these client ports. */
export function holdersOfConnections(serverPort: number, clientPorts: number[], pids: number[]): number[] {
  const sockets = serverSockets(serverPort);
  const owner = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) owner.set(inode, pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return clientPorts.map((port) => {
    const inode = sockets.get(port);
    const pid = inode === undefined ? undefined : owner.get(inode);
    if (pid === undefined)
      throw new Error(`no process of ${pids.join(',')} holds the connection from :${port}`);
    return pid;
  });
}

/**
 * Which of `pids` holds a connection just made: node:cluster's primary accepts it and passes it to a
 * worker, so for a moment after the client's connect no worker holds it yet — asked again until one
 * does (or `waitMs` is over).
 */
export async function holderOfNewConnection(
  serverPort: number,
  clientPort: number,
  pids: () => number[],
  waitMs = 3_000,
): Promise<number> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    try {
      return holdersOfConnections(serverPort, [clientPort], pids())[0]!;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
