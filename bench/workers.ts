// npm run bench:workers — what a read costs the Workers tier reading Walrus itself (src/workers/,
// NETWORK=devnet: committee from Sui, slivers from the nodes, verified and decoded in the Worker),
// next to the edge on Node doing the same reads of the same blobs in the same run. Both read one
// devnet (its own process); each blob is read once cold (a miss: metadata, slivers, verification,
// decoding) and then `--hits` times warm. Printed: CPU per read (user + system of the server's
// processes, /proc/PID/stat, over the reads), and wall time per cold read.
//
// Why it matters: Cloudflare caps a Worker's CPU time per request (Workers "Limits", read 2026-12-04:
// 10 ms on the Free plan, 30 s by default and up to 5 minutes on Paid), so the cold read's CPU says
// which plan a blob size needs. The Worker runs in workerd under `wrangler dev`, with Miniflare's
// Cache API in the same workerd process: its hits are the simulator's, not Cloudflare's cache, and
// count that simulation's work too. Merkle hashing runs in JavaScript there (Workers compile no
// WebAssembly from bytes, so the hand-assembled kernels fall back), RS2 decoding in walrus-wasm.
// Usage: node bench/workers.ts [--sizes 65536,1048576,4194304] [--hits 200] [--cold 3]
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startBenchDevnet } from './bench-devnet.ts';
import { startBenchEdge } from './bench-edge.ts';
import { processTree, processTreeCpuSeconds } from './process-cpu.ts';
import { startWorkersTier } from '../test/support/workers-tier.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '65536,1048576,4194304' },
    hits: { type: 'string', default: '200' },
    cold: { type: 'string', default: '3' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const hits = Number(values.hits);
const colds = Number(values.cold);

const devnet = await startBenchDevnet('workers', { nodes: '11', shards: '100' });
// PUBLISH_WARM_CACHE=false: the blobs it stores must be cold for its own reads too.
const edge = await startBenchEdge(devnet.dir, { ACCESS_LOG: 'false', PUBLISH_WARM_CACHE: 'false' });
const worker = await startWorkersTier({
  ORIGINS: '',
  NETWORK: 'devnet',
  SUI_URL: devnet.suiUrl,
  WALRUS_SYSTEM_OBJECT: devnet.packageConfig.systemObjectId,
  WALRUS_STAKING_OBJECT: devnet.packageConfig.stakingPoolId,
});
const servers = [
  { name: 'edge (Node)', url: edge.url, cpu: () => edge.cpuSeconds() },
  // wrangler's own process takes no part in answering: workerd, its child, does the work.
  {
    name: 'Worker (workerd)',
    url: worker.url,
    cpu: () =>
      processTree(worker.pid)
        .filter((pid) => pid !== worker.pid)
        .reduce((sum, pid) => sum + processTreeCpuSeconds(pid), 0),
  },
];

async function read(url: string): Promise<number> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return (await response.arrayBuffer()).byteLength;
}

const rows: string[][] = [];
try {
  // Warm both up (JIT, the committee, connections) on a blob of their own.
  const warmUp = await store(randomBytes(1024));
  for (const server of servers) for (let i = 0; i < 20; i++) await read(`${server.url}/v1/blobs/${warmUp}`);

  for (const size of sizes) {
    // Blobs of its own per server, so each cold read is a real miss; CPU is read in 10 ms ticks, so
    // several cold reads are summed.
    for (const server of servers) {
      const blobs = [];
      for (let i = 0; i < colds; i++) blobs.push(await store(randomBytes(size)));
      let cpu = server.cpu();
      const started = performance.now();
      for (const blobId of blobs) {
        if ((await read(`${server.url}/v1/blobs/${blobId}`)) !== size)
          throw new Error(`${server.name}: short blob`);
      }
      const coldMs = (performance.now() - started) / colds;
      const coldCpuMs = ((server.cpu() - cpu) * 1000) / colds;
      // The cache put runs after the answer: let it land before the hits.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const url = `${server.url}/v1/blobs/${blobs[0]}`;
      cpu = server.cpu();
      for (let i = 0; i < hits; i++) await read(url);
      const hitCpuUs = ((server.cpu() - cpu) * 1e6) / hits;
      rows.push([
        server.name,
        `${Math.round(size / 1024)} KiB`,
        coldCpuMs.toFixed(0),
        coldMs.toFixed(0),
        hitCpuUs.toFixed(0),
      ]);
    }
  }
} finally {
  await worker.stop();
  edge.stop();
  devnet.stop();
}

async function store(bytes: Uint8Array): Promise<string> {
  const response = await fetch(`${edge.url}/v1/blobs?epochs=2`, {
    method: 'PUT',
    body: new Blob([bytes as Uint8Array<ArrayBuffer>]),
  });
  const json = (await response.json()) as {
    newlyCreated?: { blobObject: { blobId: string } };
    alreadyCertified?: { blobId: string };
  };
  const blobId = json.newlyCreated?.blobObject.blobId ?? json.alreadyCertified?.blobId;
  if (!blobId) throw new Error(`the edge stored nothing: ${JSON.stringify(json)}`);
  return blobId;
}

const header = [
  'server',
  'blob',
  `cold read CPU ms (mean of ${colds})`,
  'cold read wall ms',
  `hit CPU µs (${hits} sequential reads)`,
];
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
console.log(`\nbench:workers, ${new Date().toISOString()}, devnet of 11 nodes and 100 shards\n`);
console.log(line(header));
console.log(line(widths.map((width) => '-'.repeat(width))));
for (const row of rows) console.log(line(row));
