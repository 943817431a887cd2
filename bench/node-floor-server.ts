// For bench:serve: the least a single Node process can do per hit — node:http answering preloaded bytes
// with the same headers and nothing else (no routing, cache or checks). It shows how much of the gap
// to nginx is the edge's own work and how much is Node's http module on this machine.
// Usage: node bench/node-floor-server.ts PORT FILE... (each FILE is served at /v1/blobs/<its name>)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename } from 'node:path';

const [port, ...files] = process.argv.slice(2);
const blobs = new Map(files.map((file) => [`/v1/blobs/${basename(file)}`, readFileSync(file)]));
createServer((req, res) => {
  const bytes = blobs.get(req.url ?? '');
  if (!bytes) return void res.writeHead(404).end();
  res.writeHead(200, [
    'content-type',
    'application/octet-stream',
    'content-length',
    String(bytes.length),
    'cache-control',
    'public, max-age=31536000, immutable',
  ]);
  res.end(bytes);
}).listen(Number(port), '127.0.0.1');
