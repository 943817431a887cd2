// The ledger's schema, as versioned migrations. One list for both backends, each step written in both
// dialects side by side, so a version means the same tables everywhere and neither backend can drift.
// A migration runs once per database, in its own transaction, recorded in schema_migrations(version,
// applied_at); the runners are in sqlite-ledger.ts and postgres-ledger.ts. Append new steps at the
// end; never edit one that has shipped.
//
// What the tables guarantee beyond the code that writes them:
//  - entries is append-only (triggers refuse UPDATE and DELETE): the record balances are derived from;
//  - a hold has exactly one 'hold' entry and at most one closing ('settle' | 'release') entry (partial
//    unique indexes), so a hold is closed exactly once even if two writers got past the code's checks;
//  - accounts.held never goes below 0 nor above the balance (CHECK): no overdraft, ever;
//  - a top-up digest is credited once across all accounts (top_ups' primary key).
// Amounts are FROST: NUMERIC(39,0) in PostgreSQL, INTEGER (64-bit) in SQLite.

export interface LedgerMigration {
  version: number;
  description: string;
  sqlite: string;
  postgres: string;
}

export const ledgerMigrations: readonly LedgerMigration[] = [
  {
    version: 1,
    description: 'accounts, API keys, holds, the append-only entries, top-ups, idempotency keys',
    // Times are milliseconds since the epoch; STRICT makes SQLite enforce the column types.
    sqlite: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        max_upload_bytes INTEGER,
        uploads_per_minute INTEGER,
        balance INTEGER NOT NULL DEFAULT 0,
        held INTEGER NOT NULL DEFAULT 0,
        CHECK (held >= 0 AND held <= balance)
      ) STRICT;
      CREATE TABLE api_keys (
        prefix TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX api_keys_by_account ON api_keys (account_id);
      CREATE TABLE holds (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        amount INTEGER NOT NULL CHECK (amount >= 0),
        owner TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        blob_id TEXT,
        object_id TEXT,
        closed_at INTEGER
      ) STRICT;
      CREATE INDEX holds_open_by_owner ON holds (owner) WHERE closed_at IS NULL;
      CREATE INDEX holds_open_by_age ON holds (created_at) WHERE closed_at IS NULL;
      CREATE TABLE entries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        kind TEXT NOT NULL CHECK (kind IN ('credit', 'hold', 'settle', 'release')),
        amount INTEGER NOT NULL CHECK (amount >= 0),
        hold_id TEXT REFERENCES holds (id),
        at INTEGER NOT NULL,
        memo TEXT NOT NULL CHECK (json_valid(memo)),
        CHECK ((kind = 'credit') = (hold_id IS NULL))
      ) STRICT;
      CREATE INDEX entries_by_account ON entries (account_id, seq);
      CREATE UNIQUE INDEX entries_one_hold_per_hold ON entries (hold_id) WHERE kind = 'hold';
      CREATE UNIQUE INDEX entries_one_close_per_hold ON entries (hold_id) WHERE kind IN ('settle', 'release');
      CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
      CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
      CREATE TABLE top_ups (
        digest TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id),
        entry_seq INTEGER NOT NULL UNIQUE REFERENCES entries (seq)
      ) STRICT;
      CREATE TABLE idempotency (
        account_id TEXT NOT NULL REFERENCES accounts (id),
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        owner TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'done')),
        status INTEGER,
        body TEXT CHECK (body IS NULL OR json_valid(body)),
        claimed_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, key)
      ) STRICT;
      CREATE INDEX idempotency_unfinished ON idempotency (claimed_at) WHERE state = 'claimed';
    `,
    // json (not jsonb) keeps a stored response body's text as it was written.
    postgres: `
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        max_upload_bytes bigint,
        uploads_per_minute integer,
        balance numeric(39, 0) NOT NULL DEFAULT 0,
        held numeric(39, 0) NOT NULL DEFAULT 0,
        CHECK (held >= 0 AND held <= balance)
      );
      CREATE TABLE api_keys (
        prefix text PRIMARY KEY,
        hash text NOT NULL UNIQUE,
        account_id text NOT NULL REFERENCES accounts (id),
        created_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX api_keys_by_account ON api_keys (account_id);
      CREATE TABLE holds (
        id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        amount numeric(39, 0) NOT NULL CHECK (amount >= 0),
        owner text NOT NULL,
        created_at timestamptz NOT NULL,
        blob_id text,
        object_id text,
        closed_at timestamptz
      );
      CREATE INDEX holds_open_by_owner ON holds (owner) WHERE closed_at IS NULL;
      CREATE INDEX holds_open_by_age ON holds (created_at) WHERE closed_at IS NULL;
      CREATE TABLE entries (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        kind text NOT NULL CHECK (kind IN ('credit', 'hold', 'settle', 'release')),
        amount numeric(39, 0) NOT NULL CHECK (amount >= 0),
        hold_id text REFERENCES holds (id),
        at timestamptz NOT NULL,
        memo json NOT NULL,
        CHECK ((kind = 'credit') = (hold_id IS NULL))
      );
      CREATE INDEX entries_by_account ON entries (account_id, seq);
      CREATE UNIQUE INDEX entries_one_hold_per_hold ON entries (hold_id) WHERE kind = 'hold';
      CREATE UNIQUE INDEX entries_one_close_per_hold ON entries (hold_id) WHERE kind IN ('settle', 'release');
      CREATE FUNCTION entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END $$;
      CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON entries
        FOR EACH STATEMENT EXECUTE FUNCTION entries_append_only();
      CREATE TABLE top_ups (
        digest text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        entry_seq bigint NOT NULL UNIQUE REFERENCES entries (seq)
      );
      CREATE TABLE idempotency (
        account_id text NOT NULL REFERENCES accounts (id),
        key text NOT NULL,
        fingerprint text NOT NULL,
        owner text NOT NULL,
        state text NOT NULL CHECK (state IN ('claimed', 'done')),
        status integer,
        body json,
        claimed_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, key)
      );
      CREATE INDEX idempotency_unfinished ON idempotency (claimed_at) WHERE state = 'claimed';
    `,
  },
];

/** The migrations not yet in `applied`, in order; refuses a database that a newer version migrated. */
export function pendingMigrations(
  migrations: readonly LedgerMigration[],
  applied: readonly number[],
): LedgerMigration[] {
  migrations.forEach((migration, index) => {
    if (index > 0 && migration.version <= migrations[index - 1]!.version) {
      throw new Error(`ledger migrations out of order at version ${migration.version}`);
    }
  });
  const latest = migrations.at(-1)?.version ?? 0;
  const newer = applied.filter((version) => version > latest);
  if (newer.length > 0) {
    throw new Error(
      `the ledger database has schema version ${Math.max(...newer)}, newer than this walrus-edge knows (${latest}): run the newer version`,
    );
  }
  return migrations.filter((migration) => !applied.includes(migration.version));
}
