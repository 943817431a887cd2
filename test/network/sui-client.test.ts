// Sui over gRPC: the client the edge builds for testnet and mainnet, and the wrapper that gives every
// call a deadline and a one-line error naming the endpoint. The public full nodes cannot be reached
// from here, so the first request is caught by an injected fetch (which answers with an error) and
// the failures are played by local HTTP servers: one that refuses, one that accepts and never answers.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { loadConfig } from '../../src/config.ts';
import { WALRUS_MAINNET, WALRUS_TESTNET } from '../../src/network/committees/sui-committee.ts';
import {
  SUI_FULLNODE_GRPC_URLS,
  SuiUnavailableError,
  displayedSuiUrl,
  oneLineMessage,
  suiClientFor,
  watchedSuiClient,
} from '../../src/network/sui/sui-client.ts';

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

/** A local server that accepts every request and never answers; counts what it received. */
async function hangingServer(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer(() => void (requests += 1));
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

/** A loopback port nothing listens on (bound, then closed). */
async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return `http://127.0.0.1:${port}`;
}

/** The URL of the first request a client sends, answered locally with HTTP 503. */
async function firstRequestOf(
  config: ReturnType<typeof loadConfig>,
): Promise<{ url: string; error: unknown }> {
  const seen: string[] = [];
  const fetchStub: typeof fetch = async (input) => {
    seen.push(input instanceof Request ? input.url : String(input));
    return new Response('not from here', { status: 503 });
  };
  const { client } = suiClientFor(config as { NETWORK: 'mainnet' | 'testnet'; SUI_RPC_URL?: string }, {
    fetch: fetchStub,
  });
  const error = await client.core
    .getObjects({ objectIds: [WALRUS_MAINNET.systemObjectId], include: { content: true } })
    .then(
      () => undefined,
      (failure: unknown) => failure,
    );
  return { url: seen[0]!, error };
}

