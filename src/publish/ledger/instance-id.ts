// This edge instance's name in a shared ledger: the owner of the holds and Idempotency-Key claims it
// places, which it alone reconciles when it starts again. EDGE_INSTANCE_ID when set, else a UUID made
// once and kept in DATA_DIR (an instance is its data directory: restarted on it, it is itself again).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function instanceId(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const path = join(dataDir, 'instance-id');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(path, `${id}\n`, { flag: 'wx' });
  return id;
}
