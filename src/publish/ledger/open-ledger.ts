// Which ledger an edge uses: PostgreSQL when DATABASE_URL is set (instances that share accounts),
// else one SQLite file in DATA_DIR (a single instance needs no database server). Each backend is
// loaded only when chosen: node:sqlite warns that it is experimental as soon as it is imported, and an
// edge without paid publishing needs neither.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from './ledger.ts';

export async function openLedger(config: { databaseUrl?: string; dataDir: string }): Promise<Ledger> {
  if (config.databaseUrl) {
    const { openPostgresLedger } = await import('./postgres-ledger.ts');
    return openPostgresLedger(config.databaseUrl);
  }
  mkdirSync(config.dataDir, { recursive: true });
  const { openSqliteLedger } = await import('./sqlite-ledger.ts');
  return openSqliteLedger(join(config.dataDir, 'ledger.sqlite'));
}