describe('the Sui client of a configuration', () => {
  it('is a SuiGrpcClient at the public full node of NETWORK, unless SUI_RPC_URL names another', async () => {
    const mainnet = loadConfig({ NETWORK: 'mainnet' });
    const testnet = loadConfig({ NETWORK: 'testnet' });
    const custom = loadConfig({ NETWORK: 'mainnet', SUI_RPC_URL: 'https://sui.example.net:9000' });
    for (const config of [mainnet, testnet, custom]) {
      const built = suiClientFor(config as { NETWORK: 'mainnet' | 'testnet'; SUI_RPC_URL?: string });
      expect(built.client).toBeInstanceOf(SuiGrpcClient);
      expect(built.client.network).toBe(config.NETWORK);
    }
    expect(suiClientFor({ NETWORK: 'mainnet' }).url).toBe('https://fullnode.mainnet.sui.io:443');
    expect(suiClientFor({ NETWORK: 'testnet' }).url).toBe('https://fullnode.testnet.sui.io:443');
    expect(SUI_FULLNODE_GRPC_URLS).toEqual({
      mainnet: 'https://fullnode.mainnet.sui.io:443',
      testnet: 'https://fullnode.testnet.sui.io:443',
    });

    // What goes on the wire: a grpc-web POST to <baseUrl>/sui.rpc.v2.LedgerService/BatchGetObjects.
    const batchGet = '/sui.rpc.v2.LedgerService/BatchGetObjects';
    const first = await firstRequestOf(mainnet);
    expect(first.url).toBe(`https://fullnode.mainnet.sui.io:443${batchGet}`);
    expect(first.error).toBeInstanceOf(Error); // the local 503 is an error, not objects
    expect((await firstRequestOf(testnet)).url).toBe(`https://fullnode.testnet.sui.io:443${batchGet}`);
    expect((await firstRequestOf(custom)).url).toBe(`https://sui.example.net:9000${batchGet}`);
  });

  it('keeps the cause of a failed fetch in the message, where grpc-web alone says "fetch failed"', async () => {
    const url = await refusingUrl();
    const { client } = suiClientFor({ NETWORK: 'mainnet', SUI_RPC_URL: url });
    const error = await client.core
      .getObjects({ objectIds: [WALRUS_MAINNET.systemObjectId], include: { content: true } })
      .catch((failure: unknown) => failure as Error);
    // Node's fetch says only "fetch failed" and keeps the reason in its cause; Bun's names it at once.
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('exports the Walrus objects of both networks', () => {
    expect(WALRUS_MAINNET.systemObjectId).toMatch(/^0x2134d527/);
    expect(WALRUS_TESTNET.systemObjectId).toMatch(/^0x6c2547cb/);
  });
});

describe('Sui calls, watched', () => {
  it('fail in one line naming the endpoint and the cause, and remember it', async () => {
    const url = await refusingUrl();
    const watched = watchedSuiClient(suiClientFor({ NETWORK: 'mainnet', SUI_RPC_URL: url }).client, {
      url,
      timeoutMs: 5_000,
    });
    expect(watched.health()).toEqual({ url, lastSuccessAt: null, lastError: null });
    const error = (await watched.client.core
      .getObjects({ objectIds: [WALRUS_MAINNET.systemObjectId], include: { content: true } })
      .catch((failure: unknown) => failure)) as Error;
    expect(error).toBeInstanceOf(SuiUnavailableError);
    expect(error.message).toMatch(new RegExp(`^Sui at ${url}: .*ECONNREFUSED`));
    expect(error.message).not.toContain('\n');
    const health = watched.health();
    expect(health.lastError?.message).toBe(error.message);
    expect(Date.now() - Date.parse(health.lastError!.at)).toBeLessThan(5_000);
  });

  it('give up on an endpoint that accepts and never answers at the deadline (objects and events)', async () => {
    const sui = await hangingServer();
    const watched = watchedSuiClient(suiClientFor({ NETWORK: 'testnet', SUI_RPC_URL: sui.url }).client, {
      url: sui.url,
      timeoutMs: 300,
    });
    const started = performance.now();
    const objects = (await watched.client.core
      .getObjects({ objectIds: [WALRUS_TESTNET.systemObjectId], include: { content: true } })
      .catch((failure: unknown) => failure)) as Error;
    const events = (await watched.client.core
      .listEvents({ filter: { eventType: '0x1::events' }, limit: 1 })
      .catch((failure: unknown) => failure)) as Error;
    const elapsed = performance.now() - started;
    expect(objects.message).toBe(`Sui at ${sui.url}: no answer within 300 ms`);
    expect(events.message).toBe(`Sui at ${sui.url}: no answer within 300 ms`);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(3_000);
    expect(sui.requests()).toBe(2); // the requests did reach it: the deadline, not a refusal, ended them
  });

  it("pass a caller's own abort through as it is, not as Sui's failure", async () => {
    const sui = await hangingServer();
    const watched = watchedSuiClient(suiClientFor({ NETWORK: 'testnet', SUI_RPC_URL: sui.url }).client, {
      url: sui.url,
      timeoutMs: 10_000,
    });
    const reason = new Error('the reader went away');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    const error = await watched.client.core
      .getObjects({ objectIds: ['0x1'], include: { content: true }, signal: controller.signal })
      .catch((failure: unknown) => failure);
    expect(error).toBe(reason);
    expect(watched.health().lastError).toBeNull();
  });

  it('show an endpoint without a path or credentials, which may hold an access token', () => {
    expect(displayedSuiUrl('https://fullnode.mainnet.sui.io:443')).toBe('https://fullnode.mainnet.sui.io');
    expect(displayedSuiUrl('https://user:secret@sui.example.net/TOKEN123/')).toBe(
      'https://sui.example.net/…',
    );
    expect(displayedSuiUrl('https://sui.example.net/?key=abc')).toBe('https://sui.example.net/…');
    expect(oneLineMessage(new Error('fetch failed', { cause: new Error('connect\nECONNREFUSED') }))).toBe(
      'fetch failed: connect ECONNREFUSED',
    );
  });
});

describe('src/', () => {
  it('imports no JSON-RPC client anywhere', () => {
    const files = (readdirSync('src', { recursive: true }) as string[]).filter((file) =>
      file.endsWith('.ts'),
    );
    const offenders = files.filter((file) =>
      /(from\s*|import\(\s*)['"]@mysten\/sui\/jsonRpc['"]/.test(readFileSync(join('src', file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
