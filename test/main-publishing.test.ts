// The composition root's publishing on a Sui network (NETWORK=testnet, its Sui being the devnet's
// gRPC endpoint): the publisher runs only with an operator key, and then only with PUBLISHER_AUTH set
// — an open publisher spends the operator's WAL for anyone — and pays from that key's wallet.
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../src/devnet/devnet.ts';
import { randomBytes } from './protocol/oracle.ts';
import { startTestDevnet, tempDir } from './support/devnet.ts';
import {
  objectOwner,
  putNewlyCreated,
  startTestnetEdgeOnDevnet,
  walletBalances,
} from './support/publishing.ts';

let devnet: RunningDevnet;
const dirs: { remove(): void }[] = [];
const operator = new Ed25519Keypair();

const onTestnet = (env: Record<string, string>) => {
  const dir = tempDir('main-publishing');
  dirs.push(dir);
  return startTestnetEdgeOnDevnet(devnet, dir.path, env);
};

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: operator.toSuiAddress() });
}, 60_000);
afterAll(async () => {
  await devnet?.stop();
  for (const dir of dirs) dir.remove();
});

describe('publishing on testnet/mainnet', () => {
  it('without an operator key there is no publisher: PUT /v1/blobs is 404, reads work', async () => {
    const edge = await onTestnet({});
    try {
      const response = await fetch(`${edge.url}/v1/blobs`, { method: 'PUT', body: 'x' });
      expect(response.status).toBe(404);
      expect((await fetch(`${edge.url}/readyz`)).status).toBe(200);
    } finally {
      await edge.stop();
    }
  });

  it('with an operator key and PUBLISHER_AUTH unset, the edge refuses to start, before any funds move', async () => {
    const balances = () => walletBalances(devnet, operator.toSuiAddress());
    const before = await balances();
    // Four sub-wallets by default: starting would fund them from the operator's wallet.
    await expect(onTestnet({ SUI_PRIVATE_KEY: operator.getSecretKey() })).rejects.toThrow(/PUBLISHER_AUTH/);
    expect(await balances()).toEqual(before);
  });

  it("with PUBLISHER_AUTH=none the operator's wallet pays for what is published", async () => {
    const edge = await onTestnet({
      SUI_PRIVATE_KEY: operator.getSecretKey(),
      PUBLISHER_AUTH: 'none',
      PUBLISHER_SUB_WALLETS: '0',
    });
    try {
      const created = await putNewlyCreated(edge, '?permanent=true', randomBytes(5_000, 7001));
      expect(await objectOwner(devnet, created.blobObject.id)).toBe(operator.toSuiAddress());
    } finally {
      await edge.stop();
    }
  });
});
