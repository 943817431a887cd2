// When Sui cannot be reached, as an operator meets it: the edge still starts and listens, answers reads
// with a 503 that names the endpoint and the cause in one line, logs messages rather than stacks, and
// shows the Sui URL, the Walrus objects and the last error on /status and /readyz. A Sui that accepts
// and never answers holds no read past the deadline. And once a committee is known, the edge keeps
// serving (that committee, cached blobs) while Sui fails, and /readyz says so.
// The Sui endpoints are local stand-ins for unreachable ones: a port nobody listens on, a server that
// accepts and never answers, and the devnet's Sui stand-in switched to hanging.
import { EDGE_NODE_FLAGS } from '../../src/node-flags.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { createSuiStandIn } from '../../src/devnet/sui-standin.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { WALRUS_MAINNET } from '../../src/network/committees/sui-committee.ts';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import type { SuiReader } from '../../src/network/sui/sui-client.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { waitFor } from '../http/http-helpers.ts';
import { nodeReadsDuring } from '../support/witnesses.ts';

const BLOB_ID = 'M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk';
const servers: Server[] = [];
const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
  for (const dir of dirs) dir.remove();
});

async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return `http://127.0.0.1:${port}`;
}

async function hangingServer(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer(() => void (requests += 1));
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

const json = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const errorMessage = (body: Record<string, unknown>) => (body.error as { message: string }).message;

describe('NETWORK=mainnet with no route to Sui, run as `npm start` runs it', () => {
  let child: ChildProcess;
  const lines: Record<string, unknown>[] = [];
  let edgeUrl: string;
  let suiUrl: string;

  beforeAll(async () => {
    suiUrl = await refusingUrl();
    const dir = tempDir('no-sui');
    dirs.push(dir);
    child = spawn(process.execPath, [...EDGE_NODE_FLAGS, 'src/main.ts'], {
      env: {
        ...process.env,
        NETWORK: 'mainnet',
        SUI_RPC_URL: suiUrl,
        HTTP_WORKERS: '1',
        PORT: '0',
        DATA_DIR: dir.path,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const listening = new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (entry.msg === 'walrus-edge listening') resolve(entry.url as string);
      });
      child.once('exit', (code) => reject(new Error(`the edge exited with ${code}`)));
    });
    edgeUrl = await listening;
  }, 30_000);
  afterAll(() => {
    child?.kill();
  });

  it('listens, and answers reads with a 503 naming the endpoint and the cause', async () => {
    const response = await fetch(`${edgeUrl}/v1/blobs/${BLOB_ID}`);
    expect(response.status).toBe(503);
    const message = errorMessage((await response.json()) as Record<string, unknown>);
    expect(message).toMatch(
      new RegExp(`^the storage committee is not known yet: Sui at ${suiUrl}: .*ECONNREFUSED`),
    );
    expect(message).not.toContain('\n');
  });

  it('logs one-line messages, never a stack', async () => {
    const warnings = lines.filter((entry) => entry.level === 40);
    expect(warnings.length).toBeGreaterThan(0);
    for (const warning of warnings) {
      expect(warning.err).toBeUndefined();
      expect(warning.error).toMatch(new RegExp(`^Sui at ${suiUrl}: `));
      expect(JSON.stringify(warning)).not.toMatch(/\\n\s+at /);
    }
  });

  it('shows the Sui URL, the Walrus objects and the last error on /readyz and /status', async () => {
    const ready = await json(`${edgeUrl}/readyz`);
    expect(ready.status).toBe(503);
    const sui = ready.body.sui as Record<string, unknown> & { lastError: { message: string; at: string } };
    expect(sui).toMatchObject({
      url: suiUrl,
      systemObjectId: WALRUS_MAINNET.systemObjectId,
      stakingObjectId: WALRUS_MAINNET.stakingObjectId,
      lastSuccessAt: null,
      committeeLoadedAt: null,
    });
    expect(sui.lastError.message).toMatch(new RegExp(`^Sui at ${suiUrl}: .*ECONNREFUSED`));
    expect(Date.now() - Date.parse(sui.lastError.at)).toBeLessThan(60_000);
    expect(ready.body.degraded).toMatch(/^the storage committee is not known yet: Sui at /);

    const status = await json(`${edgeUrl}/status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ network: 'mainnet', epoch: null, sui: { url: suiUrl } });
  });
});

describe('a Sui endpoint that accepts and never answers', () => {
  let edge: RunningEdge;
  let sui: Awaited<ReturnType<typeof hangingServer>>;

  beforeAll(async () => {
    sui = await hangingServer();
    const dir = tempDir('hung-sui');
    dirs.push(dir);
    const started = performance.now();
    edge = await startEdge(
      loadConfig({
        PORT: '0',
        DATA_DIR: dir.path,
        NETWORK: 'mainnet',
        SUI_RPC_URL: sui.url,
        SUI_REQUEST_TIMEOUT_MS: '300',
        LOG_LEVEL: 'silent',
      }),
    );
    // Start-up waited for one committee read at most, bounded by the deadline.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
  afterAll(async () => {
    await edge?.stop();
  });

  it('holds no read past the deadline', async () => {
    const started = performance.now();
    const response = await fetch(`${edge.url}/v1/blobs/${BLOB_ID}`);
    const body = (await response.json()) as Record<string, unknown>;
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(response.status).toBe(503);
    expect(errorMessage(body)).toBe(
      `the storage committee is not known yet: Sui at ${sui.url}: no answer within 300 ms`,
    );
    expect(sui.requests()).toBeGreaterThan(0);
  });

  it('names the endpoint and objects an embedding program hands in (EdgeOverrides.sui.url)', async () => {
    const url = await refusingUrl();
    const dir = tempDir('override-url');
    dirs.push(dir);
    const ids = { systemObjectId: `0x${'5'.repeat(64)}`, stakingObjectId: `0x${'6'.repeat(64)}` };
    const other = await startEdge(
      loadConfig({ PORT: '0', DATA_DIR: dir.path, NETWORK: 'testnet', LOG_LEVEL: 'silent' }),
      { sui: { url, ...ids } },
    );
    try {
      const status = await json(`${other.url}/status`);
      expect(status.body.sui).toMatchObject({ url, ...ids });
      const response = await fetch(`${other.url}/v1/blobs/${BLOB_ID}`);
      expect(response.status).toBe(503);
      expect(errorMessage((await response.json()) as Record<string, unknown>)).toMatch(
        new RegExp(`^the storage committee is not known yet: Sui at ${url}: .*ECONNREFUSED`),
      );
    } finally {
      await other.stop();
    }
  });

  it('holds no blob-object read past the deadline either', async () => {
    const started = performance.now();
    const response = await fetch(`${edge.url}/v1/blobs/by-object-id/0x${'ab'.repeat(32)}`);
    await response.arrayBuffer();
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(response.status).not.toBe(200);
  });
});

describe('Sui failing after the committee was read', () => {
  let devnet: RunningDevnet;
  let edge: RunningEdge;
  let hanging = false;

  beforeAll(async () => {
    devnet = await startTestDevnet({ nodes: 11, shards: 100 });
    const chain = new DevnetChainClient(devnet.chainUrl);
    const standIn = createSuiStandIn(devnet.committee, {
      chainEvents: async (after, limit) => (await chain.events(after, limit)).events,
      chainBlob: (objectId) => chain.blob(objectId).catch(() => undefined),
    });
    // The stand-in, switchable to a Sui that never answers (and ignores the abort signal, too).
    const never = () => new Promise<never>(() => {});
    const client: SuiReader = {
      core: {
        getObjects: (options) => (hanging ? never() : standIn.client.core.getObjects(options)),
        listEvents: (options) => (hanging ? never() : standIn.client.core.listEvents(options)),
      },
    };
    const dir = tempDir('sui-fails');
    dirs.push(dir);
    edge = await startEdge(
      loadConfig({
        PORT: '0',
        DATA_DIR: dir.path,
        NETWORK: 'testnet',
        LOG_LEVEL: 'silent',
        SUI_EVENT_POLL_MS: '100',
        SUI_REQUEST_TIMEOUT_MS: '300',
      }),
      {
        sui: {
          client,
          systemObjectId: standIn.systemObjectId,
          stakingObjectId: standIn.stakingPoolId,
          urlScheme: 'http',
        },
      },
    );
  });
  afterAll(async () => {
    await edge?.stop();
    await devnet?.stop();
  });

  it('serves the last known committee and cached blobs, and /readyz says so', async () => {
    const cached = await storeOnDevnet(devnet, new TextEncoder().encode('read before Sui failed'));
    const first = await fetch(`${edge.url}/v1/blobs/${cached.blobId}`);
    expect(await first.text()).toBe('read before Sui failed');
    const inMemory = async () => {
      const response = await fetch(`${edge.url}/v1/blobs/${cached.blobId}`);
      await response.arrayBuffer();
      return response.headers.get('x-cache') === 'HIT-MEMORY';
    };
    expect(await waitFor(inMemory, 5_000)).toBe(true);
    const readyBefore = await json(`${edge.url}/readyz`);
    expect(readyBefore.status).toBe(200);
    expect(readyBefore.body.degraded).toBeUndefined();

    hanging = true;
    // The event follower asks Sui every 100 ms: its failure shows within a deadline or two.
    const failing = async () => ((await json(`${edge.url}/readyz`)).body.degraded as string) !== undefined;
    expect(await waitFor(failing, 5_000)).toBe(true);
    const ready = await json(`${edge.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.ready).toBe(true);
    expect(ready.body.degraded).toMatch(
      /^Sui is failing \(Sui at an in-process Sui client: no answer within 300 ms, at .+\); serving the committee of epoch 1 read at .+ and cached blobs$/,
    );

    // A cached blob costs the nodes nothing; a blob never read before comes from the nodes of the
    // committee read earlier.
    const hit = await nodeReadsDuring(devnet, async () => {
      const response = await fetch(`${edge.url}/v1/blobs/${cached.blobId}`);
      return { status: response.status, cache: response.headers.get('x-cache'), text: await response.text() };
    });
    expect(hit.result).toEqual({ status: 200, cache: 'HIT-MEMORY', text: 'read before Sui failed' });
    expect(hit.reads).toEqual({ metadata: 0, sliver: 0 });
    const fresh = await storeOnDevnet(devnet, new TextEncoder().encode('stored while Sui hangs'));
    const started = performance.now();
    const response = await fetch(`${edge.url}/v1/blobs/${fresh.blobId}`);
    expect({ status: response.status, text: await response.text() }).toEqual({
      status: 200,
      text: 'stored while Sui hangs',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
