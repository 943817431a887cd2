// The bare server's answer (bench:serve): node:http writing a blob's preloaded bytes at
// /v1/blobs/<file name> and nothing else — no routing, cache or checks. By default with three headers
// (as the bare server of issue 13 did); with a headers file, the very headers the edge sent for that
// blob (a JSON object of blob ID → [[name, value], …], Date aside: Node adds its own), so the same
// answer. Served by a process of its own (node-floor-server.ts) and inside an edge (env-probe.ts).
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { basename } from 'node:path';
import { threeHeaderList } from './in-process-http.ts';

export function floorAnswers(files: string[], headersFile?: string): RequestListener {
  const copied = headersFile
    ? (JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, [string, string][]>)
    : undefined;
  const answers = new Map(
    files.map((file) => {
      const bytes = readFileSync(file);
      const headers = copied ? copied[basename(file)]!.flat() : threeHeaderList(bytes.length);
      return [`/v1/blobs/${basename(file)}`, { bytes, headers }];
    }),
  );
  return (req, res) => {
    const answer = answers.get(req.url ?? '');
    if (!answer) return void res.writeHead(404).end();
    res.writeHead(200, answer.headers);
    res.end(answer.bytes);
  };
}
