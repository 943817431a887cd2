// The devnet directory's wallet (what `walrus-edge put` pays from): made once in DIR/wallet.json,
// readable only by its owner, funded by the devnet's faucet when its SUI is low and left alone when
// it is not. Witness: balances read by a SuiGrpcClient of the test's own.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../../src/devnet/devnet.ts';
import { devnetWallet } from '../../../src/publish/sponsor/devnet-wallet.ts';
import { startTestDevnet, tempDir } from '../../support/devnet.ts';

let devnet: RunningDevnet;
let sui: SuiGrpcClient;
const dirs: { path: string; remove(): void }[] = [];
const newDir = () => {
  const dir = tempDir('devnet-wallet');
  dirs.push(dir);
  return dir.path;
};
const mist = async (owner: string) => BigInt((await sui.core.getBalance({ owner })).balance.balance);

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 4, shards: 100 });
  sui = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
}, 60_000);
afterAll(async () => {
  await devnet?.stop();
  for (const dir of dirs) dir.remove();
});

describe('devnetWallet', () => {
  it('makes DIR/wallet.json (0600) once, funds it from the faucet, and reuses it without asking again', async () => {
    const dir = newDir();
    const wallet = await devnetWallet({ dir, faucetUrl: devnet.faucetUrl, sui });
    const path = join(dir, 'wallet.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { address: string; secretKey: string };
    expect(saved.address).toBe(wallet.toSuiAddress());
    expect(Ed25519Keypair.fromSecretKey(saved.secretKey).toSuiAddress()).toBe(wallet.toSuiAddress());
    const funded = await mist(wallet.toSuiAddress());
    expect(funded).toBe(BigInt(devnet.ledger.params.faucetSui));

    const again = await devnetWallet({ dir, faucetUrl: devnet.faucetUrl, sui });
    expect(again.toSuiAddress()).toBe(wallet.toSuiAddress());
    expect(await mist(wallet.toSuiAddress())).toBe(funded); // enough SUI: no second faucet request
  });

  it('replaces an address-only wallet.json (from before the devnet spoke Sui) with a key, 0600', async () => {
    const dir = newDir();
    const path = join(dir, 'wallet.json');
    writeFileSync(path, JSON.stringify({ address: '0x' + 'ab'.repeat(32) }), { mode: 0o644 });
    const wallet = await devnetWallet({ dir, faucetUrl: devnet.faucetUrl, sui });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((JSON.parse(readFileSync(path, 'utf8')) as { address: string }).address).toBe(
      wallet.toSuiAddress(),
    );
  });

  it('without a faucet, an unfunded wallet is a clear error', async () => {
    const dir = newDir();
    await expect(devnetWallet({ dir, faucetUrl: undefined, sui })).rejects.toThrow(
      /committee\.json names no faucetUrl to fund 0x[0-9a-f]{64}/,
    );
  });
});
