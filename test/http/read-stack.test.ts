// Every read route through the one read stack, in every state a read can meet: cold, a memory hit, a
// Redis hit (a second edge sharing Redis), known missing (negative cache), blocked by each kind of ID,
// and the reconstruction limiter full. Each case checks status, headers and bytes, and what the storage
// nodes themselves counted (metadata and sliver requests), never the edge's word for it.
import { encodeQuilt } from '@mysten/walrus';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { formatQuiltPatchId } from '../../src/protocol/quilt-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import {
  ADMIN_TOKEN,
  call,
  expectError,
  faultAll,
  nodeRequests,
  startTestEdge,
  unknownBlobId,
  unknownObjectId,
  waitFor,
  type Answer,
  type TestEdge,
} from './http-helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PREFIX = `walrus-edge-test:read-stack:${process.pid}:${Date.now()}:`;
const N = 100;

/** One quilt stored on the devnet: it is the blob of the blob routes and the quilt of the patch routes. */
interface Subject {
  blobId: string;
  objectId: string;
  bytes: Uint8Array;
  patchId: string;
  identifier: string;
  patchBytes: Uint8Array;
}

type IdKind = 'blob' | 'patch' | 'object';

interface Route {
  name: string;
  method: 'GET' | 'HEAD';
  path(s: Subject): string;
  headers?: Record<string, string>;
  status: number;
  /** The bytes a correct answer carries. */
  body(s: Subject): Uint8Array;
  /** Which ID kinds this route reads through (blocking one of them must block the route). */
  reads: IdKind[];
  /** Whether the answer says where its bytes came from (X-Cache). */
  xCache: boolean;
  /** The same route for something that does not exist: [path, whether the storage nodes are asked]. */
  missing: (seed: number) => [string, boolean];
}

const routes: Route[] = [
  {
    name: 'GET /v1/blobs/{id}',
    method: 'GET',
    path: (s) => `/v1/blobs/${s.blobId}`,
    status: 200,
    body: (s) => s.bytes,
    reads: ['blob'],
    xCache: true,
    missing: (seed) => [`/v1/blobs/${unknownBlobId(seed)}`, true],
  },
  {
    name: 'HEAD /v1/blobs/{id}',
    method: 'HEAD',
    path: (s) => `/v1/blobs/${s.blobId}`,
    status: 200,
    body: () => new Uint8Array(0),
    reads: ['blob'],
    xCache: true,
    missing: (seed) => [`/v1/blobs/${unknownBlobId(seed)}`, true],
  },
  {
    name: 'GET /v1/blobs/{id} with Range',
    method: 'GET',
    path: (s) => `/v1/blobs/${s.blobId}`,
    headers: { range: 'bytes=5-14' },
    status: 206,
    body: (s) => s.bytes.subarray(5, 15),
    reads: ['blob'],
    xCache: true,
    missing: (seed) => [`/v1/blobs/${unknownBlobId(seed)}`, true],
  },
  {
    name: 'GET /v1/blobs/{id}/byte-range',
    method: 'GET',
    path: (s) => `/v1/blobs/${s.blobId}/byte-range?start=5&length=10`,
    status: 200,
    body: (s) => s.bytes.subarray(5, 15),
    reads: ['blob'],
    xCache: true,
    missing: (seed) => [`/v1/blobs/${unknownBlobId(seed)}/byte-range?start=0&length=1`, true],
  },
  {
    name: 'GET /v1/blobs/by-object-id/{objectId}',
    method: 'GET',
    path: (s) => `/v1/blobs/by-object-id/${s.objectId}`,
    status: 200,
    body: (s) => s.bytes,
    reads: ['blob', 'object'],
    xCache: true,
    // An unknown object is the chain's answer: no storage node is asked.
    missing: (seed) => [`/v1/blobs/by-object-id/${unknownObjectId(seed)}`, false],
  },
  {
    name: 'GET /v1alpha/blobs/{id}/stream',
    method: 'GET',
    path: (s) => `/v1alpha/blobs/${s.blobId}/stream`,
    status: 200,
    body: (s) => s.bytes,
    reads: ['blob'],
    xCache: true,
    missing: (seed) => [`/v1alpha/blobs/${unknownBlobId(seed)}/stream`, true],
  },
  {
    name: 'GET /v1alpha/blobs/concat (object ID)',
    method: 'GET',
    path: (s) => `/v1alpha/blobs/concat?ids=${s.objectId}`,
    status: 200,
    body: (s) => s.bytes,
    reads: ['blob', 'object'],
    xCache: false,
    missing: (seed) => [`/v1alpha/blobs/concat?ids=${unknownBlobId(seed)}`, true],
  },
  {
    name: 'GET /v1/blobs/by-quilt-patch-id/{patchId}',
    method: 'GET',
    path: (s) => `/v1/blobs/by-quilt-patch-id/${s.patchId}`,
    status: 200,
    body: (s) => s.patchBytes,
    reads: ['blob', 'patch'],
    xCache: true,
    missing: (seed) => [
      `/v1/blobs/by-quilt-patch-id/${formatQuiltPatchId({ quiltId: parseBlobId(unknownBlobId(seed)), startIndex: 1, endIndex: 2 })}`,
      true,
    ],
  },
  {
    name: 'GET /v1/blobs/by-quilt-id/{quiltId}/{identifier}',
    method: 'GET',
    path: (s) => `/v1/blobs/by-quilt-id/${s.blobId}/${s.identifier}`,
    status: 200,
    body: (s) => s.patchBytes,
    reads: ['blob', 'patch'],
    xCache: true,
    missing: (seed) => [`/v1/blobs/by-quilt-id/${unknownBlobId(seed)}/a.txt`, true],
  },
  {
    name: 'GET /v1/quilts/{quiltId}/patches',
    method: 'GET',
    path: (s) => `/v1/quilts/${s.blobId}/patches`,
    status: 200,
    body: () => new Uint8Array(0), // the JSON list is checked in expectServed
    reads: ['blob'],
    xCache: false,
    missing: (seed) => [`/v1/quilts/${unknownBlobId(seed)}/patches`, true],
  },
];

