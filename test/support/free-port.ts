// A port for a server a test starts later (a redis-server, the edge a journey runs). Not one the kernel
// picks with listen(0): that comes from the ephemeral range (ip_local_port_range, 32768–60999 here),
// which every outgoing connection on the machine also draws its local port from, so between our
// check and the server's bind a client socket of another test could take it (EADDRINUSE seen in CI).
// Below that range only listeners live; a random pick there, checked by binding, collides only if
// another test picks the same port in the same moment.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 20_000;

function ephemeralStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const parsed = Number(start);
    return Number.isInteger(parsed) && parsed > LOWEST + 1000 ? parsed : 32_768;
  } catch {
    return 32_768;
  }
}

const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOWEST} and ${end}`);
}
