// The IDs of the Walrus objects a devnet's Sui serves: deterministic (hashes of a seed and a label), so
// a restarted devnet with the same seed serves the same System, Staking and package IDs.
import { sha256 } from '@noble/hashes/sha2.js';
import { normalizeSuiAddress, toBase58 } from '@mysten/sui/utils';
import { bytesToHex } from '../../protocol/base64.ts';

export const FRAMEWORK = normalizeSuiAddress('0x2');
export const SUI_COIN_TYPE = `${FRAMEWORK}::sui::SUI`;

export interface SuiIds {
  /** The Walrus package: System's `package_id` and the origin of every Walrus type. */
  packageId: string;
  /** The WAL coin's package (`${walPackageId}::wal::WAL`). */
  walPackageId: string;
  systemObjectId: string;
  stakingObjectId: string;
  /** What GetServiceInfo reports as chain_id (base58 of 32 bytes, like Sui's genesis digest). */
  chainId: string;
  /** The transaction that "created" the static objects (asked for, never looked up). */
  genesisDigest: string;
  /** Any further deterministic 32-byte ID, by label. */
  id(label: string): string;
  /** A deterministic base58 digest of 32 bytes, by label. */
  digest(label: string): string;
}

/**
 * IDs under a seed. The empty seed gives the in-process stand-in's fixed IDs; a devnet uses a seed of
 * its own (kept in its directory), so two devnets do not share object IDs but one devnet keeps them.
 */
export function suiIds(seed = ''): SuiIds {
  const prefix = seed === '' ? 'walrus-edge sui stand-in' : `walrus-edge sui stand-in ${seed}`;
  const hash = (label: string) => sha256(new TextEncoder().encode(`${prefix}: ${label}`));
  const id = (label: string) => `0x${bytesToHex(hash(label))}`;
  const digest = (label: string) => toBase58(hash(label));
  const packageId = id('walrus package');
  return {
    packageId,
    walPackageId: id('wal package'),
    systemObjectId: id('system'),
    stakingObjectId: id('staking'),
    chainId: digest('chain id'),
    genesisDigest: digest('genesis'),
    id,
    digest,
  };
}
