// A publisher whose main wallet runs low says so in /readyz (and stays ready: reads still work), with
// the balance Sui reports for that wallet.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { startEdge, type RunningEdge } from '../../src/main.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';

let devnet: RunningDevnet;
let edge: RunningEdge;
const dir = tempDir('publish-readyz');
const MIST_PER_SUI = 10n ** 9n;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 4, shards: 100 });
  edge = await startEdge(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATA_DIR: dir.path,
      DEVNET_DIR: devnet.dir,
      PUBLISHER_SUB_WALLETS: '0',
      // More SUI than the devnet's faucet ever gives one wallet.
      PUBLISHER_LOW_BALANCE_SUI: String(1_000_000n * MIST_PER_SUI),
    }),
  );
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await devnet?.stop();
  dir.remove();
});

describe('/readyz and the sponsored account', () => {
  it('names a low main balance, with what Sui says the wallet holds, and stays ready', async () => {
    const { address } = JSON.parse(readFileSync(join(dir.path, 'publisher', 'wallet.json'), 'utf8')) as {
      address: string;
    };
    const sui = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
    const { balance } = await sui.core.getBalance({ owner: address });
    expect(BigInt(balance.balance)).toBeLessThan(1_000_000n * MIST_PER_SUI);

    const response = await fetch(`${edge.url}/readyz`);
    const body = (await response.json()) as { ready: boolean; publisher?: { lowBalance: string | null } };
    expect(response.status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.publisher?.lowBalance).toMatch(/SUI/);
    // The amount it names is the wallet's, in whole SUI as Sui counts it.
    const whole = (BigInt(balance.balance) / MIST_PER_SUI).toString();
    expect(body.publisher?.lowBalance).toContain(whole);
  });
});
