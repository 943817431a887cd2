// Can the sponsor pay the network for an upload right now? Its wallets' balances as last read (main
// and sub-wallets together: the main wallet tops a sub-wallet up before it signs) against the upload's
// WAL and gas. A paid upload the sponsor cannot pay is refused before any hold (503), never charged.
import type { SponsorStatus } from './sponsor.ts';

export function sponsorShortfall(
  status: SponsorStatus,
  need: { walFrost: bigint; gasMist: bigint },
): string | undefined {
  // Balances not read yet (or a sponsor that reads none): the chain will say so if they fall short.
  if (!status.main) return undefined;
  const wallets = [status.main, ...status.subWallets];
  const wal = wallets.reduce((sum, wallet) => sum + BigInt(wallet.walFrost), 0n);
  const sui = wallets.reduce((sum, wallet) => sum + BigInt(wallet.suiMist), 0n);
  if (wal < need.walFrost)
    return `the operator's Sui account is short of WAL: it has ${wal} FROST, this upload needs ${need.walFrost}`;
  if (sui < need.gasMist)
    return `the operator's Sui account is short of SUI for gas: it has ${sui} MIST, this upload needs ${need.gasMist}`;
  return undefined;
}
