// The ledger in PostgreSQL, shared by several edge instances. Nothing here relies on one process
// seeing another's state: every check that guards money is made by the database inside the write
// that moves it. A hold is one statement whose UPDATE adds to `held` only where `balance - held`
// covers it (PostgreSQL re-checks that condition on the newest row version when a concurrent writer
// got there first, so no interleaving overdraws); a settle or release is one statement whose UPDATE
// closes the hold only while it is open (the second of two racing closes finds it closed and changes
// nothing). The entry is written by the same statement, so totals and entries never disagree.
import pg from 'pg';
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

const FOREIGN_KEY_VIOLATION = '23503';
/** Lower-case so that the unquoted name PostgreSQL folds it to is the same name. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// Rows as pg returns them: numeric and bigint as strings (exact), timestamptz as Date, json parsed.
type Row = Record<string, unknown>;

/**
 * Connects to `url` (a pool) and migrates the ledger's tables, in `schema` if given (created if
 * missing; it becomes the connections' search_path), else in the database's default schema.
 */
export async function openPostgresLedger(url: string, options: { schema?: string } = {}): Promise<Ledger> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new RangeError(
      `ledger schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    ...(schema !== undefined && { options: `-c search_path=${schema}` }),
  });
  // An idle connection that breaks (a database restart) is dropped by the pool, which emits the
  // error here; unhandled it would end the process. The next query reports the outage to its caller.
  pool.on('error', () => {});
  try {
    await migratePostgres(pool, schema);
    return new PostgresLedger(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/**
 * Applies the migrations the database lacks, each in its own transaction, and returns the versions
 * applied. Every step takes one advisory lock first, so instances that start together wait for each
 * other and apply each migration once.
 */
export async function migratePostgres(
  pool: pg.Pool,
  schema: string | undefined,
  migrations: readonly LedgerMigration[] = ledgerMigrations,
): Promise<number[]> {
  const lock = (client: pg.PoolClient) =>
    client.query("SELECT pg_advisory_xact_lock(hashtext('walrus-edge ledger migrations'))");
  const appliedVersions = async (client: pg.PoolClient) =>
    (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
      (r) => r.version,
    );
  const pending = await inTransaction(pool, async (client) => {
    await lock(client);
    if (schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      // A URL with its own `options` would have replaced our search_path: never migrate elsewhere.
      const { rows } = await client.query<{ current: string | null }>('SELECT current_schema() AS current');
      if (rows[0]?.current !== schema) {
        throw new Error(`the ledger's connections use schema ${rows[0]?.current}, not ${schema}`);
      }
    }
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)',
    );
    return pendingMigrations(migrations, await appliedVersions(client));
  });
  const applied: number[] = [];
  for (const migration of pending) {
    await inTransaction(pool, async (client) => {
      await lock(client);
      // Another instance may have applied it while we waited for the lock.
      if ((await appliedVersions(client)).includes(migration.version)) return;
      await client.query(migration.postgres);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [
        migration.version,
      ]);
      applied.push(migration.version);
    });
  }
  return applied;
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is destroyed rather than handed to the next caller.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === FOREIGN_KEY_VIOLATION;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const frost = (value: unknown) => BigInt(value as string);

function toAccount(row: Row): Account {
  return {
    id: row.id as string,
    name: row.name as string,
    createdAt: row.created_at as Date,
    ...(row.max_upload_bytes !== null && { maxUploadBytes: Number(row.max_upload_bytes) }),
    ...(row.uploads_per_minute !== null && { uploadsPerMinute: Number(row.uploads_per_minute) }),
  };
}

function toBalance(row: Row): Balance {
  const balanceFrost = frost(row.balance);
  const heldFrost = frost(row.held);
  return { balanceFrost, heldFrost, availableFrost: balanceFrost - heldFrost };
}

function toApiKey(row: Row): ApiKeyRecord {
  return {
    accountId: row.account_id as string,
    prefix: row.prefix as string,
    createdAt: row.created_at as Date,
    ...(row.revoked_at !== null && { revokedAt: row.revoked_at as Date }),
  };
}

function toEntry(row: Row): LedgerEntry {
  return {
    seq: BigInt(row.seq as string),
    accountId: row.account_id as string,
    kind: row.kind as LedgerEntry['kind'],
    amountFrost: frost(row.amount),
    ...(row.hold_id !== null && { holdId: row.hold_id as string }),
    at: row.at as Date,
    memo: row.memo as Record<string, unknown>,
  };
}

