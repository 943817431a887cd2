// Prometheus view of the edge's dealings with Sui: failed calls by RPC, the gas its transactions
// cost, and the committee it reads with — its epoch, and how long ago Sui last confirmed it (what a
// "committee stale" alert watches). Fed by the Sui clients' observed transport and the committee
// source's hooks; nothing here calls Sui.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SuiCallObserver } from '../network/sui/observed-transport.ts';

/** BatchGetObjects → batch_get_objects (RPC names come from the SDK's generated clients: bounded). */
function operationOf(rpc: string): string {
  if (!/^[A-Za-z]{1,64}$/.test(rpc)) return 'other';
  return rpc.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The observer for every Sui client of the edge (reads and the publisher's transactions). */
export function suiCallMetrics(registry: Registry): SuiCallObserver {
  const errors = new Counter({
    name: 'walrus_edge_sui_errors_total',
    help: 'Calls to Sui that failed (unreachable, timed out, or an error status; not NOT_FOUND answers nor calls the edge called off), by RPC: batch_get_objects / get_object (committee, blob objects), list_events (event polls), execute_transaction, simulate_transaction, get_balance, get_transaction, ...',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  const gas = new Counter({
    name: 'walrus_edge_publish_gas_mist_total',
    help: "Gas (MIST, net of storage rebates) of every Sui transaction this edge executed: the publisher's registrations and certifications and the sponsor's top-ups of its sub-wallets.",
    registers: [registry],
  });
  return {
    failed: (rpc) => errors.inc({ operation: operationOf(rpc) }),
    // A counter is a float: exact to 2^53 MIST (9 million SUI) per process lifetime.
    executed: (mist) => gas.inc(Number(mist)),
  };
}

/**
 * The committee in use: its epoch, and the seconds since Sui last confirmed it current (a successful
 * load or check; `checkedAt` in ms since 1970). Neither is exported before the first load.
 */
export function registerCommitteeMetrics(
  registry: Registry,
  committee: { epoch(): number | undefined; checkedAt(): number | undefined },
): void {
  new Gauge({
    name: 'walrus_edge_committee_epoch',
    help: 'The epoch of the storage committee the edge reads and writes with.',
    aggregator: 'max',
    registers: [registry],
    collect() {
      const epoch = committee.epoch();
      if (epoch !== undefined) this.set(epoch);
    },
  });
  new Gauge({
    name: 'walrus_edge_committee_age_seconds',
    help: 'Seconds since Sui last confirmed the committee current (a load or an epoch check; they run every few seconds on a devnet, 30 s on Sui). Growing = the edge cannot reach Sui and serves a committee that may be stale.',
    // Across processes of one instance, the stalest one's.
    aggregator: 'max',
    registers: [registry],
    collect() {
      const at = committee.checkedAt();
      if (at !== undefined) this.set(Math.max(0, (Date.now() - at) / 1000));
    },
  });
}
