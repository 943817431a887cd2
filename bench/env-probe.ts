// Loaded into an edge process by bench:serve (`node --import bench/env-probe.ts src/main.ts`): it serves
// the bare server's answers (floor-handler.ts: the files of ENV_PROBE_FILES, separated by the path
// delimiter) from inside the edge's process — with three headers at ENV_PROBE_PORT, with the edge's
// own headers (ENV_PROBE_HEADERS_FILE) at ENV_PROBE_SAME_PORT — and on SIGUSR2 it answers node:http
// requests in-process with the bare server's three-header handler (bench/in-process-http.ts) and
// writes the least main-thread CPU per answer to ENV_PROBE_FILE as JSON ({ us }). The same code in a
// bare process tells what running inside the edge — a large heap, the JIT's feedback from everything
// else the process does — costs Node's own http code; the edge's answer against the same headers
// from its own process tells what the edge adds to a request.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { delimiter } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { floorAnswers } from './floor-handler.ts';
import { leastCpuPerAnswer, threeHeaders } from './in-process-http.ts';

// --import runs in the codec's worker threads too; the probe belongs to the main thread only.
if (isMainThread) {
  const file = process.env.ENV_PROBE_FILE;
  if (!file) throw new Error('ENV_PROBE_FILE is not set');
  const files = (process.env.ENV_PROBE_FILES ?? '').split(delimiter).filter(Boolean);
  if (process.env.ENV_PROBE_PORT)
    createServer(floorAnswers(files)).listen(Number(process.env.ENV_PROBE_PORT), '127.0.0.1');
  if (process.env.ENV_PROBE_SAME_PORT)
    createServer(floorAnswers(files, process.env.ENV_PROBE_HEADERS_FILE)).listen(
      Number(process.env.ENV_PROBE_SAME_PORT),
      '127.0.0.1',
    );
  const bytes = new Uint8Array(Number(process.env.ENV_PROBE_SIZE ?? 65536));
  process.on('SIGUSR2', async () => {
    const [least] = await leastCpuPerAnswer([['node:http, 3 headers', threeHeaders(bytes)]], '/probe');
    writeFileSync(file, JSON.stringify({ us: least!.us }));
  });
}
