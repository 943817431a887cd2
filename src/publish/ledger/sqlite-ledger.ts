// The ledger in one SQLite file in DATA_DIR (node:sqlite), for an edge that runs as one instance.
// node:sqlite is synchronous, so within this process each method runs to its end before another
// starts; every write still runs in BEGIN IMMEDIATE, which takes the file's write lock before the
// first read, so that another process on the same file (a CLI, a second instance by mistake) can
// neither interleave with a hold nor see half of one. WAL lets readers go on meanwhile.
import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import {
  HoldClosedError,
  UnknownAccountError,
  type Account,
  type ApiKeyRecord,
  type Balance,
  type CreditResult,
  type Hold,
  type HoldResult,
  type IdempotencyClaim,
  type IdempotentResponse,
  type Ledger,
  type LedgerEntry,
  type NewAccount,
} from './ledger.ts';
import {
  checkFrost,
  checkHistoryLimit,
  checkLimits,
  checkStaleFilter,
  existingClaim,
  storedDiffersFromDerived,
} from './ledger-checks.ts';
import { ledgerMigrations, pendingMigrations, type LedgerMigration } from './migrations.ts';

/** How long a write waits for another process's transaction on the same file before it fails. */
const BUSY_TIMEOUT_MS = 5_000;
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;

type Row = Record<string, SQLOutputValue>;

/** Opens (creating and migrating as needed) the ledger at `path`, a file or ':memory:'. */
export async function openSqliteLedger(path: string): Promise<Ledger> {
  // readBigInts: amounts come back exact (a number would round above 2^53).
  const db = new DatabaseSync(path, { readBigInts: true, timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    migrateSqlite(db);
    return new SqliteLedger(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Applies the migrations `db` lacks, each in its own transaction; returns the versions applied. */
export function migrateSqlite(
  db: DatabaseSync,
  migrations: readonly LedgerMigration[] = ledgerMigrations,
): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
  );
  const appliedVersions = () =>
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((row) => Number(row.version));
  const applied: number[] = [];
  for (const migration of pendingMigrations(migrations, appliedVersions())) {
    inImmediateTransaction(db, () => {
      // Another process may have applied it since we looked (we hold the write lock now).
      if (appliedVersions().includes(migration.version)) return;
      db.exec(migration.sqlite);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        Date.now(),
      );
      applied.push(migration.version);
    });
  }
  return applied;
}

function inImmediateTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  return (error as { errcode?: unknown } | null)?.errcode === SQLITE_CONSTRAINT_FOREIGNKEY;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const date = (ms: SQLOutputValue) => new Date(Number(ms));
const frost = (value: SQLOutputValue) => BigInt(value as bigint);

function toAccount(row: Row): Account {
  return {
    id: row.id as string,
    name: row.name as string,
    createdAt: date(row.created_at!),
    ...(row.max_upload_bytes !== null && { maxUploadBytes: Number(row.max_upload_bytes) }),
    ...(row.uploads_per_minute !== null && { uploadsPerMinute: Number(row.uploads_per_minute) }),
  };
}

function toBalance(row: Row): Balance {
  const balanceFrost = frost(row.balance!);
  const heldFrost = frost(row.held!);
  return { balanceFrost, heldFrost, availableFrost: balanceFrost - heldFrost };
}

function toApiKey(row: Row): ApiKeyRecord {
  return {
    accountId: row.account_id as string,
    prefix: row.prefix as string,
    createdAt: date(row.created_at!),
    ...(row.revoked_at !== null && { revokedAt: date(row.revoked_at!) }),
  };
}

function toEntry(row: Row): LedgerEntry {
  return {
    seq: frost(row.seq!),
    accountId: row.account_id as string,
    kind: row.kind as LedgerEntry['kind'],
    amountFrost: frost(row.amount!),
    ...(row.hold_id !== null && { holdId: row.hold_id as string }),
    at: date(row.at!),
    memo: JSON.parse(row.memo as string) as Record<string, unknown>,
  };
}

function toHold(row: Row): Hold {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    amountFrost: frost(row.amount!),
    createdAt: date(row.created_at!),
    owner: row.owner as string,
    ...(row.blob_id !== null && { blobId: row.blob_id as string }),
    ...(row.object_id !== null && { objectId: row.object_id as string }),
  };
}

