// The SQLite ledger (one file in DATA_DIR) against the shared suite, plus what only a file has: it
// survives close and reopen, runs in WAL mode, and stays exact when other processes (worker threads
// with their own connections) hold against the same account at the same moment.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../../src/publish/ledger/open-ledger.ts';
import { migrateSqlite, openSqliteLedger } from '../../../src/publish/ledger/sqlite-ledger.ts';
import { ledgerSuite, type RawStore } from './ledger-suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'walrus-edge-sqlite-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'ledger.sqlite');
let scratches = 0;

/** Raw SQL on the file through a connection of its own; `$n` becomes SQLite's `?n`, a Date its ms. */
function rawStore(file: string): RawStore {
  return {
    async sql(text, values = []) {
      const db = new DatabaseSync(file, { readBigInts: true, timeout: 5_000 });
      try {
        const params = values.map((v) => (v instanceof Date ? v.getTime() : v) as SQLInputValue);
        return db.prepare(text.replace(/\$(\d+)/g, '?$1')).all(...params);
      } finally {
        db.close();
      }
    },
  };
}

ledgerSuite('sqlite', {
  ...rawStore(path),
  open: () => openSqliteLedger(path),
  async scratch() {
    const file = join(dir, `scratch-${++scratches}.sqlite`);
    return {
      ...rawStore(file),
      async migrate(migrations) {
        const db = new DatabaseSync(file, { readBigInts: true, timeout: 5_000 });
        try {
          return migrateSqlite(db, migrations);
        } finally {
          db.close();
        }
      },
    };
  },
});

describe('the sqlite ledger file', () => {
  it('keeps accounts, keys, balances and history across close and reopen, in WAL mode', async () => {
    const file = join(dir, 'reopen.sqlite');
    const first = await openSqliteLedger(file);
    const account = await first.createAccount({ name: 'survivor', uploadsPerMinute: 5 });
    await first.credit(account.id, 100n, { note: 'before the restart' });
    const held = await first.hold(account.id, 30n, { owner: 'edge' });
    await first.addApiKey(account.id, { prefix: 'we_abc', hash: 'hash-abc' });
    const history = await first.history(account.id);
    await first.close();
    expect(existsSync(file)).toBe(true);

    const [mode] = await rawStore(file).sql('PRAGMA journal_mode');
    expect(mode).toEqual({ journal_mode: 'wal' });
    const second = await openSqliteLedger(file);
    try {
      expect(await second.getAccount(account.id)).toEqual(account);
      expect(await second.balance(account.id)).toEqual({
        balanceFrost: 100n,
        heldFrost: 30n,
        availableFrost: 70n,
      });
      expect(await second.history(account.id)).toEqual(history);
      expect((await second.findApiKey('hash-abc'))?.accountId).toBe(account.id);
      expect((await second.openHolds({ owner: 'edge' })).map((h) => h.id)).toEqual([held.ok && held.hold.id]);
    } finally {
      await second.close();
    }
  });

  it('opens an in-memory ledger of its own for each open', async () => {
    const a = await openSqliteLedger(':memory:');
    const b = await openSqliteLedger(':memory:');
    const account = await a.createAccount({ name: 'memory' });
    await a.credit(account.id, 9n, {});
    expect((await a.balance(account.id)).balanceFrost).toBe(9n);
    expect(await b.getAccount(account.id)).toBeUndefined();
    await a.close();
    await b.close();
  });

  it('opens DATA_DIR/ledger.sqlite when no DATABASE_URL is set, creating DATA_DIR', async () => {
    const dataDir = join(dir, 'data', 'dir');
    const ledger = await openLedger({ dataDir });
    expect(ledger.kind).toBe('sqlite');
    const account = await ledger.createAccount({ name: 'in data dir' });
    await ledger.close();
    const rows = await rawStore(join(dataDir, 'ledger.sqlite')).sql(
      'SELECT name FROM accounts WHERE id = $1',
      [account.id],
    );
    expect(rows).toEqual([{ name: 'in data dir' }]);
  });

  it('never overdraws when two other processes hold against one account at once', async () => {
    const file = join(dir, 'workers.sqlite');
    const ledger = await openSqliteLedger(file);
    const account = await ledger.createAccount({ name: 'contended' });
    await ledger.credit(account.id, 300n, {});
    const workers = 2;
    const ready = new SharedArrayBuffer(4);
    const placed = await Promise.all(
      Array.from(
        { length: workers },
        () =>
          new Promise<number>((resolve, reject) => {
            const worker = new Worker(new URL('./sqlite-hold-worker.ts', import.meta.url), {
              workerData: { path: file, accountId: account.id, holds: 250, workers, ready },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    // Both got some (they really raced), and together exactly the balance.
    expect(placed.every((n) => n > 0)).toBe(true);
    expect(placed[0]! + placed[1]!).toBe(300);
    expect(await ledger.balance(account.id)).toEqual({
      balanceFrost: 300n,
      heldFrost: 300n,
      availableFrost: 0n,
    });
    const [row] = await rawStore(file).sql(
      "SELECT count(*) AS holds, sum(amount) AS held FROM entries WHERE account_id = $1 AND kind = 'hold'",
      [account.id],
    );
    expect(row).toEqual({ holds: 300n, held: 300n });
    expect(await ledger.audit()).toEqual([]);
    await ledger.close();
  });
});
