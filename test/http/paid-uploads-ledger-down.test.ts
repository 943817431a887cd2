// The ledger's database going away under a running edge (PostgreSQL behind a TCP relay the test cuts):
// /readyz says `ledger: down` and why it is degraded, paid uploads are refused 503 (nothing spent on
// chain: the sponsor's balances by Sui stay as they were), reads keep working; with the relay back the
// edge is whole again. The real server at 127.0.0.1:5432, in a schema of this file's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import type { RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { openPaidAccount, paidPut } from '../support/paid-publishing.ts';
import { publisherWallet, startPublishingEdge, walletBalances } from '../support/publishing.ts';
import { testSchema } from '../support/postgres-schema.ts';
import { startTcpRelay, type TcpRelay } from '../support/tcp-relay.ts';

const ADMIN = 'admin-token-for-ledger-down-tests';
const schema = testSchema('paid_down');

let relay: TcpRelay | undefined;
const dir = tempDir('paid-ledger-down');
let devnet: RunningDevnet | undefined;
let edge: RunningEdge | undefined;

beforeAll(async () => {
  await schema.create();
  relay = await startTcpRelay({ host: '127.0.0.1', port: 5432 });
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
  edge = await startPublishingEdge(devnet, dir.path, {
    PUBLISHER_AUTH: 'api-key',
    ADMIN_TOKEN: ADMIN,
    DATABASE_URL: schema.url(relay.port),
    API_KEY_PEPPER: 'a pepper for the ledger-down tests, long enough',
  });
}, 120_000);
afterAll(async () => {
  relay?.restore();
  await edge?.stop();
  await devnet?.stop();
  await relay?.close();
  dir.remove();
  await schema.drop();
});

const readiness = async () =>
  (await (await fetch(`${edge!.url}/readyz`)).json()) as { ledger?: string; degraded?: string };

describe('paid publishing while the ledger is down', () => {
  it('says so in /readyz, refuses paid uploads 503 with nothing spent, serves reads, and recovers', async () => {
    const account = await openPaidAccount(edge!, ADMIN, 10n ** 12n);
    expect(await readiness()).toMatchObject({ ledger: 'up' });
    expect((await paidPut(edge!, account.apiKey, randomBytes(2_000, 41), { epochs: 1 })).status).toBe(200);
    const { blobId } = await storeOnDevnet(devnet!, randomBytes(3_000, 42));
    const sponsor = publisherWallet(dir.path).address;

    // Every ledger operation's failures and every paid outcome are exported from 0, before any happened:
    // a series born with its first failure would hide that failure from increase() and the alert.
    const fresh = await (await fetch(`${edge!.url}/metrics`)).text();
    expect(fresh).toMatch(/^walrus_edge_ledger_errors_total\{operation="findApiKey"\} 0$/m);
    expect(fresh).toMatch(/^walrus_edge_ledger_errors_total\{operation="hold"\} 0$/m);
    expect(fresh).toMatch(/^walrus_edge_paid_uploads_total\{outcome="sponsor-short"\} 0$/m);
    expect(fresh).toMatch(/^walrus_edge_paid_uploads_total\{outcome="newly-created"\} 1$/m);

    relay!.cut();
    const down = await readiness();
    expect(down.ledger).toBe('down');
    expect(down.degraded).toMatch(/ledger/);
    const before = await walletBalances(devnet!, sponsor);
    const refused = await paidPut(edge!, account.apiKey, randomBytes(2_000, 43), { epochs: 1 });
    expect(refused.status).toBe(503);
    expect(refused.reason).toBe('LEDGER_UNAVAILABLE');
    expect((await walletBalances(devnet!, sponsor)).all).toEqual(before.all);
    const read = await fetch(`${edge!.url}/v1/blobs/${blobId}`);
    expect(read.status).toBe(200);
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(randomBytes(3_000, 42));

    // /metrics still answers (the open-holds gauge does not wait on the dead database), and counts the failure.
    const scraped = await fetch(`${edge!.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await scraped.text();
    expect(
      Number(/^walrus_edge_ledger_errors_total\{operation="findApiKey"\} (\d+)/m.exec(text)?.[1]),
    ).toBeGreaterThan(0);
    expect(text).toMatch(/^walrus_edge_ledger_open_holds 0$/m);

    relay!.restore();
    expect(await readiness()).toMatchObject({ ledger: 'up' });
    expect((await paidPut(edge!, account.apiKey, randomBytes(2_000, 44), { epochs: 1 })).status).toBe(200);
  });
});
