// npm run bench:ledger — what paid publishing costs in the ledger. Each section measures one thing and
// prints its own table; sections run in order, and a new one is appended at the end of the file.
//  1. Holds + settles per second (one hold and its settle = one paid upload's ledger work) on SQLite
//     (a file in a temp dir, WAL, durable commits) and on PostgreSQL (a temp schema, dropped after),
//     sequentially and with --workers concurrent workers; for PostgreSQL also those workers spread
//     over two Ledger instances (two pools, as two edge instances would be).
//  2. What paying adds to an upload (target, issue 12: ≤ 5 ms at the median): edges in processes of
//     their own on one devnet, one unpaid (PUBLISHER_AUTH=none) and one paid (PUBLISHER_AUTH=api-key,
//     a funded account; first its SQLite ledger, then PostgreSQL in a temp schema), sequential uploads
//     of fresh random blobs taking turns (unpaid, paid, paid with an Idempotency-Key), each timed by
//     the client from request to last byte of the answer; a GET /v1/quote; and, because the client's
//     clock cannot resolve a few ms in uploads that vary by ±100 ms, the paid edge's own histogram of
//     what paying added to each certified upload (walrus_edge_paid_overhead_seconds).
// Usage: node bench/ledger.ts [--ops 2000] [--workers 16] [--database-url postgres://postgres@127.0.0.1:5432/test]
//        [--uploads 30] [--upload-bytes 1024] [--nodes 4] [--shards 10]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Account, Ledger } from '../src/publish/ledger/ledger.ts';
import { openPostgresLedger } from '../src/publish/ledger/postgres-ledger.ts';
import { openSqliteLedger } from '../src/publish/ledger/sqlite-ledger.ts';
import { startBenchDevnet } from './bench-devnet.ts';
import { startBenchEdge, type BenchEdge } from './bench-edge.ts';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '16' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    uploads: { type: 'string', default: '30' },
    'upload-bytes': { type: 'string', default: '1024' },
    // A small devnet: the upload itself stays short, so a few milliseconds of paying show.
    nodes: { type: 'string', default: '4' },
    shards: { type: 'string', default: '10' },
  },
});
const ops = Number(values.ops);
const workers = Number(values.workers);
const databaseUrl = values['database-url'];
const uploads = Number(values.uploads);
const uploadBytes = Number(values['upload-bytes']);

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
const sortedCopy = (values: number[]) => [...values].sort((a, b) => a - b);

/** A fresh temp schema name: the bench never touches the database's own tables. */
const tempSchema = () => `bench_ledger_${crypto.randomUUID().replaceAll('-', '')}`;

async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}

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

  const schema = tempSchema();
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
    await dropSchema(schema);
  }

  printTable(
    `ledger: hold + settle pairs (one paid upload's ledger work), ${ops} per run, on one account unless said`,
    ['backend', 'mode', 'pairs/s', 'p50 ms', 'p99 ms'],
    rows,
  );
}

// ── 2. a paid upload's overhead over an unpaid one ───────────────────────────────────────────────

const ADMIN_TOKEN = 'bench-ledger-admin-token';
/** Uploads per mode before measuring: JIT, connections, the sub-wallets' first funding. */
const WARM_UPS = 5;
const TARGET_MS = 5;

