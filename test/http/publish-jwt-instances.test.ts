// JWT publishing across edge instances: two edges with the same verification key and the same Redis.
// A token spent at one is refused at the other (jti replay is blocked across instances), and refused
// tokens — replayed, expired, signed with another key — cost the operator nothing: the refusing edge's
// wallet balances (by Sui's own account) and the nodes' store counters do not move.
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import type { RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';
import { countedDuring } from '../support/node-stats.ts';
import { publisherWallet, putBlob, startPublishingEdge, walletBalances } from '../support/publishing.ts';
import { aip193Problems } from './http-helpers.ts';

const SECRET = 'publish-jwt-instances-secret-0123456789';
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `walrus-edge-test:jwt-instances:${process.pid}:${Date.now()}:`;
let devnet: RunningDevnet;
const edges: RunningEdge[] = [];
const dirs = [tempDir('jwt-instance-a'), tempDir('jwt-instance-b')];

const sign = (claims: Record<string, unknown>, secret = SECRET, expires: string | number = '5m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setJti(crypto.randomUUID())
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));

const put = (edge: RunningEdge, jwt: string, data: Uint8Array) => putBlob(edge, '?epochs=1', data, { jwt });

const walletFunds = (dataDir: string) => walletBalances(devnet, publisherWallet(dataDir).address);

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 7, shards: 100 });
  for (const dir of dirs)
    edges.push(
      await startPublishingEdge(devnet, dir.path, {
        PUBLISHER_AUTH: 'jwt',
        JWT_SECRET: SECRET,
        REDIS_URL,
        REDIS_PREFIX: prefix,
      }),
    );
}, 60_000);
afterAll(async () => {
  for (const edge of edges) await edge.stop();
  await devnet?.stop();
  for (const dir of dirs) dir.remove();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('JWTs at two edge instances sharing Redis', () => {
  it('a token spent at one edge is refused at the other, which pays nothing', async () => {
    const [a, b] = edges as [RunningEdge, RunningEdge];
    const jwt = await sign({});
    expect((await put(a, jwt, randomBytes(3_000, 1501))).status).toBe(200);
    // The other edge's wallet exists once its publisher started; it must not move.
    const before = await walletFunds(dirs[1]!.path);
    const { result, counted } = await countedDuring(devnet.committee, () =>
      put(b, jwt, randomBytes(3_000, 1502)),
    );
    expect(result.status).toBe(429);
    expect(result.reason).toBe('TOKEN_ALREADY_USED');
    expect(aip193Problems(result.json, result.status)).toEqual([]);
    expect(counted.total('store-sliver')).toBe(0);
    expect(counted.total('store-metadata')).toBe(0);
    expect(await walletFunds(dirs[1]!.path)).toEqual(before);
  });

  it('expired tokens and tokens signed with another key are refused with the official reasons', async () => {
    const [a] = edges as [RunningEdge];
    const before = await walletFunds(dirs[0]!.path);
    const expired = await put(
      a,
      await sign({}, SECRET, Math.floor(Date.now() / 1000) - 3_600),
      randomBytes(100, 1),
    );
    expect(expired.reason).toBe('EXPIRED_SIGNATURE');
    const forged = await put(a, await sign({}, 'another-secret-of-enough-length-000'), randomBytes(100, 2));
    expect([forged.status, forged.reason]).toEqual([401, 'INVALID_SIGNATURE']);
    for (const refused of [expired, forged]) expect(aip193Problems(refused.json, refused.status)).toEqual([]);
    expect(await walletFunds(dirs[0]!.path)).toEqual(before);
  });
});
