// The sponsored account: the operator's Sui wallet that pays the network (SUI for gas, WAL for storage)
// on behalf of the edge's clients. An upload leases one signer for its transactions (register, certify,
// transfer) so parallel uploads never spend the same gas coin; the lease is given back when it ends.
import type { Signer } from '@mysten/sui/cryptography';
import { normalizeSuiAddress } from '@mysten/sui/utils';

export interface SignerLease {
  signer: Signer;
  /** The signer's Sui address (0x + 64 hex): the owner of what it registers. */
  address: string;
  /** Gives the signer back for the next upload. Idempotent. */
  release(): void;
}

/** A wallet's balances, in MIST (SUI) and FROST (WAL), as decimal strings (JSON has no u64). */
export interface WalletBalances {
  address: string;
  suiMist: string;
  walFrost: string;
}

/** A sub-wallet's balances (last read), its place in the keys file, and whether an upload holds it. */
export interface SubWalletBalances extends WalletBalances {
  index: number;
  leased: boolean;
}

export interface SponsorStatus {
  /** The main wallet: the one that holds the operator's funds and tops the sub-wallets up. */
  main: WalletBalances | null;
  /** In index order; a sub-wallet whose balance was never read yet is left out. */
  subWallets: SubWalletBalances[];
  /** Set when the main wallet runs low (below PUBLISHER_LOW_BALANCE_*): says what and how much. */
  lowBalance: string | null;
}

export interface LeaseOptions {
  /**
   * Only this wallet (0x address): e.g. the owner of a Blob an earlier upload registered but could
   * not certify, which only its owner can certify. Waits while that wallet is leased; rejects at
   * once when the sponsor has no such leasable wallet.
   */
  address?: string;
}

export interface Sponsor {
  /** The main wallet's address (where upload-relay tips and top-ups go by default). */
  readonly address: string;
  /** A signer free for one upload's transactions; waits while all are leased. */
  lease(signal?: AbortSignal, options?: LeaseOptions): Promise<SignerLease>;
  /** Balances as last read (no Sui call): for /readyz, /status and metrics. */
  status(): SponsorStatus;
  close(): Promise<void>;
}

/** One signer for every upload, one at a time: the simplest sponsor (tests, `walrus-edge put`). */
export function singleSignerSponsor(signer: Signer): Sponsor {
  const address = signer.toSuiAddress();
  let queue: Promise<void> = Promise.resolve();
  return {
    address,
    async lease(signal, options) {
      if (options?.address !== undefined && normalizeSuiAddress(options.address) !== address)
        throw new Error(`this sponsor signs only as ${address}, not ${options.address}`);
      let release!: () => void;
      const previous = queue;
      queue = new Promise<void>((resolve) => (release = resolve));
      await previous;
      signal?.throwIfAborted();
      let released = false;
      return {
        signer,
        address,
        release: () => {
          if (released) return;
          released = true;
          release();
        },
      };
    },
    status: () => ({ main: null, subWallets: [], lowBalance: null }),
    close: async () => {},
  };
}
