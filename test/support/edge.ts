// An edge on its own embedded devnet (100 shards, 11 nodes) in a temporary directory, for tests that
// go through HTTP. `env` adds or overrides configuration (src/config.ts).
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { tempDir } from './devnet.ts';

export interface TestEdge {
  edge: RunningEdge;
  devnet: RunningDevnet;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestEdge(env: Record<string, string> = {}): Promise<TestEdge> {
  const dir = tempDir('edge');
  const edge = await startEdge(
    loadConfig({
      PORT: '0',
      DATA_DIR: dir.path,
      DEVNET_SHARDS: '100',
      DEVNET_NODES: '11',
      LOG_LEVEL: 'silent',
      ...env,
    }),
  );
  return {
    edge,
    devnet: edge.devnet!,
    url: edge.url,
    dir: dir.path,
    stop: async () => {
      await edge.stop();
      dir.remove();
    },
  };
}