function toHold(row: Row): Hold {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    amountFrost: frost(row.amount),
    createdAt: row.created_at as Date,
    owner: row.owner as string,
    ...(row.blob_id !== null && { blobId: row.blob_id as string }),
    ...(row.object_id !== null && { objectId: row.object_id as string }),
  };
}

const ENTRY_COLUMNS = 'seq, account_id, kind, amount, hold_id, at, memo';

// The statements of every upload, named so that each connection prepares them once.
const HOLD = {
  name: 'ledger-hold',
  text: `WITH debited AS (
      UPDATE accounts SET held = held + $2::numeric WHERE id = $1 AND balance - held >= $2::numeric
      RETURNING id
    ), placed AS (
      INSERT INTO holds (id, account_id, amount, owner, created_at)
      SELECT $3, id, $2::numeric, $4, $5::timestamptz FROM debited RETURNING *
    ), entry AS (
      INSERT INTO entries (account_id, kind, amount, hold_id, at, memo)
      SELECT account_id, 'hold', amount, id, created_at, $6::json FROM placed
    )
    SELECT * FROM placed`,
};
// $2: the charge (0 for a release); $5: 'settle' | 'release'. The entry records what was charged, or
// for a release the whole hold that was freed.
const CLOSE = {
  name: 'ledger-close',
  text: `WITH closed AS (
      UPDATE holds SET closed_at = $3::timestamptz
      WHERE id = $1 AND closed_at IS NULL AND amount >= $2::numeric
      RETURNING account_id, amount
    ), charged AS (
      UPDATE accounts SET balance = balance - $2::numeric, held = held - closed.amount
      FROM closed WHERE accounts.id = closed.account_id
    )
    INSERT INTO entries (account_id, kind, amount, hold_id, at, memo)
    SELECT account_id, $5::text, CASE $5::text WHEN 'settle' THEN $2::numeric ELSE amount END, $1,
      $3::timestamptz, $4::json
    FROM closed RETURNING ${ENTRY_COLUMNS}`,
};
const NOTE_PROGRESS = {
  name: 'ledger-note-progress',
  text: `UPDATE holds SET blob_id = coalesce($2, blob_id), object_id = coalesce($3, object_id)
    WHERE id = $1 AND closed_at IS NULL`,
};
const CLAIM = {
  name: 'ledger-claim',
  text: `INSERT INTO idempotency (account_id, key, fingerprint, owner, state, claimed_at)
    VALUES ($1, $2, $3, $4, 'claimed', $5) ON CONFLICT DO NOTHING RETURNING key`,
};
const CLAIMED = {
  name: 'ledger-claimed',
  text: 'SELECT fingerprint, state, status, body FROM idempotency WHERE account_id = $1 AND key = $2',
};
const FINISH = {
  name: 'ledger-finish',
  text: `UPDATE idempotency SET state = 'done', status = $3, body = $4::json
    WHERE account_id = $1 AND key = $2 AND state = 'claimed'`,
};
const API_KEY_BY_HASH = {
  name: 'ledger-api-key-by-hash',
  text: 'SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL',
};
const BALANCE = { name: 'ledger-balance', text: 'SELECT balance, held FROM accounts WHERE id = $1' };

/** Thrown inside credit's transaction to roll it back: the digest was credited before. */
class DuplicateTopUp extends Error {}

class PostgresLedger implements Ledger {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(query: string | { name: string; text: string }, values: unknown[] = []): Promise<Row[]> {
    const config = typeof query === 'string' ? { text: query } : query;
    return (await this.#pool.query<Row>({ ...config, values })).rows;
  }

