// A grpc-web proxy in front of the devnet's Sui endpoint that can fail calls on purpose and keeps its
// own record of what it did: the witness for the edge's Sui metrics. A failed call is answered the
// way a full node refuses one, trailers-only with grpc-status 14 (UNAVAILABLE); the rest are passed
// through byte for byte. The RPC is the last segment of the path (/sui.rpc.v2.LedgerService/ListEvents).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface SuiProxy {
  url: string;
  /** Fails the RPCs `which` selects from now on (none: pass everything through). */
  fail(which: ((rpc: string) => boolean) | undefined): void;
  /** Calls failed on purpose so far, by RPC. */
  failed(): Record<string, number>;
  /** When each RPC was last answered by the devnet (ms since 1970). */
  lastPassed(rpc: string): number | undefined;
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSuiProxy(upstream: string): Promise<SuiProxy> {
  let failing: ((rpc: string) => boolean) | undefined;
  const failed: Record<string, number> = {};
  const passed = new Map<string, number>();
  const server = createServer((request, response) => {
    void (async () => {
      const rpc = (request.url ?? '').split('/').pop() ?? '';
      const sent = await body(request);
      if (failing?.(rpc)) {
        failed[rpc] = (failed[rpc] ?? 0) + 1;
        response.writeHead(200, {
          'content-type': request.headers['content-type'] ?? 'application/grpc-web-text',
          'grpc-status': '14',
          'grpc-message': 'the%20test%20proxy%20fails%20this%20call',
        });
        response.end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name))
          headers[name] = value;
      const answer = await fetch(`${upstream}${request.url}`, {
        method: request.method,
        headers,
        body: new Uint8Array(sent),
      });
      const bytes = Buffer.from(await answer.arrayBuffer());
      passed.set(rpc, Date.now());
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name))
          out[name] = value;
      });
      response.writeHead(answer.status, out);
      response.end(bytes);
    })().catch(() => response.destroy());
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fail: (which) => void (failing = which),
    failed: () => ({ ...failed }),
    lastPassed: (rpc) => passed.get(rpc),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/**
 * A devnet directory whose committee.json names `suiUrl` instead of the devnet's own endpoint (the
 * rest unchanged): DEVNET_DIR for an edge that reads Sui through a proxy.
 */
export function devnetDirVia(devnetDir: string, dir: string, suiUrl: string): string {
  mkdirSync(dir, { recursive: true });
  const committee = JSON.parse(readFileSync(join(devnetDir, 'committee.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  writeFileSync(join(dir, 'committee.json'), JSON.stringify({ ...committee, suiUrl }));
  return dir;
}
