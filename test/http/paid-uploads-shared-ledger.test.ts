// Paid publishing on two edge instances that share one PostgreSQL ledger (issue 12): accounts opened at
// one instance pay at the other; 50 uploads racing for a balance that covers 10 never overdraw it,
// whichever instance takes them; and one Idempotency-Key sent to both instances at the same moment is
// one upload, paid once. The two instances have their own DATA_DIR, EDGE_INSTANCE_ID and devnet
// wallet, and the same API_KEY_PEPPER and devnet.
//
// The real server at 127.0.0.1:5432, in a schema of this file's own (dropped at the end): without it
// the file fails, it never skips. Witnesses that do not ask the edge: the ledger's rows (pg, read by
// the test) and Sui (the Blob objects the instances' wallets hold, read by the official SDK).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import type { RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';
import {
  accountBalance,
  balanceFromEntries,
  blobObjectOf,
  blobObjectsOwnedBy,
  openPaidAccount,
  paidPut,
  quotedFrost,
  sponsorWallets,
  type ChainBlob,
  type EntryRow,
} from '../support/paid-publishing.ts';
import { startPublishingEdge } from '../support/publishing.ts';
import { testSchema } from '../support/postgres-schema.ts';

const ADMIN = 'admin-token-for-shared-ledger-tests';
const SIZE = 1_000;
const EPOCHS = 1;
const schema = testSchema('paid_shared');
/** Both instances' ledger: the test database, in this file's schema (its connections' search_path). */
const DATABASE_URL = schema.url();

/** The test's own connection to the ledger's tables. */
const rows = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
let devnet: RunningDevnet | undefined;
const dirs = [tempDir('paid-shared-a'), tempDir('paid-shared-b')];
let edges: RunningEdge[] = [];

beforeAll(async () => {
  await schema.create();
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
  // Started together: both migrate the one schema at the same time (the ledger serializes that).
  edges = await Promise.all(
    dirs.map((dir, i) =>
      startPublishingEdge(devnet!, dir.path, {
        PUBLISHER_AUTH: 'api-key',
        ADMIN_TOKEN: ADMIN,
        DATABASE_URL,
        API_KEY_PEPPER: 'a pepper both instances hash API keys with',
        EDGE_INSTANCE_ID: `edge-${'ab'[i]}`,
        // All of an instance's uploads race for the balance at once: none waits for a slot first,
        // none is turned away with a 429.
        PUBLISH_MAX_CONCURRENT: '25',
        PUBLISH_MAX_QUEUED: '50',
        // Quotes leave gas out, so every certified upload is charged exactly its quote (a charge is
        // never more than the quote): a credit of 10 quotes pays for exactly 10 uploads.
        PRICE_GAS_ESTIMATE_MIST: '0',
        PRICE_FLAT_FEE_FROST: '1000',
      }),
    ),
  );
}, 120_000);
afterAll(async () => {
  await Promise.all(edges.map((edge) => edge.stop()));
  await devnet?.stop();
  for (const dir of dirs) dir.remove();
  await schema.drop();
  await rows.end();
});

async function entriesOf(accountId: string): Promise<EntryRow[]> {
  const { rows: found } = await rows.query<{
    kind: EntryRow['kind'];
    amount: string;
    hold_id: string | null;
  }>('SELECT kind, amount, hold_id FROM entries WHERE account_id = $1 ORDER BY seq', [accountId]);
  return found.map((row) => ({ kind: row.kind, amount: BigInt(row.amount), holdId: row.hold_id }));
}

async function storedBalance(accountId: string): Promise<{ balance: bigint; held: bigint }> {
  const { rows: found } = await rows.query<{ balance: string; held: string }>(
    'SELECT balance, held FROM accounts WHERE id = $1',
    [accountId],
  );
  return { balance: BigInt(found[0]!.balance), held: BigInt(found[0]!.held) };
}

/** The Blob objects both instances' wallets hold, by Sui's account. */
async function instancesBlobs(): Promise<ChainBlob[]> {
  const wallets = dirs.flatMap((dir) => sponsorWallets(dir.path));
  return (await Promise.all(wallets.map((wallet) => blobObjectsOwnedBy(devnet!, wallet.address)))).flat();
}

/**
 * Samples the account's row until `stop` resolves: the lowest balance and lowest balance − held seen.
 * The database's own view while uploads race, not the edge's.
 */
