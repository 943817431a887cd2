// The wallet a devnet directory pays from: an Ed25519 key kept in DIR/wallet.json (made on first use,
// readable only by its owner), funded by the devnet's faucet whenever its SUI runs low. The devnet's
// faucet hands out SUI and WAL together, so one request tops up both gas and storage money.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import type { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';

/** Below this much SUI (in MIST) the wallet asks the faucet again, which also tops its WAL up. */
const LOW_SUI = 10n ** 9n;

export interface DevnetWalletOptions {
  /** The devnet directory (the one holding committee.json). */
  dir: string;
  /** The devnet's faucet (committee.json `faucetUrl`); needed only when the wallet must be funded. */
  faucetUrl: string | undefined;
  /** Reads the wallet's balance. */
  sui: Pick<SuiGrpcClient, 'core'>;
}

export async function devnetWallet({ dir, faucetUrl, sui }: DevnetWalletOptions): Promise<Ed25519Keypair> {
  const path = join(dir, 'wallet.json');
  // A wallet.json from before the devnet spoke Sui holds only an address: a key replaces it.
  const saved = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { secretKey?: string }) : {};
  const signer = saved.secretKey ? Ed25519Keypair.fromSecretKey(saved.secretKey) : new Ed25519Keypair();
  if (!saved.secretKey) {
    writeFileSync(
      path,
      JSON.stringify({ address: signer.toSuiAddress(), secretKey: signer.getSecretKey() }) + '\n',
      { mode: 0o600 },
    );
    // `mode` applies only to a new file: an address-only wallet.json being replaced keeps its own.
    chmodSync(path, 0o600);
  }
  const { balance } = await sui.core.getBalance({ owner: signer.toSuiAddress() });
  if (BigInt(balance.balance) < LOW_SUI) {
    if (!faucetUrl)
      throw new Error(`${dir}/committee.json names no faucetUrl to fund ${signer.toSuiAddress()}`);
    await requestSuiFromFaucetV2({ host: faucetUrl, recipient: signer.toSuiAddress() });
  }
  return signer;
}