  async createAccount(account: NewAccount): Promise<Account> {
    checkLimits(account);
    const [row] = await this.#rows(
      `INSERT INTO accounts (id, name, created_at, max_upload_bytes, uploads_per_minute)
       VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [
        crypto.randomUUID(),
        account.name,
        new Date(),
        account.maxUploadBytes ?? null,
        account.uploadsPerMinute ?? null,
      ],
    );
    return toAccount(row!);
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const [row] = await this.#rows('SELECT * FROM accounts WHERE id = $1', [id]);
    return row && toAccount(row);
  }

  async listAccounts(): Promise<(Account & Balance)[]> {
    const rows = await this.#rows('SELECT * FROM accounts ORDER BY created_at, id');
    return rows.map((row) => ({ ...toAccount(row), ...toBalance(row) }));
  }

  async addApiKey(accountId: string, key: { prefix: string; hash: string }): Promise<ApiKeyRecord> {
    try {
      const [row] = await this.#rows(
        'INSERT INTO api_keys (prefix, hash, account_id, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
        [key.prefix, key.hash, accountId, new Date()],
      );
      return toApiKey(row!);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new UnknownAccountError(`no account ${accountId}`);
      throw error;
    }
  }

  async findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.#rows(API_KEY_BY_HASH, [hash]);
    return row && toApiKey(row);
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#rows(
      'SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at, prefix',
      [accountId],
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(accountId: string, prefix: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'UPDATE api_keys SET revoked_at = $3 WHERE account_id = $1 AND prefix = $2 AND revoked_at IS NULL',
      [accountId, prefix, new Date()],
    );
    return (rowCount ?? 0) > 0;
  }

  async credit(
    accountId: string,
    amountFrost: bigint,
    memo: { note?: string; topUpDigest?: string; [key: string]: unknown },
  ): Promise<CreditResult> {
    checkFrost(amountFrost, 'a credit', 1n);
    const digest = memo.topUpDigest;
    try {
      return await inTransaction(this.#pool, async (client): Promise<CreditResult> => {
        const credited = await client.query(
          'UPDATE accounts SET balance = balance + $2::numeric WHERE id = $1 RETURNING id',
          [accountId, amountFrost.toString()],
        );
        if (credited.rowCount === 0) throw new UnknownAccountError(`no account ${accountId}`);
        const { rows } = await client.query<Row>(
          `INSERT INTO entries (account_id, kind, amount, at, memo) VALUES ($1, 'credit', $2, $3, $4)
           RETURNING ${ENTRY_COLUMNS}`,
          [accountId, amountFrost.toString(), new Date(), json(memo)],
        );
        const entry = toEntry(rows[0]!);
        if (digest !== undefined) {
          // Racing the same digest, this insert waits for the other transaction and then, if it
          // committed, inserts nothing: the digest's first credit is its only one.
          const topUp = await client.query(
            'INSERT INTO top_ups (digest, account_id, entry_seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [digest, accountId, entry.seq.toString()],
          );
          if (topUp.rowCount === 0) throw new DuplicateTopUp();
        }
        return { ok: true, entry };
      });
    } catch (error) {
      if (!(error instanceof DuplicateTopUp)) throw error;
      const [earlier] = await this.#rows('SELECT account_id FROM top_ups WHERE digest = $1', [digest]);
      return { ok: false, reason: 'duplicate-top-up', accountId: earlier!.account_id as string };
    }
  }

  async hold(
    accountId: string,
    amountFrost: bigint,
    options: { owner: string; memo?: Record<string, unknown> },
  ): Promise<HoldResult> {
    checkFrost(amountFrost, 'a hold', 0n);
    const [row] = await this.#rows(HOLD, [
      accountId,
      amountFrost.toString(),
      crypto.randomUUID(),
      options.owner,
      new Date(),
      json(options.memo ?? {}),
    ]);
    if (row) return { ok: true, hold: toHold(row) };
    return { ok: false, balance: await this.balance(accountId) };
  }

  async noteHoldProgress(holdId: string, progress: { blobId?: string; objectId?: string }): Promise<void> {
    const { rowCount } = await this.#pool.query({
      ...NOTE_PROGRESS,
      values: [holdId, progress.blobId ?? null, progress.objectId ?? null],
    });
    if (rowCount === 0) throw new HoldClosedError(`hold ${holdId} is not open`);
  }

  async settle(holdId: string, chargedFrost: bigint, memo: Record<string, unknown>): Promise<LedgerEntry> {
    checkFrost(chargedFrost, 'a charge', 0n);
    return this.#close(holdId, 'settle', chargedFrost, memo);
  }

  async release(holdId: string, memo: Record<string, unknown>): Promise<LedgerEntry> {
    return this.#close(holdId, 'release', 0n, memo);
  }

  async #close(
    holdId: string,
    kind: 'settle' | 'release',
    charged: bigint,
    memo: Record<string, unknown>,
  ): Promise<LedgerEntry> {
    const [row] = await this.#rows(CLOSE, [holdId, charged.toString(), new Date(), json(memo), kind]);
    if (row) return toEntry(row);
    // Nothing closed: say why (the hold's state may have moved on since, which changes no money).
    const [hold] = await this.#rows('SELECT amount, closed_at FROM holds WHERE id = $1', [holdId]);
    if (!hold) throw new HoldClosedError(`no hold ${holdId}`);
    if (hold.closed_at !== null) throw new HoldClosedError(`hold ${holdId} is already closed`);
    throw new HoldClosedError(`charge ${charged} exceeds hold ${holdId} of ${frost(hold.amount)} FROST`);
  }

  async openHolds(filter: { owner?: string; placedBefore?: Date }): Promise<Hold[]> {
    const rows = await this.#rows(
      `SELECT * FROM holds WHERE closed_at IS NULL AND ($1::text IS NULL OR owner = $1)
       AND ($2::timestamptz IS NULL OR created_at < $2) ORDER BY created_at, id`,
      [filter.owner ?? null, filter.placedBefore ?? null],
    );
    return rows.map(toHold);
  }

  async balance(accountId: string): Promise<Balance> {
    const [row] = await this.#rows(BALANCE, [accountId]);
    if (!row) throw new UnknownAccountError(`no account ${accountId}`);
    return toBalance(row);
  }

  async history(accountId: string, options?: { limit?: number }): Promise<LedgerEntry[]> {
    checkHistoryLimit(options?.limit);
    // LIMIT NULL is PostgreSQL's "no limit".
    const rows = await this.#rows(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE account_id = $1 ORDER BY seq DESC LIMIT $2`,
      [accountId, options?.limit ?? null],
    );
    // No entries: an account without any yet, or no account at all.
    if (rows.length === 0) await this.balance(accountId);
    return rows.map(toEntry);
  }

