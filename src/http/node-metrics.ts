// Prometheus view of each storage node as the reader meets it: its requests by kind and outcome, its
// sliver latency, and its score in the reader's planner. The `node` label is the node's name in the
// committee (bounded by the committee's size, public on chain), never a blob ID or an address.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CommitteeNode } from '../network/committee.ts';
import type { ReadObserver } from '../read/blob-reader.ts';
import type { NodeScores } from '../read/node-scores.ts';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Node names come from the chain: kept to a sane length, and a nameless node goes by its URL. */
export function nodeLabel(node: Pick<CommitteeNode, 'name' | 'url'>): string {
  return (node.name || node.url).slice(0, 100);
}

/** Per-request counters and the sliver histogram, for the reader's observer (called per sliver). */
export function nodeRequestMetrics(registry: Registry): Pick<ReadObserver, 'nodeRequestEnded'> {
  const requests = new Counter({
    name: 'walrus_edge_node_requests_total',
    help: 'Requests to storage nodes by node (its committee name), kind (metadata | sliver) and outcome: ok (an answer; a 404/451 for metadata too), failed, invalid (did not verify), timeout, cancelled (called off: no longer needed).',
    labelNames: ['node', 'kind', 'outcome'] as const,
    registers: [registry],
  });
  const slivers = new Histogram({
    name: 'walrus_edge_node_sliver_fetch_seconds',
    help: 'Time a storage node took to answer a sliver request (verification not included), by node and outcome.',
    labelNames: ['node', 'outcome'] as const,
    buckets: SECONDS,
    registers: [registry],
  });
  return {
    nodeRequestEnded(node, kind, outcome, ms) {
      // Called per sliver: a few microseconds (npm run bench:metrics measures it next to the work).
      const label = nodeLabel(node);
      requests.inc({ node: label, kind, outcome });
      if (kind === 'sliver') slivers.observe({ node: label, outcome }, ms / 1000);
    },
  };
}

/** The planner's score of each node of the current committee, read at scrape time. */
export function registerNodeScoreMetrics(
  registry: Registry,
  scores: NodeScores,
  nodes: () => readonly CommitteeNode[],
): void {
  new Gauge({
    name: 'walrus_edge_node_score',
    help: "The reader's score of a storage node, 0..1: 1 = as good as a fresh node (no recent failures, latency at most 50 ms), toward 0 as its latency and recent failures grow (about 0.02 right after a failure). Nodes of the current committee; 1 for one not asked yet.",
    labelNames: ['node'] as const,
    // Each process scores on its own; across processes of one instance, their mean.
    aggregator: 'average',
    registers: [registry],
    collect() {
      this.reset();
      for (const node of nodes()) this.set({ node: nodeLabel(node) }, scores.score(node.url) ?? 1);
    },
  });
}