let a: TestEdge;
let b: RunningEdge;
let redis: Redis;
const bDir = tempDir('read-stack-b');
/** One subject per route, so that route's cold read is really cold. */
const subjects = new Map<string, Subject>();
let seed = 900;

async function storeSubject(edge: TestEdge): Promise<Subject> {
  const files = [
    { identifier: 'a.txt', contents: randomBytes(700, seed++) },
    { identifier: 'pic.bin', contents: randomBytes(5_000, seed++) },
  ];
  const { quilt, index } = encodeQuilt({ blobs: files, numShards: N });
  const stored = await storeOnDevnet(edge.devnet, quilt, { epochs: 5 });
  const quiltId = parseBlobId(stored.blobId);
  const entry = index.patches[1]!;
  return {
    blobId: stored.blobId,
    objectId: stored.objectId,
    bytes: quilt,
    patchId: formatQuiltPatchId({ quiltId, startIndex: entry.startIndex, endIndex: entry.endIndex }),
    identifier: entry.identifier,
    patchBytes: files[1]!.contents,
  };
}

/** Metadata and sliver requests the storage nodes counted while `action` ran. */
async function counted(edge: TestEdge, action: () => Promise<Answer>): Promise<[Answer, number]> {
  const before = (await nodeRequests(edge.devnet, 'metadata')) + (await nodeRequests(edge.devnet, 'sliver'));
  const answer = await action();
  const after = (await nodeRequests(edge.devnet, 'metadata')) + (await nodeRequests(edge.devnet, 'sliver'));
  return [answer, after - before];
}

function send(base: string, route: Route, s: Subject): Promise<Answer> {
  return call(base, route.path(s), { method: route.method, headers: route.headers });
}

