// Paid publishing's metrics: how paid uploads ended (charged, already certified, refused for the
// balance or the sponsor's funds, failed and released) and the FROST charged. No account IDs.
import { Counter, type Registry } from 'prom-client';
import type { PaidUploadsObserver } from '../publish/payments/paid-uploads.ts';

export function paidUploadMetrics(registry: Registry): PaidUploadsObserver {
  const uploads = new Counter({
    name: 'walrus_edge_paid_uploads_total',
    help: 'Paid uploads by how they ended (newly-created, already-certified, insufficient-balance, sponsor-short, idempotent-replay, a failure)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const charged = new Counter({
    name: 'walrus_edge_paid_charged_frost_total',
    help: 'FROST charged to accounts for certified uploads',
    registers: [registry],
  });
  return {
    ended(outcome, chargedFrost) {
      uploads.inc({ outcome });
      // A counter is a float: exact to 2^53 FROST (9 million WAL) per process lifetime.
      if (chargedFrost > 0n) charged.inc(Number(chargedFrost));
    },
  };
}
