// For bench:serve: the least a single Node process can do per hit — node:http answering preloaded bytes
// and nothing else (no routing, cache or checks). It shows how much of the gap to nginx is the edge's
// own work and how much is Node's http module on this machine. By default it sends three headers (as
// the bare server of issue 13 did); with HEADERS_FILE, the very headers the edge sent for that blob
// (a JSON object of blob ID → [[name, value], …], Date aside: Node adds its own), so the same answer.
// Usage: [HEADERS_FILE=F] node bench/node-floor-server.ts PORT FILE... (FILE at /v1/blobs/<its name>)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename } from 'node:path';
import { threeHeaderList } from './in-process-http.ts';

const [port, ...files] = process.argv.slice(2);
const copied = process.env.HEADERS_FILE
  ? (JSON.parse(readFileSync(process.env.HEADERS_FILE, 'utf8')) as Record<string, [string, string][]>)
  : undefined;
const answers = new Map(
  files.map((file) => {
    const bytes = readFileSync(file);
    const headers = copied ? copied[basename(file)]!.flat() : threeHeaderList(bytes.length);
    return [`/v1/blobs/${basename(file)}`, { bytes, headers }];
  }),
);
createServer((req, res) => {
  const answer = answers.get(req.url ?? '');
  if (!answer) return void res.writeHead(404).end();
  res.writeHead(200, answer.headers);
  res.end(answer.bytes);
}).listen(Number(port), '127.0.0.1');
