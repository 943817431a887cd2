// The one test suite both ledger backends pass (sqlite-ledger.test.ts, postgres-ledger.test.ts).
// What it proves is read back from the database's own rows with raw SQL (the backend's `sql`), not
// from what the ledger says about itself. Tests share one store per file, so each makes its own
// accounts, owners and digests; "another instance" is a second Ledger opened on the same store
// (another connection; for PostgreSQL another pool, as a second edge instance would have).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HoldClosedError,
  UnknownAccountError,
  type Hold,
  type Ledger,
} from '../../../src/publish/ledger/ledger.ts';
import { ledgerMigrations, type LedgerMigration } from '../../../src/publish/ledger/migrations.ts';

type Row = Record<string, unknown>;

/**
 * A database reached without the ledger. `$1, $2, …` are the parameters in both dialects; a Date
 * parameter is the backend's own time type.
 */
export interface RawStore {
  sql(text: string, values?: unknown[]): Promise<Row[]>;
}

export interface LedgerBackend extends RawStore {
  /** Another Ledger instance on this file's store. */
  open(): Promise<Ledger>;
  /** A fresh, empty store of its own and the backend's migration runner on it. */
  scratch(): Promise<RawStore & { migrate(migrations: readonly LedgerMigration[]): Promise<number[]> }>;
}

