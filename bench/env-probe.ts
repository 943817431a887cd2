// Loaded into an edge process by bench:serve (`node --import bench/env-probe.ts src/main.ts`): it serves
// the bare server's three-header answer at ENV_PROBE_PORT, and on SIGUSR2 it answers node:http requests in-process with the bare server's three-header handler
// (bench/in-process-http.ts) and writes the least main-thread CPU per answer to ENV_PROBE_FILE as
// JSON ({ us }). The same code timed in a bare process (fast-path-cost.ts) tells what running inside
// the edge — a large heap, the JIT's feedback from everything else the process does — costs Node's
// own http code, apart from anything the edge adds to a request.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { isMainThread } from 'node:worker_threads';
import { leastCpuPerAnswer, threeHeaders } from './in-process-http.ts';

// --import runs in the codec's worker threads too; the probe belongs to the main thread only.
if (isMainThread) {
  const file = process.env.ENV_PROBE_FILE;
  if (!file) throw new Error('ENV_PROBE_FILE is not set');
  const bytes = new Uint8Array(Number(process.env.ENV_PROBE_SIZE ?? 65536));
  // The same handler on a port of its own, for wrk (ENV_PROBE_PORT): what a bare server's answer costs
  // on the wire inside the edge's process, where the edge's own answer costs more again.
  if (process.env.ENV_PROBE_PORT) {
    const body = Buffer.alloc(bytes.length); // as the bare server's, read from a file: a Buffer
    createServer(threeHeaders(body)).listen(Number(process.env.ENV_PROBE_PORT), '127.0.0.1');
  }
  process.on('SIGUSR2', async () => {
    const [least] = await leastCpuPerAnswer([['node:http, 3 headers', threeHeaders(bytes)]], '/probe');
    writeFileSync(file, JSON.stringify({ us: least!.us }));
  });
}