async function json<T>(response: Promise<Response>, expected = 200): Promise<T> {
  const answer = await response;
  const text = await answer.text();
  if (answer.status !== expected) throw new Error(`${answer.url} answered ${answer.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * One PUT /v1/blobs of bytes never uploaded before, timed from the client: from sending the request
 * to the answer's last byte. A fresh blob must come back newly created, and with a receipt exactly
 * when it was paid (an answer that skipped the work would be a fast wrong result).
 */
async function timedUpload(
  edge: BenchEdge,
  headers: Record<string, string>,
  paid: boolean,
): Promise<{ ms: number; chargedFrost: bigint }> {
  const body = randomBytes(uploadBytes);
  const began = performance.now();
  const answer = await json<{
    newlyCreated?: unknown;
    receipt?: { chargedFrost: string };
  }>(fetch(`${edge.url}/v1/blobs?epochs=1`, { method: 'PUT', body, headers }));
  const ms = performance.now() - began;
  if (!answer.newlyCreated) throw new Error(`a fresh blob was not newly created: ${JSON.stringify(answer)}`);
  if (paid !== (answer.receipt !== undefined))
    throw new Error(
      `a${paid ? ' paid' : 'n unpaid'} upload came back ${paid ? 'without' : 'with'} a receipt`,
    );
  const chargedFrost = BigInt(answer.receipt?.chargedFrost ?? '0');
  if (paid && chargedFrost <= 0n) throw new Error('a paid upload of a fresh blob was charged nothing');
  return { ms, chargedFrost };
}

/** An account on the paid edge with enough for `count` uploads (twice their quote), and its key. */
async function fundedAccount(
  edge: BenchEdge,
  count: number,
): Promise<{ apiKey: string; creditFrost: bigint }> {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const quote = await json<{ totalFrost: string }>(
    fetch(`${edge.url}/v1/quote?size=${uploadBytes}&epochs=1`),
  );
  const account = await json<{ id: string; apiKey: string }>(
    fetch(`${edge.url}/v1/admin/accounts`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'bench:ledger' }),
    }),
    201,
  );
  const creditFrost = BigInt(quote.totalFrost) * BigInt(count) * 2n;
  await json(
    fetch(`${edge.url}/v1/admin/accounts/${account.id}/credit`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ amountFrost: creditFrost.toString() }),
    }),
  );
  return { apiKey: account.apiKey, creditFrost };
}

interface OverheadRun {
  rows: string[][];
  verdicts: string[];
}

/**
 * Uploads taking turns between the unpaid edge and the paid one (with and without an
 * Idempotency-Key), so that whatever slows the machine meanwhile slows every mode alike. Ends by
 * checking that the account paid exactly what the receipts say and holds nothing.
 */
async function overheadRun(ledgerKind: string, unpaid: BenchEdge, paid: BenchEdge): Promise<OverheadRun> {
  const account = await fundedAccount(paid, 2 * (uploads + WARM_UPS));
  const auth = { authorization: `Bearer ${account.apiKey}` };
  const modes = [
    { name: 'unpaid', edge: unpaid, paid: false, headers: () => ({}) },
    { name: `paid, ${ledgerKind}`, edge: paid, paid: true, headers: () => auth },
    {
      name: `paid, ${ledgerKind}, Idempotency-Key`,
      edge: paid,
      paid: true,
      headers: () => ({ ...auth, 'idempotency-key': crypto.randomUUID() }),
    },
  ];
  const times = modes.map(() => [] as number[]);
  let chargedFrost = 0n;
  const overheadBefore = await paidOverhead(paid);
  for (let round = 0; round < WARM_UPS + uploads; round++) {
    for (const [i, mode] of modes.entries()) {
      const upload = await timedUpload(mode.edge, mode.headers(), mode.paid);
      chargedFrost += upload.chargedFrost;
      if (round < WARM_UPS) continue;
      times[i]!.push(upload.ms);
    }
  }
  const balance = await json<{ balanceFrost: string; heldFrost: string }>(
    fetch(`${paid.url}/v1/account`, { headers: auth }),
  );
  if (balance.heldFrost !== '0' || BigInt(balance.balanceFrost) !== account.creditFrost - chargedFrost)
    throw new Error(`the account holds ${JSON.stringify(balance)} after paying ${chargedFrost} FROST`);

  const quoteTimes: number[] = [];
  for (let i = 0; i < uploads; i++) {
    const began = performance.now();
    await json(fetch(`${paid.url}/v1/quote?size=${uploadBytes}&epochs=1`));
    quoteTimes.push(performance.now() - began);
  }
  const unpaidTimes = times[0]!;
  const unpaidMedian = percentile(sortedCopy(unpaidTimes), 0.5);
  const rows = modes.map((mode, i) => {
    const sorted = sortedCopy(times[i]!);
    return [
      mode.name,
      String(sorted.length),
      percentile(sorted, 0.5).toFixed(1),
      percentile(sorted, 0.9).toFixed(1),
    ];
  });
  const step = (name: string, samples: number[]) => {
    const sorted = sortedCopy(samples);
    rows.push([
      name,
      String(sorted.length),
      percentile(sorted, 0.5).toFixed(1),
      percentile(sorted, 0.9).toFixed(1),
    ]);
  };
  step(`GET /v1/quote, ${ledgerKind} edge`, quoteTimes);
  const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)}`;
  const verdicts = modes.slice(1).map((mode, j) => {
    const paidTimes = times[j + 1]!;
    const overhead = percentile(sortedCopy(paidTimes), 0.5) - unpaidMedian;
    // Uploads of one round met the same moment of the (shared) machine: their differences are
    // less noisy than the medians', and the interval says how far this run can tell at all.
    const paired = paidTimes.map((ms, k) => ms - unpaidTimes[k]!);
    const [low, high] = medianInterval(paired);
    return (
      `${mode.name} − unpaid, medians: ${signed(overhead)} ms ` +
      `(target ≤ ${TARGET_MS} ms, ${overhead <= TARGET_MS ? 'met' : 'NOT met'}); ` +
      `paired: median ${signed(percentile(sortedCopy(paired), 0.5))} ms, 95 % interval [${signed(low)}, ${signed(high)}] ms`
    );
  });
  // What the client's clock cannot resolve (single uploads vary by ±100 ms here), the paid edge's
  // own histogram of the time paying added to each certified upload can: the same requests, timed
  // inside (quote, hold, progress notes, gas, receipt, settle; the publisher's work left out).
  const overheadAfter = await paidOverhead(paid);
  for (const [key, mode] of [
    ['no', `paid, ${ledgerKind}`],
    ['yes', `paid, ${ledgerKind}, Idempotency-Key`],
  ] as const) {
    const server = overheadSince(overheadBefore.get(key), overheadAfter.get(key)!);
    verdicts.push(
      `${mode}: time paying added inside the edge (walrus_edge_paid_overhead_seconds, ${server.count} certified uploads incl. warm-ups): ` +
        `median ≈ ${server.medianMs.toFixed(1)} ms, mean ${server.meanMs.toFixed(1)} ms ` +
        `(target ≤ ${TARGET_MS} ms at the median, ${server.medianMs <= TARGET_MS ? 'met' : 'NOT met'})`,
    );
  }
  return { rows, verdicts };
}

/** The paid edge's overhead histograms (by idempotency_key) as /metrics has them now. */
async function paidOverhead(edge: BenchEdge): Promise<Map<string, Histogram>> {
  const text = await (await fetch(`${edge.url}/metrics`)).text();
  const byKey = new Map<string, Histogram>();
  const of = (key: string) => {
    let histogram = byKey.get(key);
    if (!histogram) byKey.set(key, (histogram = { buckets: new Map(), sum: 0, count: 0 }));
    return histogram;
  };
  // Label order is prom-client's business: read them as a set.
  for (const match of text.matchAll(
    /^walrus_edge_paid_overhead_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$/gm,
  )) {
    const labels = new Map(
      [...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]),
    );
    const histogram = of(labels.get('idempotency_key') ?? '');
    const value = Number(match[3]);
    if (match[1] === 'bucket') {
      const le = labels.get('le')!;
      histogram.buckets.set(le === '+Inf' ? Infinity : Number(le), value);
    } else histogram[match[1] as 'sum' | 'count'] = value;
  }
  return byKey;
}

