// Paid publishing's metrics: how paid uploads ended (charged, already certified, refused for the
// balance or the sponsor's funds, failed and released), the FROST charged, and the time paying added
// to a certified upload (the issue's ≤ 5 ms target, read by bench:ledger), the ledger's failures by
// operation and this instance's open holds. No account IDs.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LEDGER_OPERATIONS } from '../publish/ledger/observed-ledger.ts';
import type { PaidUploadsObserver } from '../publish/payments/paid-uploads.ts';
import type { QuiltOutcome, StoreOutcome } from '../publish/publish-outcome.ts';

/** Every way a paid upload ends (paid-uploads.ts), each exported from 0 so its first one shows in increase(). */
const PAID_OUTCOMES = [
  'newly-created',
  'already-certified',
  'insufficient-balance',
  'sponsor-short',
  'idempotent-replay',
  'settle-deferred',
  'insufficient-confirmations',
  'too-large',
  'invalid',
  'chain-failed',
  'unavailable',
  'aborted',
] as const satisfies readonly (
  | StoreOutcome['kind']
  | QuiltOutcome['kind']
  | 'insufficient-balance'
  | 'sponsor-short'
  | 'idempotent-replay'
  | 'settle-deferred'
)[];

export function paidUploadMetrics(registry: Registry): PaidUploadsObserver {
  const uploads = new Counter({
    name: 'walrus_edge_paid_uploads_total',
    help: 'Paid uploads by how they ended (newly-created, already-certified, insufficient-balance, sponsor-short, idempotent-replay, a failure)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of PAID_OUTCOMES) uploads.inc({ outcome }, 0);
  const charged = new Counter({
    name: 'walrus_edge_paid_charged_frost_total',
    help: 'FROST charged to accounts for certified uploads',
    registers: [registry],
  });
  const overhead = new Histogram({
    name: 'walrus_edge_paid_overhead_seconds',
    help: 'What paying added to a certified upload: quote, hold, progress notes, gas, receipt, settle',
    labelNames: ['idempotency_key'],
    buckets: [
      0.0005, 0.001, 0.0015, 0.002, 0.0025, 0.003, 0.0035, 0.004, 0.0045, 0.005, 0.006, 0.0075, 0.01, 0.02,
      0.05, 0.1,
    ],
    registers: [registry],
  });
  return {
    overhead: (ms, idempotent) => overhead.observe({ idempotency_key: idempotent ? 'yes' : 'no' }, ms / 1000),
    ended(outcome, chargedFrost) {
      uploads.inc({ outcome });
      // A counter is a float: exact to 2^53 FROST (9 million WAL) per process lifetime.
      if (chargedFrost > 0n) charged.inc(Number(chargedFrost));
    },
  };
}

/** Ledger failures by operation (observed-ledger.ts counts them), and this instance's open holds. */
export function ledgerMetrics(
  registry: Registry,
  openHolds: () => Promise<number>,
): { failed: (operation: string) => void } {
  const errors = new Counter({
    name: 'walrus_edge_ledger_errors_total',
    help: 'Ledger operations that failed (the database did not answer or refused), by operation',
    labelNames: ['operation'],
    registers: [registry],
  });
  for (const operation of LEDGER_OPERATIONS) errors.inc({ operation }, 0);
  new Gauge({
    name: 'walrus_edge_ledger_open_holds',
    help: "This instance's holds not closed yet (uploads running, or left for reconciliation)",
    registers: [registry],
    async collect() {
      // A ledger that does not answer leaves the last value; its errors say why.
      const count = await openHolds().catch(() => undefined);
      if (count !== undefined) this.set(count);
    },
  });
  return { failed: (operation) => errors.inc({ operation }) };
}