function expectServed(answer: Answer, route: Route, s: Subject, tier?: string): void {
  expect(answer.status, route.name).toBe(route.status);
  if (route.name.endsWith('/patches')) {
    const list = answer.json() as { identifier: string; patch_id: string }[];
    expect(list.map((p) => p.identifier)).toEqual(['a.txt', 'pic.bin']);
    expect(list[1]!.patch_id).toBe(s.patchId);
  } else {
    expect(Buffer.from(answer.body).equals(Buffer.from(route.body(s))), route.name).toBe(true);
  }
  if (route.method === 'HEAD') expect(answer.headers.get('content-length')).toBe(String(s.bytes.length));
  if (tier && route.xCache) expect(answer.headers.get('x-cache'), route.name).toBe(tier);
}

/** Redis's own record of the blob (a separate connection, not the edge's). */
const inRedis = async (blobId: string) => (await redis.exists(`${PREFIX}blob:{${blobId}}`)) === 1;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  a = await startTestEdge({ REDIS_URL, REDIS_PREFIX: PREFIX, DEVNET_NODES: '11', DEVNET_SHARDS: String(N) });
  b = await startEdge(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: bDir.path,
      DEVNET_DIR: a.devnet.dir,
      REDIS_URL,
      REDIS_PREFIX: PREFIX,
      ADMIN_TOKEN,
    }),
  );
  for (const route of routes) subjects.set(route.name, await storeSubject(a));
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  bDir.remove();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('every read route through the read stack', () => {
  it.each(routes.map((route) => [route.name, route] as const))(
    '%s: cold, then a memory hit, then a Redis hit at another edge',
    async (_name, route) => {
      const s = subjects.get(route.name)!;
      const before = await nodeRequests(a.devnet, 'sliver');
      const [cold, coldRequests] = await counted(a, () => send(a.url, route, s));
      expectServed(cold, route, s, 'MISS');
      expect(coldRequests, 'a cold read asks the storage nodes').toBeGreaterThan(0);
      if (route.method === 'HEAD') {
        // HEAD reads at most one sliver (to recognise the type) and fills no cache.
        expect((await nodeRequests(a.devnet, 'sliver')) - before).toBeLessThanOrEqual(1);
        expect(await inRedis(s.blobId)).toBe(false);
        expect((await call(a.url, `/v1/blobs/${s.blobId}`)).status).toBe(200);
      }

      // The whole blob lands in memory and Redis (a range or a column read fills in the background).
      expect(await waitFor(() => inRedis(s.blobId), 10_000), 'the blob reached Redis').toBe(true);

      const [memory, memoryRequests] = await counted(a, () => send(a.url, route, s));
      expectServed(memory, route, s, 'HIT-MEMORY');
      expect(memoryRequests, 'a memory hit costs no storage-node request').toBe(0);

      const [shared, redisRequests] = await counted(a, () => send(b.url, route, s));
      expectServed(shared, route, s, 'HIT-REDIS');
      expect(redisRequests, 'a Redis hit costs no storage-node request').toBe(0);
    },
  );

  it.each(routes.map((route) => [route.name, route] as const))(
    '%s: known missing, the second time from the negative cache',
    async (_name, route) => {
      const [path, asksNodes] = route.missing(seed++);
      const [first, firstRequests] = await counted(a, () => call(a.url, path, { method: route.method }));
      expect(first.status, path).toBe(404);
      if (route.method === 'GET') expectError(first, 404);
      if (asksNodes) expect(firstRequests).toBeGreaterThan(0);
      else expect(firstRequests).toBe(0);
      const [again, againRequests] = await counted(a, () => call(a.url, path, { method: route.method }));
      expect(again.status, path).toBe(404);
      expect(againRequests, 'a remembered 404 asks no storage node').toBe(0);
      if (asksNodes && route.xCache) expect(again.headers.get('x-cache')).toBe('HIT-NEGATIVE');
    },
  );

  it.each(['blob', 'patch', 'object'] as const)(
    'a blocked %s ID is refused with 451 on exactly the routes that read through it',
    async (kind) => {
      const admin = (method: string, id: string) =>
        fetch(`${a.url}/v1/admin/blocklist/${id}`, {
          method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
      for (const route of routes) {
        const s = subjects.get(route.name)!;
        const id = kind === 'blob' ? s.blobId : kind === 'patch' ? s.patchId : s.objectId;
        expect((await admin('PUT', id)).status).toBe(200);
        try {
          const [answer, requests] = await counted(a, () => send(a.url, route, s));
          if (route.reads.includes(kind)) {
            expect(answer.status, `${route.name} blocked by its ${kind} ID`).toBe(451);
            if (route.method === 'GET') expectError(answer, 451, 'FORBIDDEN_BLOB');
          } else {
            expectServed(answer, route, s);
          }
          // Everything here is cached by now: refusing (or serving) costs the nodes nothing.
          expect(requests, route.name).toBe(0);
        } finally {
          expect((await admin('DELETE', id)).status).toBe(204);
        }
      }
    },
  );
});

describe('with every reconstruction slot taken', () => {
  let busy: RunningEdge;
  const busyDir = tempDir('read-stack-busy');
  const warm = new Map<string, Subject>();
  const cold = new Map<string, Subject>();

  beforeAll(async () => {
    busy = await startEdge(
      loadConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATA_DIR: busyDir.path,
        DEVNET_DIR: a.devnet.dir,
        MAX_CONCURRENT_RECONSTRUCTIONS: '1',
        MAX_QUEUED_RECONSTRUCTIONS: '0',
        HEDGE_DELAY_MS: '5000',
      }),
    );
    for (const route of routes) {
      const hot = await storeSubject(a);
      // Into this edge's memory: the whole blob first (one slot, released when it is read), then the route.
      expect((await call(busy.url, `/v1/blobs/${hot.blobId}`)).status).toBe(200);
      expect((await send(busy.url, route, hot)).status).toBe(route.status);
      warm.set(route.name, hot);
      cold.set(route.name, await storeSubject(a));
    }
  });
  afterAll(async () => {
    await busy?.stop();
    busyDir.remove();
  });

  it('serves memory hits on every route (never 429, no node request) and refuses cold reads with 429', async () => {
    const occupant = await storeSubject(a);
    const reconstructions = async () =>
      ((await call(busy.url, '/status')).json() as { reconstructions: { active: number } }).reconstructions
        .active;
    await faultAll(a.devnet, 'slow', 2000);
    try {
      const held = call(busy.url, `/v1/blobs/${occupant.blobId}`, { timeoutMs: 30_000 });
      expect(await waitFor(async () => (await reconstructions()) === 1, 5000)).toBe(true);
      for (const route of routes) {
        const [hit, requests] = await counted(a, () => send(busy.url, route, warm.get(route.name)!));
        expectServed(hit, route, warm.get(route.name)!, 'HIT-MEMORY');
        expect(requests, route.name).toBe(0);
        const refused = await send(busy.url, route, cold.get(route.name)!);
        expect(refused.status, route.name).toBe(429);
        if (route.method === 'GET') expectError(refused, 429, 'TOO_MANY_RECONSTRUCTIONS');
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      expect((await held).status).toBe(200);
    } finally {
      await faultAll(a.devnet, 'ok');
    }
  });
});

describe('when the chain cannot be asked about a blob object', () => {
  it('answers 503 BLOB_UNAVAILABLE naming the cause on by-object-id and concat, never a 500', async () => {
    const devnet = await startTestDevnet({ nodes: 4, shards: 10 });
    const stored = await storeOnDevnet(devnet, randomBytes(500, 990));
    const dir = tempDir('read-stack-chainless');
    const edge = await startEdge(
      loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dir.path, DEVNET_DIR: devnet.dir }),
    );
    try {
      expect((await call(edge.url, `/v1/blobs/by-object-id/${stored.objectId}`)).status).toBe(200);
      // The whole devnet goes away, its chain with it: the object cannot be looked up.
      await devnet.stop();
      for (const path of [
        `/v1/blobs/by-object-id/${unknownObjectId(991)}`,
        `/v1alpha/blobs/concat?ids=${unknownObjectId(992)}`,
      ]) {
        const answer = await call(edge.url, path);
        expectError(answer, 503, 'BLOB_UNAVAILABLE');
        expect(answer.text(), path).toMatch(/blob object could not be looked up: .+/);
      }
    } finally {
      await edge.stop();
      dir.remove();
    }
  });
});
