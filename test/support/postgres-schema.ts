// A PostgreSQL schema of a test file's own in the real server at 127.0.0.1:5432 (database `test`), so
// that files running at once never see each other's ledger: created before the file's tests (which
// fail, never skip, when the server is not there) and dropped after them. An edge reaches it through
// DATABASE_URL, whose `options` set the connections' search_path to it.
import pg from 'pg';

export const TEST_DATABASE = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  name: string;
  /** DATABASE_URL for this schema; `port` reaches the server another way (e.g. through a relay). */
  url(port?: number): string;
  create(): Promise<void>;
  /** Drops it and all it holds; quiet when the server is gone. */
  drop(): Promise<void>;
}

export function testSchema(prefix: string): TestSchema {
  const name = `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    name,
    url: (port = 5432) =>
      `postgres://postgres@127.0.0.1:${port}/test?options=${encodeURIComponent(`-c search_path=${name}`)}`,
    create: () => admin(`CREATE SCHEMA ${name}`),
    drop: () => admin(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined),
  };
}
