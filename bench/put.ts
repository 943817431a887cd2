// npm run bench:put — storing blobs on a devnet of 1000 shards and 20 nodes: `walrus-edge put` (our
// encoder, uploads and certificate, Sui transactions built by the SDK) against the official SDK's
// writeBlob, same devnet, same run, each write in a fresh process. Both pay through the devnet's Sui
// endpoint; the CLI's own timings (encode, register, upload, certify) are printed beside its total.
// Usage: node bench/put.ts [--sizes 1MiB,10MiB] [--nodes 20] [--shards 1000]
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CLI as cli, startBenchDevnet } from './bench-devnet.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1MiB,10MiB' },
    nodes: { type: 'string', default: '20' },
    shards: { type: 'string', default: '1000' },
  },
});
const sizes = values.sizes.split(',').map((text) => {
  const match = /^(\d+)(KiB|MiB)$/.exec(text.trim());
  if (!match) throw new Error(`bad size ${text}`);
  return Number(match[1]) * (match[2] === 'MiB' ? 1024 * 1024 : 1024);
});

const devnet = await startBenchDevnet('put', { nodes: values.nodes, shards: values.shards });
const dir = devnet.dir;
const info = { committee: devnet.committeePath };

const label = (size: number) => (size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : `${size / 1024} KiB`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const randomFile = (size: number, name: string) => {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};

try {
  // The CLI's wallet is funded on its first put: that one is not measured.
  await run(process.execPath, [cli, 'put', randomFile(1024, 'warm.bin'), '--devnet-dir', dir]);
  console.log(
    `\nwrites to a devnet of ${values.shards} shards and ${values.nodes} nodes, one process each\n`,
  );
  console.log('blob     writer             total     encode / register / upload / certify');
  for (const size of sizes) {
    const ours = randomFile(size, `ours-${size}.bin`);
    const started = performance.now();
    const put = await run(process.execPath, [cli, 'put', ours, '--devnet-dir', dir, '--epochs', '2'], {
      maxBuffer: 1 << 20,
    });
    const total = performance.now() - started;
    const t = (JSON.parse(put.stdout) as { timingsMs: Record<string, number> }).timingsMs;
    const sdkFile = randomFile(size, `sdk-${size}.bin`);
    const sdk = await run(process.execPath, [join(root, 'bench/put-one.ts'), info.committee, sdkFile, '2'], {
      maxBuffer: 1 << 20,
    });
    const sdkMs = (JSON.parse(sdk.stdout.trim().split('\n').at(-1)!) as { ms: number }).ms;
    const phases = [t.encode, t.register, t.upload, t.certify].map((ms) => `${ms} ms`).join(' / ');
    console.log(`${label(size).padEnd(8)} walrus-edge put    ${seconds(total).padEnd(9)} ${phases}`);
    console.log(`${''.padEnd(8)} @mysten/walrus     ${seconds(sdkMs)}`);
    console.log(`${''.padEnd(8)} ratio put/sdk      ${(total / sdkMs).toFixed(2)}`);
  }
} finally {
  devnet.stop();
}