const frost = (value: unknown) => BigInt(String(value));
const unique = (what: string) => `${what}-${crypto.randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function ledgerSuite(name: 'sqlite' | 'postgres', backend: LedgerBackend): void {
  describe(`the ${name} ledger`, () => {
    let ledger: Ledger;
    /** A second instance on the same store, open for the whole file. */
    let other: Ledger;

    beforeAll(async () => {
      ledger = await backend.open();
      other = await backend.open();
    });
    afterAll(async () => {
      await ledger?.close();
      await other?.close();
    });

    async function fundedAccount(amount: bigint) {
      const account = await ledger.createAccount({ name: unique('account') });
      if (amount > 0n) await ledger.credit(account.id, amount, { note: 'test funds' });
      return account;
    }

    const storedTotals = async (accountId: string) => {
      const [row] = await backend.sql('SELECT balance, held FROM accounts WHERE id = $1', [accountId]);
      return { balance: frost(row!.balance), held: frost(row!.held) };
    };
    const entryRows = async (accountId: string) =>
      (
        await backend.sql('SELECT kind, amount, hold_id FROM entries WHERE account_id = $1 ORDER BY seq', [
          accountId,
        ])
      ).map((row) => ({ kind: row.kind, amount: frost(row.amount), holdId: row.hold_id ?? undefined }));
    const closingEntries = async (holdId: string) =>
      (
        await backend.sql("SELECT kind, amount FROM entries WHERE hold_id = $1 AND kind <> 'hold'", [holdId])
      ).map((row) => ({ kind: row.kind, amount: frost(row.amount) }));

    it('is the backend it says', () => {
      expect(ledger.kind).toBe(name);
    });

    describe('accounts', () => {
      it('creates, finds and lists accounts with their limits and balances', async () => {
        const before = Date.now();
        const limited = await ledger.createAccount({
          name: 'limited',
          maxUploadBytes: 10 * 1024 * 1024,
          uploadsPerMinute: 30,
        });
        const plain = await ledger.createAccount({ name: 'plain' });
        await ledger.credit(plain.id, 5n, {});
        expect(limited.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(await other.getAccount(limited.id)).toEqual(limited);
        expect(await other.getAccount(plain.id)).toEqual({
          id: plain.id,
          name: 'plain',
          createdAt: plain.createdAt,
        });
        expect(await ledger.getAccount(crypto.randomUUID())).toBeUndefined();
        const listed = await other.listAccounts();
        expect(listed).toContainEqual({ ...limited, balanceFrost: 0n, heldFrost: 0n, availableFrost: 0n });
        expect(listed).toContainEqual({ ...plain, balanceFrost: 5n, heldFrost: 0n, availableFrost: 5n });
        const [row] = await backend.sql(
          'SELECT name, max_upload_bytes, uploads_per_minute FROM accounts WHERE id = $1',
          [limited.id],
        );
        expect([row!.name, Number(row!.max_upload_bytes), Number(row!.uploads_per_minute)]).toEqual([
          'limited',
          10 * 1024 * 1024,
          30,
        ]);
      });

      it('refuses unknown accounts and bad limits', async () => {
        const nobody = crypto.randomUUID();
        await expect(ledger.credit(nobody, 1n, {})).rejects.toThrow(UnknownAccountError);
        await expect(ledger.hold(nobody, 1n, { owner: 'edge' })).rejects.toThrow(UnknownAccountError);
        await expect(ledger.balance(nobody)).rejects.toThrow(UnknownAccountError);
        await expect(ledger.history(nobody)).rejects.toThrow(UnknownAccountError);
        await expect(ledger.addApiKey(nobody, { prefix: unique('p'), hash: unique('h') })).rejects.toThrow(
          UnknownAccountError,
        );
        await expect(ledger.claimIdempotency(nobody, 'k', 'f', 'edge')).rejects.toThrow(UnknownAccountError);
        await expect(ledger.createAccount({ name: 'x', maxUploadBytes: 0 })).rejects.toThrow(RangeError);
        await expect(ledger.createAccount({ name: 'x', uploadsPerMinute: 1.5 })).rejects.toThrow(RangeError);
        expect(await backend.sql('SELECT seq FROM entries WHERE account_id = $1', [nobody])).toEqual([]);
      });
    });

    describe('money', () => {
      it('credits, holds, settles and releases with exact totals and history newest first', async () => {
        const account = await ledger.createAccount({ name: unique('arithmetic') });
        const credit = await ledger.credit(account.id, 1000n, { note: 'first top-up' });
        expect(credit.ok && credit.entry).toMatchObject({
          kind: 'credit',
          amountFrost: 1000n,
          memo: { note: 'first top-up' },
        });
        const a = await ledger.hold(account.id, 300n, { owner: 'edge-1', memo: { size: 123 } });
        const b = await ledger.hold(account.id, 200n, { owner: 'edge-1' });
        if (!a.ok || !b.ok) throw new Error('holds within the balance failed');
        expect(await ledger.balance(account.id)).toEqual({
          balanceFrost: 1000n,
          heldFrost: 500n,
          availableFrost: 500n,
        });
        const settled = await ledger.settle(a.hold.id, 250n, { receipt: { blobId: 'blob-a' } });
        expect(settled).toMatchObject({ kind: 'settle', amountFrost: 250n, holdId: a.hold.id });
        expect(await other.balance(account.id)).toEqual({
          balanceFrost: 750n,
          heldFrost: 200n,
          availableFrost: 550n,
        });
        const released = await other.release(b.hold.id, { reason: 'upload failed' });
        expect(released).toMatchObject({ kind: 'release', amountFrost: 200n, holdId: b.hold.id });
        expect(await ledger.balance(account.id)).toEqual({
          balanceFrost: 750n,
          heldFrost: 0n,
          availableFrost: 750n,
        });

        const history = await other.history(account.id);
        expect(history.map((e) => [e.kind, e.amountFrost, e.holdId])).toEqual([
          ['release', 200n, b.hold.id],
          ['settle', 250n, a.hold.id],
          ['hold', 200n, b.hold.id],
          ['hold', 300n, a.hold.id],
          ['credit', 1000n, undefined],
        ]);
        expect(history.map((e) => e.memo)).toEqual([
          { reason: 'upload failed' },
          { receipt: { blobId: 'blob-a' } },
          {},
          { size: 123 },
          { note: 'first top-up' },
        ]);
        for (let i = 1; i < history.length; i++) expect(history[i - 1]!.seq > history[i]!.seq).toBe(true);
        expect((await ledger.history(account.id, { limit: 2 })).map((e) => e.kind)).toEqual([
          'release',
          'settle',
        ]);
        expect(await ledger.history(account.id, { limit: 0 })).toEqual([]);

        // The rows: the same five entries in order, and running totals that match them.
        expect(await entryRows(account.id)).toEqual([
          { kind: 'credit', amount: 1000n, holdId: undefined },
          { kind: 'hold', amount: 300n, holdId: a.hold.id },
          { kind: 'hold', amount: 200n, holdId: b.hold.id },
          { kind: 'settle', amount: 250n, holdId: a.hold.id },
          { kind: 'release', amount: 200n, holdId: b.hold.id },
        ]);
        expect(await storedTotals(account.id)).toEqual({ balance: 750n, held: 0n });
        const holdRows = await backend.sql('SELECT id, closed_at FROM holds WHERE account_id = $1', [
          account.id,
        ]);
        expect(holdRows).toHaveLength(2);
        expect(holdRows.every((row) => row.closed_at !== null)).toBe(true);
      });

      it('keeps amounts beyond 2^53 exact', async () => {
        const account = await ledger.createAccount({ name: unique('large') });
        const big = 2n ** 62n + 1n;
        await ledger.credit(account.id, big, {});
        const held = await ledger.hold(account.id, 2n ** 61n + 3n, { owner: 'edge' });
        if (!held.ok) throw new Error('hold failed');
        await ledger.settle(held.hold.id, 2n ** 60n + 5n, {});
        const balance = big - (2n ** 60n + 5n);
        expect(await ledger.balance(account.id)).toEqual({
          balanceFrost: balance,
          heldFrost: 0n,
          availableFrost: balance,
        });
        expect(await storedTotals(account.id)).toEqual({ balance, held: 0n });
        const [row] = await backend.sql("SELECT amount FROM entries WHERE hold_id = $1 AND kind = 'settle'", [
          held.hold.id,
        ]);
        expect(String(row!.amount)).toBe((2n ** 60n + 5n).toString());
      });

      it('refuses amounts that are not whole FROST in range', async () => {
        const account = await fundedAccount(100n);
        await expect(ledger.credit(account.id, 0n, {})).rejects.toThrow(RangeError);
        await expect(ledger.credit(account.id, 2n ** 63n, {})).rejects.toThrow(RangeError);
        await expect(ledger.credit(account.id, 5 as unknown as bigint, {})).rejects.toThrow(RangeError);
        await expect(ledger.hold(account.id, -1n, { owner: 'edge' })).rejects.toThrow(RangeError);
        const held = await ledger.hold(account.id, 10n, { owner: 'edge' });
        if (!held.ok) throw new Error('hold failed');
        await expect(ledger.settle(held.hold.id, -1n, {})).rejects.toThrow(RangeError);
        expect(await entryRows(account.id)).toHaveLength(2);
        expect(await storedTotals(account.id)).toEqual({ balance: 100n, held: 10n });
      });

      it('holds nothing beyond what is available, and says what is', async () => {
        const account = await fundedAccount(100n);
        const first = await ledger.hold(account.id, 60n, { owner: 'edge' });
        expect(first.ok).toBe(true);
        expect(await other.hold(account.id, 41n, { owner: 'edge' })).toEqual({
          ok: false,
          balance: { balanceFrost: 100n, heldFrost: 60n, availableFrost: 40n },
        });
        expect((await other.hold(account.id, 40n, { owner: 'edge' })).ok).toBe(true);
        expect((await ledger.hold(account.id, 1n, { owner: 'edge' })).ok).toBe(false);
        expect(await storedTotals(account.id)).toEqual({ balance: 100n, held: 100n });
        expect((await entryRows(account.id)).map((e) => e.kind)).toEqual(['credit', 'hold', 'hold']);
      });

      it('refuses to settle more than was held, and the hold stays open', async () => {
        const account = await fundedAccount(100n);
        const held = await ledger.hold(account.id, 30n, { owner: 'edge' });
        if (!held.ok) throw new Error('hold failed');
        await expect(ledger.settle(held.hold.id, 31n, {})).rejects.toThrow(HoldClosedError);
        expect(await closingEntries(held.hold.id)).toEqual([]);
        expect(await storedTotals(account.id)).toEqual({ balance: 100n, held: 30n });
        await ledger.settle(held.hold.id, 30n, {});
        expect(await storedTotals(account.id)).toEqual({ balance: 70n, held: 0n });
      });

      it('closes a hold once: a second settle or release throws and moves no money', async () => {
        const account = await fundedAccount(100n);
        const a = await ledger.hold(account.id, 10n, { owner: 'edge' });
        const b = await ledger.hold(account.id, 20n, { owner: 'edge' });
        if (!a.ok || !b.ok) throw new Error('hold failed');
        await ledger.settle(a.hold.id, 5n, {});
        await ledger.release(b.hold.id, {});
        await expect(ledger.settle(a.hold.id, 5n, {})).rejects.toThrow(HoldClosedError);
        await expect(other.release(a.hold.id, {})).rejects.toThrow(HoldClosedError);
        await expect(other.settle(b.hold.id, 1n, {})).rejects.toThrow(HoldClosedError);
        await expect(ledger.release(b.hold.id, {})).rejects.toThrow(HoldClosedError);
        await expect(ledger.release(crypto.randomUUID(), {})).rejects.toThrow(HoldClosedError);
        expect(await closingEntries(a.hold.id)).toEqual([{ kind: 'settle', amount: 5n }]);
        expect(await closingEntries(b.hold.id)).toEqual([{ kind: 'release', amount: 20n }]);
        expect(await storedTotals(account.id)).toEqual({ balance: 95n, held: 0n });
      });

      it('lets exactly one of two racing closes of a hold win, from two instances', async () => {
        const account = await fundedAccount(1000n);
        const holds: Hold[] = [];
        for (let i = 0; i < 20; i++) {
          const held = await ledger.hold(account.id, 10n, { owner: 'edge' });
          if (!held.ok) throw new Error('hold failed');
          holds.push(held.hold);
        }
        const races = await Promise.all(
          holds.map((hold, i) =>
            Promise.allSettled([
              ledger.settle(hold.id, 7n, {}),
              i % 2 === 0 ? other.settle(hold.id, 3n, {}) : other.release(hold.id, {}),
            ]),
          ),
        );
        let charged = 0n;
        for (const [i, race] of races.entries()) {
          const won = race.filter((r) => r.status === 'fulfilled');
          expect(won).toHaveLength(1);
          const lost = race.find((r) => r.status === 'rejected');
          expect(lost?.reason).toBeInstanceOf(HoldClosedError);
          const closing = await closingEntries(holds[i]!.id);
          expect(closing).toHaveLength(1);
          if (closing[0]!.kind === 'settle') charged += closing[0]!.amount;
        }
        expect(await storedTotals(account.id)).toEqual({ balance: 1000n - charged, held: 0n });
        expect(await ledger.balance(account.id)).toEqual({
          balanceFrost: 1000n - charged,
          heldFrost: 0n,
          availableFrost: 1000n - charged,
        });
      });

      it('lets exactly 10 of 50 concurrent holds of 10 through on a balance of 100', async () => {
        const account = await fundedAccount(100n);
        const results = await Promise.all(
          Array.from({ length: 50 }, () => ledger.hold(account.id, 10n, { owner: 'edge' })),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(10);
        for (const result of results) {
          if (!result.ok) expect(result.balance.availableFrost).toBeGreaterThanOrEqual(0n);
        }
        expect(await ledger.balance(account.id)).toEqual({
          balanceFrost: 100n,
          heldFrost: 100n,
          availableFrost: 0n,
        });
        expect(await storedTotals(account.id)).toEqual({ balance: 100n, held: 100n });
        expect((await entryRows(account.id)).filter((e) => e.kind === 'hold')).toHaveLength(10);
        expect(await backend.sql('SELECT id FROM holds WHERE account_id = $1', [account.id])).toHaveLength(
          10,
        );
      });

      it('lets exactly 10 of 50 concurrent holds through when two instances race', async () => {
        const account = await fundedAccount(100n);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            (i % 2 ? ledger : other).hold(account.id, 10n, { owner: `edge-${i % 2}` }),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(10);
        expect(await storedTotals(account.id)).toEqual({ balance: 100n, held: 100n });
        expect((await entryRows(account.id)).filter((e) => e.kind === 'hold')).toHaveLength(10);
        expect((await other.balance(account.id)).availableFrost).toBe(0n);
      });
    });

    describe('top-ups', () => {
      it('credits a digest once, even when submitted at once for two accounts', async () => {
        const first = await ledger.createAccount({ name: unique('top-up-a') });
        const second = await ledger.createAccount({ name: unique('top-up-b') });
        const digest = unique('digest');
        const [a, b] = await Promise.all([
          ledger.credit(first.id, 500n, { topUpDigest: digest }),
          other.credit(second.id, 500n, { topUpDigest: digest }),
        ]);
        const results = [a, b];
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const winner = a.ok ? first : second;
        const loser = a.ok ? second : first;
        expect(results.find((r) => !r.ok)).toEqual({
          ok: false,
          reason: 'duplicate-top-up',
          accountId: winner.id,
        });
        // Later, to the same account: still a duplicate.
        expect(await ledger.credit(winner.id, 500n, { topUpDigest: digest })).toEqual({
          ok: false,
          reason: 'duplicate-top-up',
          accountId: winner.id,
        });
        const topUps = await backend.sql('SELECT account_id, entry_seq FROM top_ups WHERE digest = $1', [
          digest,
        ]);
        expect(topUps.map((row) => row.account_id)).toEqual([winner.id]);
        expect(await entryRows(winner.id)).toEqual([{ kind: 'credit', amount: 500n, holdId: undefined }]);
        expect(await entryRows(loser.id)).toEqual([]);
        const [entry] = await backend.sql('SELECT seq, memo FROM entries WHERE account_id = $1', [winner.id]);
        expect(frost(entry!.seq)).toBe(frost(topUps[0]!.entry_seq));
        expect(await storedTotals(winner.id)).toEqual({ balance: 500n, held: 0n });
        expect(await storedTotals(loser.id)).toEqual({ balance: 0n, held: 0n });
      });

      it('credits many concurrent copies of many digests once each', async () => {
        const account = await ledger.createAccount({ name: unique('top-up-many') });
        const digests = Array.from({ length: 10 }, () => unique('digest'));
        const results = await Promise.all(
          digests.flatMap((digest) =>
            [ledger, other, ledger, other].map((instance) =>
              instance.credit(account.id, 7n, { topUpDigest: digest }),
            ),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(10);
        expect(await storedTotals(account.id)).toEqual({ balance: 70n, held: 0n });
        expect(await entryRows(account.id)).toHaveLength(10);
      });
    });

    describe('holds in flight', () => {
      it('records progress, lists open holds by owner and by age, and forgets closed ones', async () => {
        const account = await fundedAccount(1000n);
        const [mine, theirs] = [unique('edge'), unique('edge')];
        const place = async (owner: string) => {
          const held = await ledger.hold(account.id, 10n, { owner });
          if (!held.ok) throw new Error('hold failed');
          return held.hold;
        };
        const old1 = await place(mine);
        const old2 = await place(theirs);
        await sleep(20);
        const cutoff = new Date();
        await sleep(20);
        const new1 = await place(mine);
        const closed = await place(mine);
        await ledger.settle(closed.id, 10n, {});

        await ledger.noteHoldProgress(old1.id, { blobId: 'blob-1' });
        await other.noteHoldProgress(old1.id, { objectId: '0xobject' });
        const [row] = await backend.sql('SELECT blob_id, object_id FROM holds WHERE id = $1', [old1.id]);
        expect(row).toMatchObject({ blob_id: 'blob-1', object_id: '0xobject' });
        await expect(ledger.noteHoldProgress(closed.id, { blobId: 'late' })).rejects.toThrow(HoldClosedError);

        // As sets: holds placed in the same millisecond (old1, old2) have no order between them.
        const ids = (holds: Hold[]) =>
          holds
            .filter((h) => h.accountId === account.id)
            .map((h) => h.id)
            .sort();
        expect(ids(await other.openHolds({ owner: mine }))).toEqual([old1.id, new1.id].sort());
        expect(ids(await other.openHolds({ owner: theirs }))).toEqual([old2.id]);
        expect(ids(await ledger.openHolds({ placedBefore: cutoff }))).toEqual([old1.id, old2.id].sort());
        expect(ids(await ledger.openHolds({ owner: mine, placedBefore: cutoff }))).toEqual([old1.id]);
        const [listed] = await ledger.openHolds({ owner: mine });
        expect(listed).toEqual({ ...old1, blobId: 'blob-1', objectId: '0xobject' });
        expect(listed!.createdAt.getTime()).toBeLessThan(cutoff.getTime());
      });
    });

    describe('API keys', () => {
      it('finds a key by its hash until revoked, and lists prefixes', async () => {
        const account = await ledger.createAccount({ name: unique('keys') });
        const [p1, p2] = [unique('we1'), unique('we2')];
        const [h1, h2] = [unique('hash'), unique('hash')];
        const added = await ledger.addApiKey(account.id, { prefix: p1, hash: h1 });
        await ledger.addApiKey(account.id, { prefix: p2, hash: h2 });
        expect(added).toMatchObject({ accountId: account.id, prefix: p1 });
        expect(await other.findApiKey(h1)).toEqual(added);
        expect(await other.findApiKey(unique('hash'))).toBeUndefined();
        expect((await ledger.listApiKeys(account.id)).map((k) => k.prefix).sort()).toEqual([p1, p2].sort());

        expect(await ledger.revokeApiKey(crypto.randomUUID(), p1)).toBe(false);
        expect(await other.revokeApiKey(account.id, p1)).toBe(true);
        expect(await ledger.findApiKey(h1)).toBeUndefined();
        expect((await ledger.findApiKey(h2))?.prefix).toBe(p2);
        expect(await ledger.revokeApiKey(account.id, p1)).toBe(false);
        const listed = await ledger.listApiKeys(account.id);
        expect(listed.find((k) => k.prefix === p1)?.revokedAt).toBeInstanceOf(Date);
        expect(listed.find((k) => k.prefix === p2)?.revokedAt).toBeUndefined();

        const rows = await backend.sql(
          'SELECT prefix, hash, revoked_at FROM api_keys WHERE account_id = $1',
          [account.id],
        );
        expect(rows.map((r) => [r.prefix, r.hash, r.revoked_at === null]).sort()).toEqual(
          [
            [p1, h1, false],
            [p2, h2, true],
          ].sort(),
        );
        // Prefixes and hashes are unique across accounts.
        const someoneElse = await ledger.createAccount({ name: unique('keys') });
        await expect(
          ledger.addApiKey(someoneElse.id, { prefix: p2, hash: unique('hash') }),
        ).rejects.toThrow();
        await expect(ledger.addApiKey(someoneElse.id, { prefix: unique('we'), hash: h2 })).rejects.toThrow();
        expect(
          await backend.sql('SELECT prefix FROM api_keys WHERE account_id = $1', [someoneElse.id]),
        ).toEqual([]);
      });
    });

    describe('idempotency keys', () => {
      it('lets one of two simultaneous claims through, the other sees it in progress', async () => {
        const account = await ledger.createAccount({ name: unique('idem') });
        for (let i = 0; i < 10; i++) {
          const key = unique('key');
          const claims = await Promise.all([
            ledger.claimIdempotency(account.id, key, 'fp', 'edge-a'),
            other.claimIdempotency(account.id, key, 'fp', 'edge-b'),
          ]);
          expect(claims.map((c) => c.kind).sort()).toEqual(['claimed', 'in-progress']);
          const rows = await backend.sql(
            'SELECT owner, state FROM idempotency WHERE account_id = $1 AND key = $2',
            [account.id, key],
          );
          expect(rows).toEqual([
            expect.objectContaining({
              owner: claims[0]!.kind === 'claimed' ? 'edge-a' : 'edge-b',
              state: 'claimed',
            }),
          ]);
        }
      });

      it('answers a finished key with the stored response, another request with mismatch', async () => {
        const account = await ledger.createAccount({ name: unique('idem') });
        const key = unique('key');
        const body = {
          newlyCreated: { blobObject: { id: '0x1', size: 12 } },
          receipt: { chargedFrost: '5' },
        };
        expect(await ledger.claimIdempotency(account.id, key, 'fp-1', 'edge')).toEqual({ kind: 'claimed' });
        expect(await other.claimIdempotency(account.id, key, 'fp-2', 'edge')).toEqual({ kind: 'mismatch' });
        await ledger.finishIdempotency(account.id, key, { status: 200, body });
        expect(await other.claimIdempotency(account.id, key, 'fp-1', 'edge')).toEqual({
          kind: 'done',
          response: { status: 200, body },
        });
        expect(await other.claimIdempotency(account.id, key, 'fp-2', 'edge')).toEqual({ kind: 'mismatch' });
        // Finished keys are not abandoned, and a second finish changes nothing.
        await ledger.abandonIdempotency(account.id, key);
        await ledger.finishIdempotency(account.id, key, { status: 500, body: {} });
        const [row] = await backend.sql(
          'SELECT state, status, body FROM idempotency WHERE account_id = $1 AND key = $2',
          [account.id, key],
        );
        expect([row!.state, Number(row!.status)]).toEqual(['done', 200]);
        expect(typeof row!.body === 'string' ? JSON.parse(row!.body) : row!.body).toEqual(body);
        // The same key is another account's own.
        const someoneElse = await ledger.createAccount({ name: unique('idem') });
        expect(await ledger.claimIdempotency(someoneElse.id, key, 'fp-2', 'edge')).toEqual({
          kind: 'claimed',
        });
      });

      it('forgets abandoned claims, and stale ones by owner or by age', async () => {
        const account = await ledger.createAccount({ name: unique('idem') });
        const [crashed, alive] = [unique('edge'), unique('edge')];
        const key = unique('key');
        await ledger.claimIdempotency(account.id, key, 'fp', alive);
        await ledger.abandonIdempotency(account.id, key);
        expect(await other.claimIdempotency(account.id, key, 'fp-new', alive)).toEqual({ kind: 'claimed' });

        const [k1, k2, k3, k4] = [unique('key'), unique('key'), unique('key'), unique('key')];
        await ledger.claimIdempotency(account.id, k1, 'fp', crashed);
        await ledger.claimIdempotency(account.id, k2, 'fp', crashed);
        await ledger.finishIdempotency(account.id, k2, { status: 200, body: { ok: true } });
        await sleep(20);
        const cutoff = new Date();
        await sleep(20);
        await ledger.claimIdempotency(account.id, k3, 'fp', crashed);
        await ledger.claimIdempotency(account.id, k4, 'fp', alive);

        await expect(ledger.abandonStaleIdempotency({})).rejects.toThrow(TypeError);
        expect(await other.abandonStaleIdempotency({ owner: crashed, claimedBefore: cutoff })).toBe(1);
        const keysLeft = async () =>
          (await backend.sql('SELECT key FROM idempotency WHERE account_id = $1', [account.id]))
            .map((r) => r.key)
            .sort();
        expect(await keysLeft()).toEqual([key, k2, k3, k4].sort());
        expect(await ledger.abandonStaleIdempotency({ owner: crashed })).toBe(1);
        expect(await keysLeft()).toEqual([key, k2, k4].sort());
        // By age, everyone's: `key` (claimed before the cutoff) goes, k4 (after) stays, k2 is finished.
        expect(await ledger.abandonStaleIdempotency({ claimedBefore: cutoff })).toBeGreaterThanOrEqual(1);
        expect(await keysLeft()).toEqual([k2, k4].sort());
        expect(await ledger.claimIdempotency(account.id, k1, 'fp', alive)).toEqual({ kind: 'claimed' });
      });
    });

    describe('the record', () => {
      it('refuses to change or delete entries', async () => {
        const account = await fundedAccount(100n);
        await expect(
          backend.sql('UPDATE entries SET amount = 1 WHERE account_id = $1', [account.id]),
        ).rejects.toThrow(/append-only/);
        await expect(backend.sql('DELETE FROM entries WHERE account_id = $1', [account.id])).rejects.toThrow(
          /append-only/,
        );
        expect(await entryRows(account.id)).toEqual([{ kind: 'credit', amount: 100n, holdId: undefined }]);
      });

      it('audits clean, and finds a running total corrupted behind its back', async () => {
        const account = await fundedAccount(100n);
        const held = await ledger.hold(account.id, 40n, { owner: 'edge' });
        const settledHold = await ledger.hold(account.id, 10n, { owner: 'edge' });
        if (!held.ok || !settledHold.ok) throw new Error('hold failed');
        await ledger.settle(settledHold.hold.id, 4n, {});
        expect(await ledger.audit()).toEqual([]);

        await backend.sql('UPDATE accounts SET balance = balance + 7, held = held - 1 WHERE id = $1', [
          account.id,
        ]);
        try {
          expect(await other.audit()).toEqual([
            {
              accountId: account.id,
              stored: { balanceFrost: 103n, heldFrost: 39n, availableFrost: 64n },
              derived: { balanceFrost: 96n, heldFrost: 40n, availableFrost: 56n },
            },
          ]);
        } finally {
          await backend.sql('UPDATE accounts SET balance = balance - 7, held = held + 1 WHERE id = $1', [
            account.id,
          ]);
        }
        expect(await ledger.audit()).toEqual([]);
      });
    });

    describe('migrations', () => {
      const extra: LedgerMigration = {
        version: ledgerMigrations.at(-1)!.version + 1,
        description: 'a later step',
        sqlite: 'CREATE TABLE later_step (x INTEGER)',
        postgres: 'CREATE TABLE later_step (x integer)',
      };
      const versions = async (store: RawStore) =>
        (await store.sql('SELECT version, applied_at FROM schema_migrations ORDER BY version')).map(
          (row) => ({
            version: Number(row.version),
            appliedAt: row.applied_at instanceof Date ? row.applied_at.toISOString() : String(row.applied_at),
          }),
        );

      it('applies nothing twice when an instance reopens the store, and keeps the data', async () => {
        const account = await fundedAccount(42n);
        const before = await versions(backend);
        expect(before.map((v) => v.version)).toEqual(ledgerMigrations.map((m) => m.version));
        const reopened = await backend.open();
        try {
          expect(await versions(backend)).toEqual(before);
          expect(await reopened.balance(account.id)).toEqual({
            balanceFrost: 42n,
            heldFrost: 0n,
            availableFrost: 42n,
          });
        } finally {
          await reopened.close();
        }
      });

      it('applies later steps in order, once, even when two instances migrate at once', async () => {
        const store = await backend.scratch();
        const [a, b] = await Promise.all([store.migrate(ledgerMigrations), store.migrate(ledgerMigrations)]);
        expect([...a, ...b]).toEqual(ledgerMigrations.map((m) => m.version));
        await store.sql("INSERT INTO accounts (id, name, created_at) VALUES ('kept', 'kept', $1)", [
          new Date(),
        ]);
        const [c, d] = await Promise.all([
          store.migrate([...ledgerMigrations, extra]),
          store.migrate([...ledgerMigrations, extra]),
        ]);
        expect([...c, ...d]).toEqual([extra.version]);
        expect((await versions(store)).map((v) => v.version)).toEqual(
          [...ledgerMigrations, extra].map((m) => m.version),
        );
        expect(await store.sql('SELECT x FROM later_step')).toEqual([]);
        expect((await store.sql('SELECT id FROM accounts')).map((r) => r.id)).toEqual(['kept']);
        // This version of the code does not know `extra`: it refuses the store rather than misread it.
        await expect(store.migrate(ledgerMigrations)).rejects.toThrow(/newer/);
      });

      it('rolls a failing step back whole', async () => {
        const store = await backend.scratch();
        await store.migrate(ledgerMigrations);
        const broken: LedgerMigration = {
          ...extra,
          sqlite: 'CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL',
          postgres: 'CREATE TABLE half_done (x integer); THIS IS NOT SQL',
        };
        await expect(store.migrate([...ledgerMigrations, broken])).rejects.toThrow();
        expect((await versions(store)).map((v) => v.version)).toEqual(ledgerMigrations.map((m) => m.version));
        await expect(store.sql('SELECT x FROM half_done')).rejects.toThrow();
      });
    });
  });
}
