// One REDIS_URL names any of the three ways operators run Redis, and this turns it into an ioredis client:
//   redis://[user:password@]host:port[/db]          a single server (rediss:// for TLS)
//   redis+sentinel://[:password@]h1:26379,h2:26379/master-name[/db]   ask Sentinels for the master,
//                                                    and follow it through failovers
//   redis+cluster://[:password@]h1:7000,h2:7001     Redis Cluster, seeded by any of its nodes
// (rediss+sentinel:// and rediss+cluster:// use TLS to the data nodes.) Multi-host URLs are not WHATWG
// URLs, hence the small parser here.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | {
      mode: 'sentinel';
      sentinels: HostPort[];
      name: string;
      db: number;
      username?: string;
      password?: string;
      tls: boolean;
    }
  | { mode: 'cluster'; nodes: HostPort[]; username?: string; password?: string; tls: boolean };

interface HostPort {
  host: string;
  port: number;
}

const MULTI_HOST = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(\/[^?#]*)?$/;

/** Throws a readable error for anything it cannot use (config validation shows it). */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) {
    if (!new URL(url).hostname) throw new Error('the Redis URL names no host');
    return { mode: 'standalone', url };
  }
  const match = MULTI_HOST.exec(url);
  if (!match)
    throw new Error(
      'expected redis://, rediss://, redis+sentinel://h:p,.../master or redis+cluster://h:p,...',
    );
  const [, scheme, mode, user, password, hostList, path] = match;
  const hosts = hostList!.split(',').map((entry) => {
    const hostPort = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(entry.trim());
    if (!hostPort) throw new Error(`cannot read host "${entry}"`);
    return {
      host: hostPort[1]!.replace(/^\[|\]$/g, ''),
      port: Number(hostPort[2] ?? (mode === 'sentinel' ? 26379 : 6379)),
    };
  });
  const credentials = {
    username: user ? decodeURIComponent(user) : undefined,
    password: password ? decodeURIComponent(password) : undefined,
    tls: scheme === 'rediss',
  };
  const segments = (path ?? '').split('/').filter(Boolean);
  if (mode === 'cluster') {
    if (segments.length) throw new Error('Redis Cluster has only database 0: drop the path');
    return { mode: 'cluster', nodes: hosts, ...credentials };
  }
  const [name, db = '0'] = segments;
  if (!name || segments.length > 2 || !/^\d+$/.test(db))
    throw new Error('a Sentinel URL ends in /master-name or /master-name/db');
  return {
    mode: 'sentinel',
    sentinels: hosts,
    name: decodeURIComponent(name),
    db: Number(db),
    ...credentials,
  };
}

/** What the tier needs of a client; Redis and Cluster both provide it. */
export type RedisClient = Redis | Cluster;

/**
 * A client for the target. `options` apply to every connection to a data node (timeouts, retries),
 * except that a cluster's connections keep their offline queue (see below).
 */
export function connectRedis(url: string, options: RedisOptions): RedisClient {
  const target = parseRedisUrl(url);
  if (target.mode === 'standalone') return new Redis(target.url, options);
  const auth = { username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) };
  if (target.mode === 'sentinel') {
    return new Redis({
      ...options,
      ...auth,
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
    });
  }
  // Both levels keep their offline queues: the cluster client's own ready check (CLUSTER INFO) is a
  // command sent before it is ready, and without a queue it fails, reconnects and loops. The tier
  // sends nothing while the client is not ready, and bounds every operation in time itself.
  const { enableOfflineQueue: _queue, ...nodeOptions } = options;
  return new Cluster(target.nodes, {
    clusterRetryStrategy: (attempt) => Math.min(2_000, 100 * attempt),
    redisOptions: { ...nodeOptions, ...auth },
  });
}
