// Which ledger an edge uses: PostgreSQL when DATABASE_URL is set (instances that share accounts),
// else one SQLite file in DATA_DIR (a single instance needs no database server).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from './ledger.ts';
import { openPostgresLedger } from './postgres-ledger.ts';
import { openSqliteLedger } from './sqlite-ledger.ts';

export async function openLedger(config: { databaseUrl?: string; dataDir: string }): Promise<Ledger> {
  if (config.databaseUrl) return openPostgresLedger(config.databaseUrl);
  mkdirSync(config.dataDir, { recursive: true });
  return openSqliteLedger(join(config.dataDir, 'ledger.sqlite'));
}
