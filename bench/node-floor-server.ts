// For bench:serve: the least a single Node process can do per hit — the bare server's answer
// (floor-handler.ts) in a process of its own. It shows how much of the gap to nginx is the edge's own
// work and how much is Node's http module on this machine.
// Usage: [HEADERS_FILE=F] node bench/node-floor-server.ts PORT FILE... (FILE at /v1/blobs/<its name>)
import { createServer } from 'node:http';
import { floorAnswers } from './floor-handler.ts';

const [port, ...files] = process.argv.slice(2);
createServer(floorAnswers(files, process.env.HEADERS_FILE)).listen(Number(port), '127.0.0.1');
