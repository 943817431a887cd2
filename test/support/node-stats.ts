// Witnesses that do not take the edge's word for anything: the storage nodes' own request counters
// (GET /_devnet/stats, node by node), and where each sliver lives and which rows hold which bytes,
// computed here straight from the formulas of DESIGN §2 (not with the product's encoding helpers).
import type { Committee } from '../../src/network/committee.ts';

/** Route → requests counted, for each node (by name). */
export type NodeCounts = Record<string, Record<string, number>>;

export async function countsAt(committee: Committee): Promise<NodeCounts> {
  const entries = await Promise.all(
    committee.nodes.map(async (node) => {
      const stats = (await (await fetch(`${node.url}/_devnet/stats`)).json()) as {
        requests: Record<string, number>;
      };
      return [node.name, stats.requests] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** What the nodes counted between two snapshots: per node, and summed over all nodes. */
export interface CountsDelta {
  /** Node name → requests of this route (every node listed, zeros included). */
  perNode(route: string): Record<string, number>;
  total(route: string): number;
}

export function countsDelta(before: NodeCounts, after: NodeCounts): CountsDelta {
  const perNode = (route: string) =>
    Object.fromEntries(
      Object.keys(after).map((name) => [name, (after[name]![route] ?? 0) - (before[name]?.[route] ?? 0)]),
    );
  return {
    perNode,
    total: (route) => Object.values(perNode(route)).reduce((a, b) => a + b, 0),
  };
}

/** Runs `action` and returns what the nodes counted while it ran (the action must have finished). */
export async function countedDuring<T>(
  committee: Committee,
  action: () => Promise<T>,
): Promise<{ result: T; counted: CountsDelta }> {
  const before = await countsAt(committee);
  const result = await action();
  return { result, counted: countsDelta(before, await countsAt(committee)) };
}

// ── DESIGN §2, written out again on purpose ───────────────────────────────────────────────────────

/** f = floor((n-1)/3), P = n - 2f primary rows, S = n - f symbols per row. */
export function designParams(n: number) {
  const f = Math.floor((n - 1) / 3);
  return { f, P: n - 2 * f, S: n - f };
}

/** symbolSize = roundUpToEven(ceil(max(len, 1) / (P·S))); primary sliver i holds [i·S·symbolSize, (i+1)·S·symbolSize). */
export function designRowBytes(length: number, n: number): number {
  const { P, S } = designParams(n);
  const perSymbol = Math.ceil(Math.max(length, 1) / (P * S));
  return S * (perSymbol % 2 === 0 ? perSymbol : perSymbol + 1);
}

/** The systematic rows (= primary sliver indices) holding some of bytes [start, end) of the blob. */
export function rowsCovering(length: number, n: number, start = 0, end = length): number[] {
  const rowBytes = designRowBytes(length, n);
  const rows: number[] = [];
  for (let row = 0; row < designParams(n).P; row++) {
    if (row * rowBytes < end && (row + 1) * rowBytes > start) rows.push(row);
  }
  return rows;
}

/** Sliver pair p lives on shard (p + blobId as a big-endian integer mod n) mod n. */
export function shardOfPair(pair: number, blobId: Uint8Array, n: number): number {
  let value = 0n;
  for (const byte of blobId) value = (value << 8n) | BigInt(byte);
  return (pair + Number(value % BigInt(n))) % n;
}

/** The pair carrying primary sliver `row` is `row`; the pair carrying secondary sliver `column` is n-1-column. */
export function pairOf(index: number, type: 'primary' | 'secondary', n: number): number {
  return type === 'primary' ? index : n - 1 - index;
}

/** The committee member holding a shard. */
export function holderOf(committee: Committee, shard: number) {
  const node = committee.nodes.find((candidate) => candidate.shards.includes(shard));
  if (!node) throw new Error(`no node holds shard ${shard}`);
  return node;
}

/** The node holding a given sliver of a blob. */
export function sliverHolder(
  committee: Committee,
  blobId: Uint8Array,
  index: number,
  type: 'primary' | 'secondary',
) {
  const n = committee.nShards;
  return holderOf(committee, shardOfPair(pairOf(index, type, n), blobId, n));
}

/** How many of these slivers each node holds: what its `sliver` counter must rise by to serve them. */
export function expectedSliverCounts(
  committee: Committee,
  blobId: Uint8Array,
  slivers: { index: number; type: 'primary' | 'secondary' }[],
): Record<string, number> {
  const counts = Object.fromEntries(committee.nodes.map((node) => [node.name, 0]));
  for (const { index, type } of slivers) counts[sliverHolder(committee, blobId, index, type).name]!++;
  return counts;
}