interface Histogram {
  /** Cumulative counts by upper bound (s). */
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/** Median (linear within its bucket, as Prometheus' histogram_quantile does) and mean over a span. */
function overheadSince(
  before: Histogram = { buckets: new Map(), sum: 0, count: 0 },
  after: Histogram,
): { count: number; medianMs: number; meanMs: number } {
  const count = after.count - before.count;
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  let lower = 0;
  let below = 0;
  let medianMs = NaN;
  for (const bound of bounds) {
    const cumulative = after.buckets.get(bound)! - (before.buckets.get(bound) ?? 0);
    if (cumulative >= count / 2) {
      const upper = Number.isFinite(bound) ? bound : lower;
      const inBucket = cumulative - below;
      medianMs = 1000 * (lower + (upper - lower) * (inBucket > 0 ? (count / 2 - below) / inBucket : 0));
      break;
    }
    lower = bound;
    below = cumulative;
  }
  return { count, medianMs, meanMs: (1000 * (after.sum - before.sum)) / count };
}

/** A 95 % bootstrap interval of the median of `samples` (resampled with replacement). */
function medianInterval(samples: number[], resamples = 2000): [number, number] {
  const medians = Array.from({ length: resamples }, () =>
    percentile(sortedCopy(samples.map(() => samples[Math.floor(Math.random() * samples.length)]!)), 0.5),
  ).sort((a, b) => a - b);
  return [percentile(medians, 0.025), percentile(medians, 0.975)];
}

async function overheadSection(): Promise<void> {
  const devnet = await startBenchDevnet('ledger', { nodes: values.nodes, shards: values.shards });
  const edges: BenchEdge[] = [];
  const start = async (env: Record<string, string>) => {
    const edge = await startBenchEdge(devnet.dir, env);
    edges.push(edge);
    return edge;
  };
  const schema = tempSchema();
  const runs: OverheadRun[] = [];
  try {
    const unpaid = await start({ PUBLISHER_AUTH: 'none' });
    const paidEnv = { PUBLISHER_AUTH: 'api-key', ADMIN_TOKEN };
    const sqliteEdge = await start(paidEnv);
    runs.push(await overheadRun('sqlite', unpaid, sqliteEdge));
    sqliteEdge.stop();

    // The edge opens DATABASE_URL in the schema its search_path names; the schema is made (and
    // migrated) here first, as an operator's would be.
    await (await openPostgresLedger(databaseUrl, { schema })).close();
    const separator = databaseUrl.includes('?') ? '&' : '?';
    const postgresEdge = await start({
      ...paidEnv,
      DATABASE_URL: `${databaseUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    });
    runs.push(await overheadRun('postgres', unpaid, postgresEdge));
  } finally {
    for (const edge of edges) edge.stop();
    devnet.stop();
    await dropSchema(schema);
  }
  printTable(
    `paid upload overhead: PUT /v1/blobs of ${uploadBytes} fresh random bytes, epochs=1, ${uploads} per mode ` +
      `taking turns, sequential, timed by the client (devnet ${values.nodes} nodes / ${values.shards} shards)`,
    ['mode', 'n', 'median ms', 'p90 ms'],
    runs.flatMap((run) => run.rows),
  );
  console.log('');
  for (const verdict of runs.flatMap((run) => run.verdicts)) console.log(verdict);
}

await throughputSection();
await overheadSection();
