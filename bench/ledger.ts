// npm run bench:ledger — what paid publishing costs in the ledger. Each section measures one thing and
// prints its own table; sections run in order, and a new one is appended at the end of the file.
//  1. Holds + settles per second (one hold and its settle = one paid upload's ledger work) on SQLite
//     (a file in a temp dir, WAL, durable commits) and on PostgreSQL (a temp schema, dropped after),
//     sequentially and with --workers concurrent workers; for PostgreSQL also those workers spread
//     over two Ledger instances (two pools, as two edge instances would be).
// Usage: node bench/ledger.ts [--ops 2000] [--workers 16] [--database-url postgres://postgres@127.0.0.1:5432/test]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Account, Ledger } from '../src/publish/ledger/ledger.ts';
import { openPostgresLedger } from '../src/publish/ledger/postgres-ledger.ts';
import { openSqliteLedger } from '../src/publish/ledger/sqlite-ledger.ts';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '16' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const ops = Number(values.ops);
const workers = Number(values.workers);
const databaseUrl = values['database-url'];

/** Prints rows under a header, columns padded to their widest cell (as the other benches do). */
function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

// ── 1. holds + settles per second ────────────────────────────────────────────────────────────────

interface Throughput {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * `ops` hold+settle pairs by `concurrency` async workers taking the next op until none is left,
 * round-robin over `instances` and over `accountCount` funded accounts (one account: its row is the
 * point every pair queues on). Checks at the end that the ledger still audits clean and that every
 * pair charged exactly once (a fast wrong ledger is no result).
 */
async function holdsAndSettles(
  instances: Ledger[],
  concurrency: number,
  accountCount = 1,
): Promise<Throughput> {
  const ledger = instances[0]!;
  const accounts: Account[] = [];
  for (let i = 0; i < accountCount; i++) {
    const account = await ledger.createAccount({ name: `bench-${concurrency}x${instances.length}-${i}` });
    await ledger.credit(account.id, BigInt(ops) * 1000n, { note: 'bench funds' });
    accounts.push(account);
  }
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const instance = instances[worker % instances.length]!;
      const account = accounts[worker % accounts.length]!;
      while (next < ops) {
        next++;
        const began = performance.now();
        const held = await instance.hold(account.id, 1000n, { owner: 'bench' });
        if (!held.ok) throw new Error('a hold within the balance was refused');
        await instance.settle(held.hold.id, 600n, { receipt: { bench: true } });
        latencies.push(performance.now() - began);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  let charged = 0n;
  for (const account of accounts) {
    const balance = await ledger.balance(account.id);
    if (balance.heldFrost !== 0n) throw new Error(`a bench account ended with ${balance.heldFrost} held`);
    charged += BigInt(ops) * 1000n - balance.balanceFrost;
  }
  if (charged !== BigInt(ops) * 600n) throw new Error(`the bench charged ${charged} FROST in all`);
  if ((await ledger.audit()).length > 0) throw new Error('the ledger does not audit clean after the bench');
  latencies.sort((a, b) => a - b);
  return { perSecond: ops / seconds, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

async function throughputSection(): Promise<void> {
  const rows: string[][] = [];
  const row = (backend: string, mode: string, t: Throughput) =>
    rows.push([backend, mode, t.perSecond.toFixed(0), t.p50Ms.toFixed(2), t.p99Ms.toFixed(2)]);

  const dir = mkdtempSync(join(tmpdir(), 'walrus-edge-bench-ledger-'));
  try {
    const sqlite = await openSqliteLedger(join(dir, 'ledger.sqlite'));
    try {
      row('sqlite', 'sequential', await holdsAndSettles([sqlite], 1));
      row('sqlite', `${workers} workers`, await holdsAndSettles([sqlite], workers));
      row(
        'sqlite',
        `${workers} workers, ${workers} accounts`,
        await holdsAndSettles([sqlite], workers, workers),
      );
    } finally {
      await sqlite.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `bench_ledger_${crypto.randomUUID().replaceAll('-', '')}`;
  try {
    const first = await openPostgresLedger(databaseUrl, { schema });
    const second = await openPostgresLedger(databaseUrl, { schema });
    try {
      row('postgres', 'sequential', await holdsAndSettles([first], 1));
      row('postgres', `${workers} workers`, await holdsAndSettles([first], workers));
      row('postgres', `${workers} workers, 2 instances`, await holdsAndSettles([first, second], workers));
      row(
        'postgres',
        `${workers} workers, 2 instances, ${workers} accounts`,
        await holdsAndSettles([first, second], workers, workers),
      );
    } finally {
      await first.close();
      await second.close();
    }
  } finally {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }

  printTable(
    `ledger: hold + settle pairs (one paid upload's ledger work), ${ops} per run, on one account unless said`,
    ['backend', 'mode', 'pairs/s', 'p50 ms', 'p99 ms'],
    rows,
  );
}

await throughputSection();
