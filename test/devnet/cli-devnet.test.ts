// The devnet as users run it: `walrus-edge devnet` in its own process, `walrus-edge put` against it,
// then SIGKILL and a restart on the same directory: every certified blob must still be served.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { WalrusClient } from '@mysten/walrus';
import { CommitteeSchema } from '../../src/network/committee.ts';
import { computeBlobId } from '../../src/codec/blob-id-of.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { wasmBoundTimeout } from '../support/bun.ts';
import { readSystematic, tempDir } from '../support/devnet.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli.ts');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `walrus-edge devnet` and resolves with its start-up line once it is serving. */
function startDevnetProcess(args: string[]): Promise<{
  child: ChildProcess;
  info: {
    startupMs: number;
    committee: string;
    suiUrl: string;
    packageConfig: { systemObjectId: string; stakingPoolId: string };
  };
}> {
  const child = spawn(process.execPath, [CLI, 'devnet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, info: JSON.parse(line) });
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`devnet exited with ${code}: ${err}`)));
  });
}

async function putFile(path: string, dir: string, extra: string[] = []) {
  const { stdout } = await run(process.execPath, [CLI, 'put', path, '--devnet-dir', dir, ...extra]);
  return JSON.parse(stdout) as { blobId: string; objectId: string; endEpoch: number; certifiedEpoch: number };
}

/**
 * The restart test's limit: nearly all of it is CPU in WebAssembly, four RS2 encodings for 1000 shards
 * (two by `put`, two by the blob-ID witness) and the devnet's Merkle checks of 4000 slivers, so 100 s
 * on Bun (wasmBoundTimeout). Nothing else differs there: the SIGKILLed devnet exits within 30 ms and
 * the restarted one serves in 0.5 s on both runtimes; the test took 39-44 s alone on Bun, 31 s on Node
 * (2026-12-01).
 */
const RESTART_TEST_TIMEOUT_MS = wasmBoundTimeout(60_000);

describe('walrus-edge devnet, put and blob-id', () => {
  it(
    'stores blobs from the CLI and still serves them after the devnet is killed and restarted',
    async () => {
      const dir = tempDir('cli');
      try {
        const first = await startDevnetProcess([
          '--dir',
          dir.path,
          '--nodes',
          '12',
          '--shards',
          '1000',
          '--port',
          '0',
        ]);
        expect(first.info.startupMs).toBeLessThan(10_000);
        const committee = CommitteeSchema.parse(JSON.parse(readFileSync(first.info.committee, 'utf8')));
        expect(committee.nShards).toBe(1000);
        expect(committee.nodes).toHaveLength(12);
        expect(new Set(committee.nodes.flatMap((n) => n.shards)).size).toBe(1000);

        const files = [randomBytes(1, 11), randomBytes(150_000, 12)].map((bytes, i) => {
          const path = join(dir.path, `blob-${i}.bin`);
          writeFileSync(path, bytes);
          return { path, bytes };
        });
        const stored = [];
        for (const file of files) {
          const result = await putFile(file.path, dir.path, ['--epochs', '5']);
          expect(result.blobId).toBe(computeBlobId(file.bytes, 1000));
          expect(result.certifiedEpoch).toBe(1);
          expect(result.endEpoch).toBe(6);
          stored.push({ ...result, bytes: file.bytes });
        }

        first.child.kill('SIGKILL');
        await new Promise((resolve) => first.child.once('exit', resolve));

        const second = await startDevnetProcess(['--dir', dir.path]);
        const afterFile = JSON.parse(readFileSync(second.info.committee, 'utf8')) as typeof second.info;
        const after = CommitteeSchema.parse(afterFile);
        expect(after.nodes.map((n) => n.blsPublicKey)).toEqual(committee.nodes.map((n) => n.blsPublicKey));
        // The devnet's Sui: same object IDs after the restart, read by the official SDK from committee.json.
        expect(second.info.packageConfig).toEqual(first.info.packageConfig);
        expect(afterFile.packageConfig).toEqual(first.info.packageConfig);
        expect(afterFile.suiUrl).toBe(second.info.suiUrl);
        const walrus = new WalrusClient({
          packageConfig: afterFile.packageConfig,
          suiClient: new SuiGrpcClient({ baseUrl: afterFile.suiUrl, network: 'localnet' }),
          storageNodeUrlScheme: 'http',
        });
        expect((await walrus.systemState()).committee.n_shards).toBe(1000);
        expect((await walrus.getBlobObject(stored[1]!.objectId)).storage.end_epoch).toBe(6);
        for (const blob of stored) {
          expect(await readSystematic(after, blob.blobId)).toEqual(blob.bytes);
          const objects = (await (await fetch(`${after.chainUrl}/v1/blob-ids/${blob.blobId}`)).json()) as {
            objects: { id: string; certifiedEpoch: number }[];
          };
          expect(objects.objects.map((o) => o.id)).toEqual([blob.objectId]);
        }
        second.child.kill('SIGTERM');
      } finally {
        dir.remove();
      }
    },
    RESTART_TEST_TIMEOUT_MS,
  );

  it('prints blob IDs for files and rejects bad usage with exit code 2', async () => {
    const dir = tempDir('blob-id');
    try {
      const path = join(dir.path, 'vector.txt');
      writeFileSync(path, 'some other string');
      const { stdout } = await run(process.execPath, [CLI, 'blob-id', path]);
      expect(stdout.trim()).toBe('M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk');
      const small = await run(process.execPath, [CLI, 'blob-id', path, '--shards', '10']);
      expect(small.stdout.trim()).toBe(computeBlobId(new TextEncoder().encode('some other string'), 10));
      expect(small.stdout.trim()).not.toBe(stdout.trim());
      await expect(run(process.execPath, [CLI, 'blob-id'])).rejects.toMatchObject({ code: 2 });
      await expect(run(process.execPath, [CLI, 'frobnicate'])).rejects.toMatchObject({ code: 2 });
    } finally {
      dir.remove();
    }
  });
});
