// Private redis-server processes for tests that need a Redis of their own: one to kill, a Sentinel
// set-up to fail over, a Cluster. They use Debian's redis-server, the one CI runs on 6379.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

export interface RedisServer {
  port: number;
  process: ChildProcess;
  kill(): void;
}

/**
 * A redis-server on a free port with the given extra arguments, answering PING when returned. Its
 * files (a replica's sync snapshot, cluster state) go to `dir`, never the working directory, where a
 * later server would load them.
 */
export async function startRedisServer(
  dir: string,
  args: string[] = [],
  port?: number,
): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(chosen),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...args,
    ],
    { stdio: 'ignore' },
  );
  await untilPing(chosen);
  return { port: chosen, process: child, kill: () => child.kill('SIGKILL') };
}

/** A Sentinel (redis-server --sentinel) watching `master` at masterPort, quick to fail over. */
export async function startSentinel(dir: string, master: string, masterPort: number): Promise<RedisServer> {
  const port = await freePort();
  const config = join(dir, `sentinel-${port}.conf`);
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${master} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${master} 1000`,
      `sentinel failover-timeout ${master} 3000`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  await untilPing(port);
  return { port, process: child, kill: () => child.kill('SIGKILL') };
}

/** A Redis Cluster of `size` masters (no replicas), every slot assigned, state ok when returned. */
export async function startCluster(dir: string, size = 3): Promise<RedisServer[]> {
  const servers: RedisServer[] = [];
  try {
    await addClusterNodes(dir, size, servers);
  } catch (error) {
    for (const server of servers) server.kill();
    throw error;
  }
  return servers;
}

async function addClusterNodes(dir: string, size: number, servers: RedisServer[]): Promise<void> {
  const busPorts: number[] = [];
  for (let i = 0; i < size; i++) {
    const port = await freePort();
    // The cluster bus on a port of its own too: by default it is port + 10000, which for a port from
    // free-port.ts lands in the ephemeral range, where an outgoing socket may hold it.
    const busPort = await freePort();
    busPorts.push(busPort);
    servers.push(
      await startRedisServer(
        dir,
        [
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '2000',
          // Known from the start: otherwise a node learns its own address only from the others' gossip,
          // and until then lists itself with an empty host (clients connect to nowhere and retry).
          '--cluster-announce-ip',
          '127.0.0.1',
        ],
        port,
      ),
    );
  }
  const clients = servers.map((server) => new Redis(server.port, '127.0.0.1'));
  try {
    const slots = 16384;
    for (const [i, client] of clients.entries()) {
      const start = Math.floor((slots * i) / size);
      const end = Math.floor((slots * (i + 1)) / size) - 1;
      await client.call('CLUSTER', 'ADDSLOTSRANGE', String(start), String(end));
      if (i > 0)
        await clients[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(servers[i]!.port), String(busPorts[i]));
    }
    const until = Date.now() + 15_000;
    for (const client of clients) {
      // Every node must know every master by address, not just see its slots covered.
      const settled = async () =>
        /cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO'))) &&
        String(await client.call('CLUSTER', 'NODES'))
          .trim()
          .split('\n')
          .filter((line) => / 127\.0\.0\.1:\d+@\d+ .*master.* connected/.test(line)).length === size;
      while (!(await settled())) {
        if (Date.now() > until) throw new Error('the test cluster did not come up');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    for (const client of clients) client.disconnect();
  }
}

async function untilPing(port: number): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const client = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > until) throw new Error(`redis-server on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}
