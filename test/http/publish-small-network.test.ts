// A network whose largest blob is smaller than the publisher's body limit (10 shards: P·S·65534 ≈
// 1.8 MB): a body the network cannot hold is 413 before anything is encoded, registered or paid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { maxBlobSize } from '../../src/protocol/encoding.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';
import { schemaProblems } from './publisher-spec.ts';

let devnet: RunningDevnet;
let edge: RunningEdge;
const edgeDir = tempDir('publish-small');

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
  edge = await startEdge(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: edgeDir.path,
      DEVNET_DIR: devnet.dir,
      PUBLISHER_SUB_WALLETS: '0',
    }),
  );
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  edgeDir.remove();
});

it('a body larger than the network can hold is 413, with nothing paid', async () => {
  const owner = (
    JSON.parse(readFileSync(join(edgeDir.path, 'publisher', 'wallet.json'), 'utf8')) as { address: string }
  ).address;
  const balances = async () =>
    JSON.stringify(
      (await new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }).core.listBalances({ owner }))
        .balances,
    );
  const before = await balances();
  const response = await fetch(`${edge.url}/v1/blobs`, {
    method: 'PUT',
    body: randomBytes(maxBlobSize(10) + 1, 5001) as BodyInit,
  });
  const json = await response.json();
  expect(response.status).toBe(413);
  expect(schemaProblems('Status', json)).toEqual([]);
  expect(await balances()).toBe(before);
});
