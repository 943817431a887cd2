// The composition root: reads the configuration, starts (or finds) the network, wires the edge, serves it.
// `npm start` runs this file; `walrus-edge serve` calls startEdge.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { loadConfig, type EdgeConfig } from './config.ts';
import { CommitteeSchema, type Committee } from './network/committee.ts';
import { DevnetChainClient } from './network/devnet-chain-client.ts';
import { startDevnet, type RunningDevnet } from './devnet/devnet.ts';
import { createEdgeApp } from './http/app.ts';
import { createHttpMetrics } from './http/metrics.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunningEdge {
  url: string;
  devnet: RunningDevnet | undefined;
  stop(): Promise<void>;
}

export async function startEdge(config: EdgeConfig): Promise<RunningEdge> {
  const log = pino({ level: config.LOG_LEVEL });
  if (config.NETWORK !== 'devnet') {
    throw new Error(
      `NETWORK=${config.NETWORK} is not supported yet: committees from Sui arrive with the reader work`,
    );
  }

  let devnet: RunningDevnet | undefined;
  let committee: () => Committee;
  if (config.DEVNET_DIR) {
    const path = join(resolve(config.DEVNET_DIR), 'committee.json');
    committee = () => CommitteeSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    const current = committee();
    if (current.chainUrl) await new DevnetChainClient(current.chainUrl).state();
    log.info(
      { committee: path, nodes: current.nodes.length, shards: current.nShards },
      'using running devnet',
    );
  } else {
    const started = performance.now();
    devnet = await startDevnet({
      dir: join(resolve(config.DATA_DIR), 'devnet'),
      nodes: config.DEVNET_NODES,
      shards: config.DEVNET_SHARDS,
    });
    const running = devnet;
    committee = () => ({ ...running.committee, epoch: running.ledger.epoch });
    log.info(
      {
        dir: devnet.dir,
        nodes: devnet.committee.nodes.length,
        shards: devnet.committee.nShards,
        ms: Math.round(performance.now() - started),
      },
      'embedded devnet started',
    );
  }

  const app = createEdgeApp({ version: VERSION, network: 'devnet', committee, metrics: createHttpMetrics() });
  const server = await new Promise<Server>((resolveServer) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () =>
      resolveServer(s as Server),
    );
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST}:${port}`;
  log.info({ url }, 'walrus-edge listening');

  return {
    url,
    devnet,
    stop: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await devnet?.stop();
    },
  };
}

if (import.meta.main) {
  const edge = await startEdge(loadConfig());
  const shutdown = () => void edge.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
