// The composition root as `npm start` runs it: an embedded devnet, the edge on top, /status and /metrics.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startEdge, type RunningEdge } from '../src/main.ts';
import { tempDir } from './support/devnet.ts';

let edge: RunningEdge;
const dir = tempDir('edge');

beforeAll(async () => {
  edge = await startEdge(loadConfig({ PORT: '0', DATA_DIR: dir.path, LOG_LEVEL: 'silent' }));
});
afterAll(async () => {
  await edge?.stop();
  dir.remove();
});

describe('walrus-edge on its embedded devnet', () => {
  it('answers /status with the devnet it runs on (mainnet-like by default)', async () => {
    const response = await fetch(`${edge.url}/status`);
    expect(response.status).toBe(200);
    const status = (await response.json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      service: 'walrus-edge',
      network: 'devnet',
      nShards: 1000,
      storageNodes: 12,
      epoch: 1,
    });
    // One chain path: the devnet is read over its own Sui gRPC endpoint, as mainnet is.
    expect(status.sui).toMatchObject({
      url: edge.devnet!.suiUrl,
      systemObjectId: edge.devnet!.packageConfig.systemObjectId,
      stakingObjectId: edge.devnet!.packageConfig.stakingPoolId,
      lastError: null,
    });
    // The embedded nodes really serve: their health endpoint answers.
    const health = await fetch(`${edge.devnet!.committee.nodes[0]!.url}/v1/health`);
    expect(health.status).toBe(200);
  });

  it('answers unknown routes with an AIP-193 404', async () => {
    const response = await fetch(`${edge.url}/nope?x=1`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as {
      error: { code: number; status: string; details: { reason: string }[] };
    };
    expect(body.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(body.error.details[0]!.reason).toBe('NOT_FOUND');
  });

  it('counts requests by route pattern in Prometheus format', async () => {
    await fetch(`${edge.url}/status`);
    await fetch(`${edge.url}/definitely/not/a/route/abc123`);
    const text = await (await fetch(`${edge.url}/metrics`)).text();
    expect(text).toMatch(
      /walrus_edge_http_requests_total\{route="\/status",method="GET",status="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /walrus_edge_http_requests_total\{route="unmatched",method="GET",status="404"\} [1-9]/,
    );
    expect(text).not.toContain('abc123');
  });

  it('stops `npm start` on an invalid setting with one line that names it, and no stack trace', async () => {
    const dataDir = tempDir('bad-config');
    const started = spawnSync(process.execPath, [join(import.meta.dirname, '../src/main.ts')], {
      env: { ...process.env, PORT: 'eighty', DATA_DIR: dataDir.path },
      encoding: 'utf8',
      timeout: 20_000,
    });
    dataDir.remove();
    expect(started.status).toBe(1);
    const lines = started.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^walrus-edge: invalid configuration: PORT: /);
    expect(started.stderr).not.toMatch(/\n\s+at /);
  });

  it('logs JSON lines when stdout is no terminal, and readable lines with LOG_FORMAT=pretty', async () => {
    const firstLines = async (env: Record<string, string>) => {
      const dataDir = tempDir('log-format');
      const child = spawn(process.execPath, [join(import.meta.dirname, '../src/main.ts')], {
        env: { ...process.env, PORT: '0', DATA_DIR: dataDir.path, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('walrus-edge listening')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`the edge exited with ${code}: ${out}`)));
      });
      child.kill('SIGKILL');
      dataDir.remove();
      return out.split('\n').filter((line) => line.trim() !== '');
    };
    const json = await firstLines({});
    for (const line of json) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(json.at(-1)!)).toMatchObject({ level: 30, msg: 'walrus-edge listening' });
    const pretty = await firstLines({ LOG_FORMAT: 'pretty' });
    expect(pretty.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO .*walrus-edge listening/.test(line))).toBe(
      true,
    );
    expect(() => JSON.parse(pretty[0]!)).toThrow();
  }, 60_000);

  it('rejects invalid configuration loudly', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ NETWORK: 'moonnet' })).toThrow(/NETWORK/);
    expect(() => loadConfig({ SUI_RPC_URL: 'fullnode.mainnet.sui.io' })).toThrow(/SUI_RPC_URL/);
    expect(() => loadConfig({ SUI_REQUEST_TIMEOUT_MS: '0' })).toThrow(/SUI_REQUEST_TIMEOUT_MS/);
  });
});
