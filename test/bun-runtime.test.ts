// The edge on Bun, as `npm run start:bun` runs it: `bun src/main.ts` on its embedded devnet (storage
// nodes, Sui endpoint and faucet in the same Bun process), with its publisher and read stack. Bun
// 1.4.5 (the @oven/bun-linux-x64 devDependency) documents node:http, node:worker_threads and
// node:sqlite as implemented (checked 2026-12-01); the one thing the edge had to change was how it
// loads undici (src/network/transport/undici-package.ts).
//
// Witnesses that do not ask the edge: the kernel (which binary the process runs), the official Rust
// encoder (@mysten/walrus-wasm: the blob ID of the bytes), the storage nodes themselves (the bytes
// they hold, read straight from them, and the requests they counted), and package.json (the script).
import { randomBytes as randomSeed } from 'node:crypto';
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Committee } from '../src/network/committee.ts';
import { oracleEncode, randomBytes } from './protocol/oracle.ts';
import { BUN } from './support/bun.ts';
import { readSystematic, tempDir } from './support/devnet.ts';
import { startEdgeProcess, type EdgeProcess } from './support/edge-process.ts';
import { nodeReadsDuring } from './support/witnesses.ts';

const ROOT = join(import.meta.dirname, '..');
const dataDir = tempDir('bun');
let edge: EdgeProcess | undefined;
let committee: Committee;

beforeAll(async () => {
  // A small embedded devnet keeps a publish to seconds on a busy machine (1000 shards: 15-30 s there).
  // No warming on publish: the first read after it must be a real reconstruction from the nodes.
  edge = await startEdgeProcess(
    {
      DATA_DIR: dataDir.path,
      DEVNET_NODES: '4',
      DEVNET_SHARDS: '10',
      PUBLISH_WARM_CACHE: 'false',
      ACCESS_LOG: 'false',
    },
    { runtime: BUN },
  );
  committee = JSON.parse(readFileSync(join(dataDir.path, 'devnet', 'committee.json'), 'utf8')) as Committee;
});
afterAll(async () => {
  await edge?.stop();
  dataDir.remove();
});

describe('walrus-edge on Bun (npm run start:bun)', () => {
  it('runs src/main.ts on the Bun binary of the devDependency, as the npm script says', () => {
    expect(realpathSync(readlinkSync(`/proc/${edge!.child.pid}/exe`))).toBe(realpathSync(BUN));
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts['start:bun']).toBe(`${relative(ROOT, BUN)} src/main.ts`);
  });

  it('answers /status with its embedded devnet', async () => {
    const response = await fetch(`${edge!.url}/status`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      service: 'walrus-edge',
      network: 'devnet',
      nShards: 10,
      storageNodes: 4,
    });
    expect(committee.nodes).toHaveLength(4);
  });

  it('publishes a blob that the storage nodes hold, then serves it: a miss from the nodes, then a hit', async () => {
    // New bytes every run, reproducible from the seed in a failure message.
    const seed = randomSeed(4).readUInt32BE(0);
    const data = randomBytes(64 * 1024, seed);
    const expectedId = Buffer.from(oracleEncode(data, committee.nShards).blobId).toString('base64url');

    const put = await fetch(`${edge!.url}/v1/blobs?epochs=2`, {
      method: 'PUT',
      body: data as Uint8Array<ArrayBuffer>,
    });
    expect(put.status, `seed ${seed}`).toBe(200);
    const published = (await put.json()) as { newlyCreated: { blobObject: { blobId: string } } };
    expect(published.newlyCreated.blobObject.blobId).toBe(expectedId);
    // The nodes hold it: metadata and primary slivers read from them directly, without the edge.
    expect(Buffer.from(await readSystematic(committee, expectedId)).equals(data)).toBe(true);

    const miss = await nodeReadsDuring({ committee }, async () => {
      const response = await fetch(`${edge!.url}/v1/blobs/${expectedId}`);
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    });
    expect(miss.result.status).toBe(200);
    expect(Buffer.from(miss.result.body).equals(data)).toBe(true);
    expect(miss.reads.metadata).toBeGreaterThan(0);
    expect(miss.reads.sliver).toBeGreaterThan(0);

    const hit = await nodeReadsDuring({ committee }, async () => {
      const response = await fetch(`${edge!.url}/v1/blobs/${expectedId}`);
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    });
    expect(hit.result.status).toBe(200);
    expect(Buffer.from(hit.result.body).equals(data)).toBe(true);
    expect(hit.reads).toEqual({ metadata: 0, sliver: 0 });
  });

  it('answers a malformed blob ID with an AIP-193 400, not a 500', async () => {
    const response = await fetch(`${edge!.url}/v1/blobs/not-a-blob-id`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: number; status: string } };
    expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
  });
});