async function lowestWhile(
  accountId: string,
  stop: Promise<unknown>,
): Promise<{ balance: bigint; available: bigint }> {
  let done = false;
  void stop.finally(() => (done = true));
  let lowest: { balance: bigint; available: bigint } | undefined;
  while (!done) {
    const { balance, held } = await storedBalance(accountId);
    lowest = {
      balance: lowest && lowest.balance < balance ? lowest.balance : balance,
      available: lowest && lowest.available < balance - held ? lowest.available : balance - held,
    };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return lowest!;
}

describe('two edge instances sharing one PostgreSQL ledger', () => {
  it('takes an account opened at one instance at the other, and 50 racing uploads never overdraw it', async () => {
    const [a, b] = edges as [RunningEdge, RunningEdge];
    const price = await quotedFrost(a, SIZE, EPOCHS);
    expect(await quotedFrost(b, SIZE, EPOCHS)).toBe(price);
    const credit = price * 10n;
    const account = await openPaidAccount(a, ADMIN, credit);
    expect((await accountBalance(b, account.apiKey)).availableFrost).toBe(credit);
    const blobsBefore = await instancesBlobs();

    const uploads = Array.from({ length: 50 }, (_, i) =>
      paidPut(i % 2 ? b : a, account.apiKey, randomBytes(SIZE, 7_000 + i), { epochs: EPOCHS }),
    );
    const all = Promise.all(uploads);
    const lowest = await lowestWhile(account.id, all);
    const answers = await all;

    const statuses = answers.map((answer) => answer.status);
    expect(
      statuses.filter((status) => status !== 200 && status !== 402),
      JSON.stringify(statuses),
    ).toEqual([]);
    const paid = answers.filter((answer) => answer.status === 200);
    expect(paid).toHaveLength(10);
    for (const refused of answers.filter((answer) => answer.status === 402))
      expect(refused.reason).toBe('INSUFFICIENT_BALANCE');
    expect(lowest.balance).toBeGreaterThanOrEqual(0n);
    expect(lowest.available).toBeGreaterThanOrEqual(0n);

    // The ledger: one hold and one settle at the quote per 200, nothing for a 402; totals = entries.
    const entries = await entriesOf(account.id);
    const settles = entries.filter((e) => e.kind === 'settle' && e.amount > 0n);
    expect(settles).toHaveLength(paid.length);
    expect(settles.every((e) => e.amount === price)).toBe(true);
    expect(entries.filter((e) => e.kind === 'hold')).toHaveLength(paid.length);
    expect(entries.filter((e) => e.kind === 'release')).toEqual([]);
    const stored = await storedBalance(account.id);
    expect(stored).toEqual(balanceFromEntries(entries));
    expect(stored).toEqual({ balance: credit - price * BigInt(paid.length), held: 0n });
    for (const edge of edges) {
      const seen = await accountBalance(edge, account.apiKey);
      expect(seen.availableFrost).toBeGreaterThanOrEqual(0n);
      expect(seen.balanceFrost).toBe(stored.balance);
    }

    // Sui: exactly one new certified Blob object per 200, the one its answer names.
    const before = new Set(blobsBefore.map((blob) => blob.objectId));
    const created = (await instancesBlobs()).filter((blob) => !before.has(blob.objectId));
    expect(created.every((blob) => blob.certified)).toBe(true);
    expect(created.map((blob) => blob.objectId).sort()).toEqual(
      paid.map((answer) => blobObjectOf(answer.json)).sort(),
    );
  });

  it('answers one Idempotency-Key sent to both instances at the same moment with one upload, paid once', async () => {
    const [a, b] = edges as [RunningEdge, RunningEdge];
    const price = await quotedFrost(a, SIZE, EPOCHS);
    const account = await openPaidAccount(b, ADMIN, price * 3n);
    const blobsBefore = await instancesBlobs();
    const data = randomBytes(SIZE, 8_000);
    const key = `shared-${crypto.randomUUID()}`;
    const answers = await Promise.all(
      [a, b].map((edge) => paidPut(edge, account.apiKey, data, { epochs: EPOCHS, idempotencyKey: key })),
    );
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const objects = answers.map((answer) => blobObjectOf(answer.json));
    expect(objects[0]).toBeDefined();
    expect(objects[1]).toBe(objects[0]);
    expect(answers.filter((answer) => answer.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);

    const entries = await entriesOf(account.id);
    expect(entries.filter((e) => e.kind === 'hold')).toHaveLength(1);
    expect(entries.filter((e) => e.kind === 'settle' && e.amount > 0n)).toHaveLength(1);
    expect(await storedBalance(account.id)).toEqual({ balance: price * 2n, held: 0n });

    const before = new Set(blobsBefore.map((blob) => blob.objectId));
    const created = (await instancesBlobs()).filter((blob) => !before.has(blob.objectId));
    // Both answers are the first copy's newlyCreated (the other one replayed it).
    const blobId = answers[0]!.json.newlyCreated?.blobObject.blobId;
    expect(answers[1]!.json.newlyCreated?.blobObject.blobId).toBe(blobId);
    expect(created).toEqual([{ objectId: objects[0], blobId, certified: true }]);
  });
});
