// Witnesses from the operating system, not from the edge: which worker slot a process was started for
// (its environment, /proc/PID/environ) and which process holds the server end of a TCP connection
// (/proc/net/tcp + /proc/PID/fd); whose children they are, and since when, is test/support/proc-stat.ts.
// Linux only.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

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

/** The IPv4 TCP sockets of /proc/net/tcp: local and remote port, state (hex, as the kernel writes it) and inode. */
function tcpSockets(): { localPort: number; remotePort: number; state: string; inode: string }[] {
  const port = (address: string) => Number.parseInt(address.split(':')[1]!, 16);
  const sockets = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [, local, remote, state, , , , , , inode] = fields;
    sockets.push({ localPort: port(local!), remotePort: port(remote!), state: state!, inode: inode! });
  }
  return sockets;
}

/** Which of `pids` holds each socket inode (its open file descriptors, /proc/PID/fd). */
function socketOwners(pids: number[]): Map<string, number> {
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
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) owner.set(inode, pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return owner;
}

/** Ports some process of `pids` listens on (IPv4), with the process. */
export function listeningPorts(pids: number[]): Map<number, number> {
  const owner = socketOwners(pids);
  const ports = new Map<number, number>();
  for (const socket of tcpSockets()) {
    const pid = socket.state === '0A' ? owner.get(socket.inode) : undefined; // LISTEN
    if (pid !== undefined) ports.set(socket.localPort, pid);
  }
  return ports;
}

/** Which of `pids` holds the server end of each connection to `serverPort` from these client ports. */
export function holdersOfConnections(serverPort: number, clientPorts: number[], pids: number[]): number[] {
  // Established (01) connections local:serverPort ↔ remote:clientPort, by client port.
  const sockets = new Map(
    tcpSockets()
      .filter((socket) => socket.state === '01' && socket.localPort === serverPort)
      .map((socket) => [socket.remotePort, socket.inode]),
  );
  const owner = socketOwners(pids);
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
