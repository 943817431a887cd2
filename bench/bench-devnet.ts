// The devnet a benchmark measures against: `walrus-edge devnet` in a process of its own (so its work
// is not the measured process's), in a fresh temporary directory, removed again by `stop`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processCpuSeconds } from './process-cpu.ts';

export const CLI = join(import.meta.dirname, '..', 'src/cli.ts');

export async function startBenchDevnet(
  name: string,
  options: { nodes: string; shards: string },
): Promise<{
  dir: string;
  committeePath: string;
  suiUrl: string;
  packageConfig: { systemObjectId: string; stakingPoolId: string };
  pid: number;
  cpuSeconds(): number;
  stop(): void;
}> {
  const dir = mkdtempSync(join(tmpdir(), `walrus-edge-bench-${name}-`));
  const devnet = spawn(
    process.execPath,
    [CLI, 'devnet', '--dir', dir, '--nodes', options.nodes, '--shards', options.shards, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const info = await new Promise<{
    committee: string;
    suiUrl: string;
    packageConfig: { systemObjectId: string; stakingPoolId: string };
  }>((resolve, reject) => {
    let out = '';
    devnet.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    devnet.once('exit', (code) => reject(new Error(`devnet exited ${code}`)));
  });
  return {
    dir,
    committeePath: info.committee,
    suiUrl: info.suiUrl,
    packageConfig: info.packageConfig,
    pid: devnet.pid!,
    cpuSeconds: () => processCpuSeconds(devnet.pid!),
    stop: () => {
      devnet.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
