// The PostgreSQL ledger (instances sharing accounts) against the shared suite, on the real server at
// 127.0.0.1:5432, in a schema of this file's own (dropped at the end) so that parallel test files do
// not meet. Without the server the suite fails; it never skips. "Another instance" is another pool.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../../src/publish/ledger/open-ledger.ts';
import { migratePostgres, openPostgresLedger } from '../../../src/publish/ledger/postgres-ledger.ts';
import { ledgerSuite, type RawStore } from './ledger-suite.ts';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const schema = `ledger_test_${crypto.randomUUID().replaceAll('-', '')}`;
const schemas = [schema];
const pools: pg.Pool[] = [];

function poolOn(name: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, options: `-c search_path=${name}` });
  pools.push(pool);
  return pool;
}

function rawStore(name: string): RawStore {
  const pool = poolOn(name);
  return { sql: async (text, values) => (await pool.query(text, values)).rows };
}

afterAll(async () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    for (const name of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  } finally {
    await admin.end();
    await Promise.all(pools.map((pool) => pool.end()));
  }
});

ledgerSuite('postgres', {
  ...rawStore(schema),
  open: () => openPostgresLedger(DATABASE_URL, { schema }),
  async scratch() {
    const name = `${schema}_s${schemas.length}`;
    schemas.push(name);
    return {
      ...rawStore(name),
      // Each call its own pool: two calls at once are two instances starting together.
      async migrate(migrations) {
        const pool = new pg.Pool({ connectionString: DATABASE_URL, options: `-c search_path=${name}` });
        try {
          return await migratePostgres(pool, name, migrations);
        } finally {
          await pool.end();
        }
      },
    };
  },
});

describe('opening the postgres ledger', () => {
  it('uses DATABASE_URL when it is set, with the schema its search_path names', async () => {
    const own = `${schema}_url`;
    schemas.push(own);
    const url = `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${own}`)}`;
    await rawStore(own).sql(`CREATE SCHEMA ${own}`);
    const ledger = await openLedger({ databaseUrl: url, dataDir: '/nonexistent/never-used' });
    try {
      expect(ledger.kind).toBe('postgres');
      const account = await ledger.createAccount({ name: 'via DATABASE_URL' });
      const rows = await rawStore(own).sql('SELECT name FROM accounts WHERE id = $1', [account.id]);
      expect(rows).toEqual([{ name: 'via DATABASE_URL' }]);
    } finally {
      await ledger.close();
    }
  });

  it('refuses a schema name it would have to quote', async () => {
    await expect(openPostgresLedger(DATABASE_URL, { schema: 'Mixed; DROP' })).rejects.toThrow(RangeError);
  });
});
