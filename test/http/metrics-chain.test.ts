// The edge's dealings with Sui and its money, in metrics, against witnesses that are not the edge: a
// grpc-web proxy in front of the devnet's Sui endpoint that fails calls on purpose and records which
// (walrus_edge_sui_errors_total by RPC, and the committee's age while Sui is away), and the publisher
// wallet's balances on the chain (the WAL and gas its uploads cost), read by the test's own client.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';
import { grew, scrape } from '../support/metrics-text.ts';
import { publisherWallet, walletBalances } from '../support/publishing.ts';
import { devnetDirVia, startSuiProxy, type SuiProxy } from '../support/sui-proxy.ts';
import { waitFor } from './http-helpers.ts';

const ADMIN = 'admin-token-for-metrics-chain-tests';
const dir = tempDir('metrics-chain');
let devnet: RunningDevnet;
let proxy: SuiProxy;
let edge: RunningEdge;
const metrics = () => scrape(`${edge.url}/metrics`);

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
  proxy = await startSuiProxy(devnet.suiUrl);
  edge = await startEdge(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: join(dir.path, 'edge'),
      DEVNET_DIR: devnetDirVia(devnet.dir, join(dir.path, 'via-proxy'), proxy.url),
      PUBLISHER_SUB_WALLETS: '0',
      PUBLISHER_AUTH: 'api-key',
      ADMIN_TOKEN: ADMIN,
      SUI_EVENT_POLL_MS: '250',
    }),
  );
}, 120_000);

afterAll(async () => {
  await edge?.stop();
  await proxy?.close();
  await devnet?.stop();
  dir.remove();
});

/** The proxy's record, by the label the edge uses: BatchGetObjects → batch_get_objects. */
function byOperation(failed: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(failed).map(([rpc, count]) => [
      rpc.replace(/[A-Z]/g, (letter, at: number) => (at > 0 ? '_' : '') + letter.toLowerCase()),
      count,
    ]),
  );
}

async function paidAccount(uploadsPerMinute: number): Promise<string> {
  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status, path).toBeLessThan(300);
    return (await response.json()) as { id: string; apiKey: string };
  };
  const account = await admin('/v1/admin/accounts', { name: 'metrics', uploadsPerMinute });
  await admin(`/v1/admin/accounts/${account.id}/credit`, { amountFrost: String(10n ** 13n) });
  return account.apiKey;
}

const upload = (apiKey: string, seed: number) =>
  fetch(`${edge.url}/v1/blobs?epochs=2`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}` },
    body: randomBytes(10_000, seed) as Uint8Array<ArrayBuffer>,
  });

describe('money', () => {
  it("counts the WAL and the gas uploads cost as the wallet's balances on chain fell, and the uploads a key's rate refused", async () => {
    const apiKey = await paidAccount(1);
    const wallet = publisherWallet(join(dir.path, 'edge')).address;
    const before = await metrics();
    const held = await walletBalances(devnet, wallet);
    const first = await upload(apiKey, 1);
    expect(first.status, await first.clone().text()).toBe(200);
    const second = await upload(apiKey, 2);
    expect(second.status).toBe(429);
    expect(
      ((await second.json()) as { error: { details: { reason: string }[] } }).error.details[0]!.reason,
    ).toBe('RATE_LIMITED');
    const left = await walletBalances(devnet, wallet);
    const after = await metrics();
    expect(held.wal - left.wal).toBeGreaterThan(0n);
    expect(grew(before, after, 'walrus_edge_publish_cost_frost_total')).toBe(Number(held.wal - left.wal));
    expect(held.sui - left.sui).toBeGreaterThan(0n);
    expect(grew(before, after, 'walrus_edge_publish_gas_mist_total')).toBe(Number(held.sui - left.sui));
    expect(grew(before, after, 'walrus_edge_requests_rejected_total', { reason: 'rate_limited' })).toBe(1);
  });
});

describe('Sui failing', () => {
  it('counts every call Sui failed, by RPC, as the proxy failed them; the committee ages meanwhile', async () => {
    const before = await metrics();
    expect(before.sum('walrus_edge_committee_age_seconds')).toBeLessThan(5);
    const failingSince = Date.now();
    proxy.fail(() => true);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const scrapeStarted = Date.now();
    const during = await metrics();
    const scrapeEnded = Date.now();
    const age = during.sum('walrus_edge_committee_age_seconds');
    proxy.fail(undefined);
    // Sui last confirmed the committee before the proxy began failing, and at most one check
    // interval (2 s on a devnet) before.
    expect(age).toBeGreaterThanOrEqual((scrapeStarted - failingSince) / 1000);
    expect(age).toBeLessThan((scrapeEnded - failingSince) / 1000 + 2.5);
    const failed = byOperation(proxy.failed());
    expect(failed.list_events).toBeGreaterThan(3);
    expect(failed.batch_get_objects).toBeGreaterThan(0);
    // Once Sui answers again the committee is confirmed at the next check.
    expect(
      await waitFor(async () => (await metrics()).sum('walrus_edge_committee_age_seconds') < 2.5, 10_000),
    ).toBe(true);
    const after = await metrics();
    for (const [operation, count] of Object.entries(failed))
      expect(grew(before, after, 'walrus_edge_sui_errors_total', { operation }), operation).toBe(count);
    expect(grew(before, after, 'walrus_edge_sui_errors_total')).toBe(
      Object.values(failed).reduce((a, b) => a + b, 0),
    );
  });

  it('counts a transaction Sui refused', async () => {
    const apiKey = await paidAccount(100);
    const before = await metrics();
    const failedBefore = proxy.failed().ExecuteTransaction ?? 0;
    proxy.fail((rpc) => rpc === 'ExecuteTransaction');
    try {
      const refused = await upload(apiKey, 3);
      expect(refused.status).toBeGreaterThanOrEqual(500);
    } finally {
      proxy.fail(undefined);
    }
    const refusals = (proxy.failed().ExecuteTransaction ?? 0) - failedBefore;
    expect(refusals).toBeGreaterThan(0);
    const after = await metrics();
    expect(grew(before, after, 'walrus_edge_sui_errors_total', { operation: 'execute_transaction' })).toBe(
      refusals,
    );
  });
});