  async audit(): Promise<{ accountId: string; stored: Balance; derived: Balance }[]> {
    // One statement: one snapshot, so writes landing meanwhile cannot make totals and entries differ.
    const rows = await this.#rows(
      `SELECT a.id, a.balance, a.held,
         coalesce(sum(CASE e.kind WHEN 'credit' THEN e.amount WHEN 'settle' THEN -e.amount ELSE 0 END), 0)
           AS derived_balance,
         coalesce(sum(CASE WHEN e.kind = 'hold' AND NOT EXISTS (
           SELECT 1 FROM entries c WHERE c.hold_id = e.hold_id AND c.kind IN ('settle', 'release'))
           THEN e.amount ELSE 0 END), 0) AS derived_held
       FROM accounts a LEFT JOIN entries e ON e.account_id = a.id
       GROUP BY a.id, a.balance, a.held ORDER BY a.created_at, a.id`,
    );
    return rows
      .map((row) => ({
        accountId: row.id as string,
        stored: toBalance(row),
        derived: toBalance({ balance: row.derived_balance, held: row.derived_held }),
      }))
      .filter(storedDiffersFromDerived);
  }

  async claimIdempotency(
    accountId: string,
    key: string,
    fingerprint: string,
    owner: string,
  ): Promise<IdempotencyClaim> {
    // A claim abandoned elsewhere between our insert and our look is claimable again.
    for (;;) {
      try {
        const claimed = await this.#rows(CLAIM, [accountId, key, fingerprint, owner, new Date()]);
        if (claimed.length > 0) return { kind: 'claimed' };
      } catch (error) {
        if (isForeignKeyViolation(error)) throw new UnknownAccountError(`no account ${accountId}`);
        throw error;
      }
      const [row] = await this.#rows(CLAIMED, [accountId, key]);
      if (!row) continue;
      return existingClaim(
        {
          fingerprint: row.fingerprint as string,
          state: row.state as string,
          response: () => ({ status: row.status as number, body: row.body }),
        },
        fingerprint,
      );
    }
  }

  async finishIdempotency(accountId: string, key: string, response: IdempotentResponse): Promise<void> {
    await this.#pool.query({ ...FINISH, values: [accountId, key, response.status, json(response.body)] });
  }

  async abandonIdempotency(accountId: string, key: string): Promise<void> {
    await this.#pool.query(
      "DELETE FROM idempotency WHERE account_id = $1 AND key = $2 AND state = 'claimed'",
      [accountId, key],
    );
  }

  async abandonStaleIdempotency(filter: { owner?: string; claimedBefore?: Date }): Promise<number> {
    checkStaleFilter(filter);
    const { rowCount } = await this.#pool.query(
      `DELETE FROM idempotency WHERE state = 'claimed' AND ($1::text IS NULL OR owner = $1)
       AND ($2::timestamptz IS NULL OR claimed_at < $2)`,
      [filter.owner ?? null, filter.claimedBefore ?? null],
    );
    return rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
