// Starting with HTTP_WORKERS > 1: on an embedded devnet the devnet runs in the primary and the workers
// attach to it (by /proc, the nodes' listening sockets are the primary's); a start that fails in the
// workers stops the edge with one line, as a single process does.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpWorkers } from '../../src/cluster/http-workers.ts';
import { loadConfig } from '../../src/config.ts';
import type { Committee } from '../../src/network/committee.ts';
import { tempDir } from '../support/devnet.ts';
import { requestsOnOwnConnections, startCluster } from './cluster-process.ts';
import { listeningPorts } from './proc.ts';

describe('HTTP_WORKERS', { timeout: 120_000 }, () => {
  it('defaults to one per core, and to one on an embedded devnet (which lives in one process)', () => {
    expect(httpWorkers(loadConfig({}), 8)).toBe(1);
    expect(httpWorkers(loadConfig({ DEVNET_DIR: '/somewhere' }), 8)).toBe(8);
    expect(httpWorkers(loadConfig({ NETWORK: 'mainnet' }), 8)).toBe(8);
    expect(httpWorkers(loadConfig({ HTTP_WORKERS: '3' }), 8)).toBe(3);
  });

  it('runs an embedded devnet in the primary when more workers are asked for, the workers attached to it', async () => {
    const dataDir = tempDir('cluster-embedded');
    const edge = await startCluster({
      HTTP_WORKERS: '2',
      DATA_DIR: dataDir.path,
      DEVNET_NODES: '4',
      DEVNET_SHARDS: '100',
    });
    try {
      const committee = JSON.parse(
        readFileSync(join(dataDir.path, 'devnet', 'committee.json'), 'utf8'),
      ) as Committee;
      const nodePorts = committee.nodes.map((node) => Number(new URL(node.url).port));
      const listeners = listeningPorts([edge.primary.pid!, ...edge.workers().keys()]);
      for (const port of nodePorts) expect(listeners.get(port)).toBe(edge.primary.pid);
      // Both workers serve. Node's primary hands connections out round-robin (the first two do); on
      // Bun (1.4.5) node:cluster cannot pass sockets and the kernel spreads them (SO_REUSEPORT, per
      // Bun's node:cluster notes, checked 2026-12-01), so a few more connections may be needed.
      const answers: Awaited<ReturnType<typeof requestsOnOwnConnections>> = [];
      while (new Set(answers.map((answer) => answer.servedBy)).size < 2 && answers.length < 20)
        answers.push(...(await requestsOnOwnConnections(edge, [{ path: '/status' }, { path: '/status' }])));
      expect(new Set(answers.map((answer) => answer.servedBy))).toEqual(new Set(edge.workers().keys()));
      for (const answer of answers)
        expect(JSON.parse(answer.body.toString())).toMatchObject({ network: 'devnet', storageNodes: 4 });
    } finally {
      await edge.stop();
      dataDir.remove();
    }
  });

  it('stops the edge with one line, no stack trace, when the workers cannot start', () => {
    const dataDir = tempDir('cluster-bad');
    const devnetDir = tempDir('cluster-no-devnet'); // no committee.json: not a devnet
    const started = spawnSync(process.execPath, [join(import.meta.dirname, '../../src/main.ts')], {
      env: {
        ...process.env,
        HTTP_WORKERS: '2',
        DEVNET_DIR: devnetDir.path,
        DATA_DIR: dataDir.path,
        PORT: '0',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    dataDir.remove();
    devnetDir.remove();
    expect(started.status).toBe(1);
    const lines = started.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^walrus-edge: .*committee\.json/);
    expect(started.stderr).not.toMatch(/\n\s+at /);
  });
});