const ENTRY_COLUMNS = 'seq, account_id, kind, amount, hold_id, at, memo';

/** The statements, prepared once: a prepared statement is reused by every call. */
function prepare(db: DatabaseSync) {
  const sql = (text: string) => db.prepare(text);
  return {
    insertAccount: sql(
      `INSERT INTO accounts (id, name, created_at, max_upload_bytes, uploads_per_minute)
       VALUES (?, ?, ?, ?, ?) RETURNING *`,
    ),
    account: sql('SELECT * FROM accounts WHERE id = ?'),
    accounts: sql('SELECT * FROM accounts ORDER BY created_at, id'),
    insertApiKey: sql(
      'INSERT INTO api_keys (prefix, hash, account_id, created_at) VALUES (?, ?, ?, ?) RETURNING *',
    ),
    apiKeyByHash: sql('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL'),
    apiKeys: sql('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, prefix'),
    revokeApiKey: sql(
      'UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND prefix = ? AND revoked_at IS NULL',
    ),
    topUp: sql('SELECT account_id FROM top_ups WHERE digest = ?'),
    insertTopUp: sql('INSERT INTO top_ups (digest, account_id, entry_seq) VALUES (?, ?, ?)'),
    addToBalance: sql('UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING id'),
    // The conditional update is the whole overdraft check: it holds only what is available.
    addToHeld: sql('UPDATE accounts SET held = held + ? WHERE id = ? AND balance - held >= ? RETURNING id'),
    charge: sql('UPDATE accounts SET balance = balance - ?, held = held - ? WHERE id = ?'),
    insertEntry: sql(
      `INSERT INTO entries (account_id, kind, amount, hold_id, at, memo) VALUES (?, ?, ?, ?, ?, ?)
       RETURNING ${ENTRY_COLUMNS}`,
    ),
    history: sql(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account_id = ? ORDER BY seq DESC LIMIT ?`),
    insertHold: sql(
      'INSERT INTO holds (id, account_id, amount, owner, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
    ),
    hold: sql('SELECT * FROM holds WHERE id = ?'),
    closeHold: sql('UPDATE holds SET closed_at = ? WHERE id = ? AND closed_at IS NULL'),
    noteProgress: sql(
      `UPDATE holds SET blob_id = coalesce(:blobId, blob_id), object_id = coalesce(:objectId, object_id)
       WHERE id = :id AND closed_at IS NULL`,
    ),
    openHolds: sql(
      `SELECT * FROM holds WHERE closed_at IS NULL AND (:owner IS NULL OR owner = :owner)
       AND (:before IS NULL OR created_at < :before) ORDER BY created_at, id`,
    ),
    audit: sql(
      `SELECT a.id, a.balance, a.held,
         coalesce(sum(CASE e.kind WHEN 'credit' THEN e.amount WHEN 'settle' THEN -e.amount ELSE 0 END), 0)
           AS derived_balance,
         coalesce(sum(CASE WHEN e.kind = 'hold' AND NOT EXISTS (
           SELECT 1 FROM entries c WHERE c.hold_id = e.hold_id AND c.kind IN ('settle', 'release'))
           THEN e.amount ELSE 0 END), 0) AS derived_held
       FROM accounts a LEFT JOIN entries e ON e.account_id = a.id
       GROUP BY a.id, a.balance, a.held ORDER BY a.created_at, a.id`,
    ),
    claim: sql(
      `INSERT INTO idempotency (account_id, key, fingerprint, owner, state, claimed_at)
       VALUES (?, ?, ?, ?, 'claimed', ?) ON CONFLICT DO NOTHING RETURNING key`,
    ),
    claimed: sql('SELECT fingerprint, state, status, body FROM idempotency WHERE account_id = ? AND key = ?'),
    finish: sql(
      `UPDATE idempotency SET state = 'done', status = ?, body = ?
       WHERE account_id = ? AND key = ? AND state = 'claimed'`,
    ),
    abandon: sql("DELETE FROM idempotency WHERE account_id = ? AND key = ? AND state = 'claimed'"),
    abandonStale: sql(
      `DELETE FROM idempotency WHERE state = 'claimed' AND (:owner IS NULL OR owner = :owner)
       AND (:before IS NULL OR claimed_at < :before)`,
    ),
  } satisfies Record<string, StatementSync>;
}

class SqliteLedger implements Ledger {
  readonly kind = 'sqlite';
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  #write<T>(work: () => T): T {
    return inImmediateTransaction(this.#db, work);
  }

  #balanceRow(accountId: string): Row {
    const row = this.#sql.account.get(accountId);
    if (!row) throw new UnknownAccountError(`no account ${accountId}`);
    return row;
  }

  async createAccount(account: NewAccount): Promise<Account> {
    checkLimits(account);
    const row = this.#sql.insertAccount.get(
      crypto.randomUUID(),
      account.name,
      Date.now(),
      account.maxUploadBytes ?? null,
      account.uploadsPerMinute ?? null,
    );
    return toAccount(row!);
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const row = this.#sql.account.get(id);
    return row && toAccount(row);
  }

  async listAccounts(): Promise<(Account & Balance)[]> {
    return this.#sql.accounts.all().map((row) => ({ ...toAccount(row), ...toBalance(row) }));
  }

  async addApiKey(accountId: string, key: { prefix: string; hash: string }): Promise<ApiKeyRecord> {
    try {
      return toApiKey(this.#sql.insertApiKey.get(key.prefix, key.hash, accountId, Date.now())!);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new UnknownAccountError(`no account ${accountId}`);
      throw error;
    }
  }

  async findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#sql.apiKeyByHash.get(hash);
    return row && toApiKey(row);
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    return this.#sql.apiKeys.all(accountId).map(toApiKey);
  }

  async revokeApiKey(accountId: string, prefix: string): Promise<boolean> {
    return Number(this.#sql.revokeApiKey.run(Date.now(), accountId, prefix).changes) > 0;
  }

  async credit(
    accountId: string,
    amountFrost: bigint,
    memo: { note?: string; topUpDigest?: string; [key: string]: unknown },
  ): Promise<CreditResult> {
    checkFrost(amountFrost, 'a credit', 1n);
    const digest = memo.topUpDigest;
    return this.#write((): CreditResult => {
      // Under the write lock nobody can credit this digest between the look and the insert.
      const earlier = digest === undefined ? undefined : this.#sql.topUp.get(digest);
      if (earlier) return { ok: false, reason: 'duplicate-top-up', accountId: earlier.account_id as string };
      if (!this.#sql.addToBalance.get(amountFrost, accountId)) {
        throw new UnknownAccountError(`no account ${accountId}`);
      }
      const entry = toEntry(
        this.#sql.insertEntry.get(accountId, 'credit', amountFrost, null, Date.now(), json(memo))!,
      );
      if (digest !== undefined) this.#sql.insertTopUp.run(digest, accountId, entry.seq);
      return { ok: true, entry };
    });
  }

  async hold(
    accountId: string,
    amountFrost: bigint,
    options: { owner: string; memo?: Record<string, unknown> },
  ): Promise<HoldResult> {
    checkFrost(amountFrost, 'a hold', 0n);
    return this.#write((): HoldResult => {
      if (!this.#sql.addToHeld.get(amountFrost, accountId, amountFrost)) {
        return { ok: false, balance: toBalance(this.#balanceRow(accountId)) };
      }
      const now = Date.now();
      const hold = toHold(
        this.#sql.insertHold.get(crypto.randomUUID(), accountId, amountFrost, options.owner, now)!,
      );
      this.#sql.insertEntry.run(accountId, 'hold', amountFrost, hold.id, now, json(options.memo ?? {}));
      return { ok: true, hold };
    });
  }

  async noteHoldProgress(holdId: string, progress: { blobId?: string; objectId?: string }): Promise<void> {
    const changes = this.#sql.noteProgress.run({
      id: holdId,
      blobId: progress.blobId ?? null,
      objectId: progress.objectId ?? null,
    }).changes;
    if (Number(changes) === 0) throw new HoldClosedError(`hold ${holdId} is not open`);
  }

  async settle(holdId: string, chargedFrost: bigint, memo: Record<string, unknown>): Promise<LedgerEntry> {
    checkFrost(chargedFrost, 'a charge', 0n);
    return this.#close(holdId, chargedFrost, memo);
  }

  async release(holdId: string, memo: Record<string, unknown>): Promise<LedgerEntry> {
    return this.#close(holdId, undefined, memo);
  }

  /** Settles (`charged` given) or releases (undefined) an open hold, in one transaction. */
  #close(holdId: string, charged: bigint | undefined, memo: Record<string, unknown>): LedgerEntry {
    return this.#write(() => {
      const row = this.#sql.hold.get(holdId);
      if (!row) throw new HoldClosedError(`no hold ${holdId}`);
      if (row.closed_at !== null) throw new HoldClosedError(`hold ${holdId} is already closed`);
      const amount = frost(row.amount!);
      if (charged !== undefined && charged > amount) {
        throw new HoldClosedError(`charge ${charged} exceeds hold ${holdId} of ${amount} FROST`);
      }
      const now = Date.now();
      const accountId = row.account_id as string;
      this.#sql.closeHold.run(now, holdId);
      this.#sql.charge.run(charged ?? 0n, amount, accountId);
      const kind = charged === undefined ? 'release' : 'settle';
      return toEntry(this.#sql.insertEntry.get(accountId, kind, charged ?? amount, holdId, now, json(memo))!);
    });
  }

  async openHolds(filter: { owner?: string; placedBefore?: Date }): Promise<Hold[]> {
    return this.#sql.openHolds
      .all({ owner: filter.owner ?? null, before: filter.placedBefore?.getTime() ?? null })
      .map(toHold);
  }

  async balance(accountId: string): Promise<Balance> {
    return toBalance(this.#balanceRow(accountId));
  }

  async history(accountId: string, options?: { limit?: number }): Promise<LedgerEntry[]> {
    checkHistoryLimit(options?.limit);
    this.#balanceRow(accountId);
    // LIMIT -1 is SQLite's "no limit".
    return this.#sql.history.all(accountId, options?.limit ?? -1).map(toEntry);
  }

  async audit(): Promise<{ accountId: string; stored: Balance; derived: Balance }[]> {
    return this.#sql.audit
      .all()
      .map((row) => ({
        accountId: row.id as string,
        stored: toBalance(row),
        derived: toBalance({ balance: row.derived_balance!, held: row.derived_held! }),
      }))
      .filter(storedDiffersFromDerived);
  }

  async claimIdempotency(
    accountId: string,
    key: string,
    fingerprint: string,
    owner: string,
  ): Promise<IdempotencyClaim> {
    // A claim abandoned by another process between the insert and the look is claimable again.
    for (;;) {
      try {
        if (this.#sql.claim.get(accountId, key, fingerprint, owner, Date.now())) return { kind: 'claimed' };
      } catch (error) {
        if (isForeignKeyViolation(error)) throw new UnknownAccountError(`no account ${accountId}`);
        throw error;
      }
      const row = this.#sql.claimed.get(accountId, key);
      if (!row) continue;
      return existingClaim(
        {
          fingerprint: row.fingerprint as string,
          state: row.state as string,
          response: () => ({ status: Number(row.status), body: JSON.parse(row.body as string) }),
        },
        fingerprint,
      );
    }
  }

  async finishIdempotency(accountId: string, key: string, response: IdempotentResponse): Promise<void> {
    this.#sql.finish.run(response.status, json(response.body), accountId, key);
  }

  async abandonIdempotency(accountId: string, key: string): Promise<void> {
    this.#sql.abandon.run(accountId, key);
  }

  async abandonStaleIdempotency(filter: { owner?: string; claimedBefore?: Date }): Promise<number> {
    checkStaleFilter(filter);
    const { changes } = this.#sql.abandonStale.run({
      owner: filter.owner ?? null,
      before: filter.claimedBefore?.getTime() ?? null,
    });
    return Number(changes);
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
