// A TCP relay on loopback to a real server (PostgreSQL, the devnet's Sui endpoint, ...) that a test can
// cut — every connection dropped, new ones refused, as when the network between them fails — and
// restore. The edge is pointed at the relay; the server itself keeps running untouched.
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpRelay {
  /** The relay's port on 127.0.0.1. */
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpRelay(upstream: { host: string; port: number }): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) return void client.destroy();
    const onward = createConnection(upstream.port, upstream.host);
    for (const socket of [client, onward]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(onward).pipe(client);
    client.on('close', () => onward.destroy());
    onward.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    open = false;
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    cut,
    restore: () => void (open = true),
    close: async () => {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
