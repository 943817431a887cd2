// The V8 flags the edge's Node process is started with, by every launcher: `npm start`, the
// `walrus-edge` command's shebang, the container image's CMD, the systemd unit (a test checks each
// carries them; the cluster's workers inherit the primary's). Not settable from inside: V8 reads them
// at start-up, and NODE_OPTIONS refuses them.
//
// --no-memory-reducer: V8's memory reducer runs full collections when a process turns idle (a few
// seconds after start-up, or after a quiet spell). Measured 2026-12-02 on Node 24 (an edge pinned to
// one core, wrk on the other, 64 KiB memory hits, CPU µs per answer; README, "Caching"): after those
// collections edge processes served memory hits at 39–48 µs, without them at 26–32 µs, next to
// 21–23 µs for bare node:http — Node's own http code (ServerResponse, nextTick, the parser's
// callbacks) ran 1.6× slower for as long as measured. Keeping the young generation large, keeping
// bytecode, not compacting, or the reducer's collections without ReduceMemoryFootprint did not avoid
// it; only not running them did. The cost: an idle edge keeps the heap it grew to (tens of MB) instead
// of handing it back, which for a cache sized in hundreds of MB is the right trade. `bench:serve`
// measures the edge both ways in one run.
export const EDGE_NODE_FLAGS = ['--no-memory-reducer'] as const;

/** The flags of EDGE_NODE_FLAGS this Node process was not started with (none on Bun: not V8). */
export function missingNodeFlags(): string[] {
  if ('bun' in process.versions) return [];
  return EDGE_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag));
}
