// The sub-wallets' keys, made once and kept in DATA_DIR/sub-wallets.json (readable only by the
// owner), so that a restart signs with the same addresses and finds their funds and objects again.
// A file that cannot be read as such is an error, never silently replaced: replacing it would strand
// the funds of the wallets it names.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';

const SUB_WALLETS_FILE = 'sub-wallets.json';

interface KeysFile {
  version: 1;
  /** Bech32 `suiprivkey1…` (Ed25519), with the address beside it for people and for a check. */
  wallets: { address: string; secretKey: string }[];
}

/**
 * The first `count` sub-wallet keys of `dataDir`, making (and saving) the ones missing. Keys beyond
 * `count` stay in the file untouched (their funds stay theirs) and are not returned.
 */
export function subWalletKeys(dataDir: string, count: number): Ed25519Keypair[] {
  const path = join(dataDir, SUB_WALLETS_FILE);
  const saved = existsSync(path) ? readKeys(path) : [];
  if (saved.length < count) {
    const made = Array.from({ length: count - saved.length }, () => new Ed25519Keypair());
    writeKeys(dataDir, path, [...saved, ...made]);
    saved.push(...made);
  }
  return saved.slice(0, count);
}

function readKeys(path: string): Ed25519Keypair[] {
  // Messages name the file and the entry, never its content (which holds the keys).
  const broken = (why: string) =>
    new Error(`${path}: ${why}; fix or move the file (it holds the sub-wallets' keys, and so their funds)`);
  let file: KeysFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as KeysFile;
  } catch {
    throw broken('not readable as JSON');
  }
  if (file?.version !== 1 || !Array.isArray(file.wallets)) throw broken('not a version 1 sub-wallets file');
  return file.wallets.map((entry, index) => {
    let keypair: Ed25519Keypair;
    try {
      keypair = Ed25519Keypair.fromSecretKey(entry.secretKey);
    } catch {
      throw broken(`entry ${index} holds no Ed25519 suiprivkey`);
    }
    if (keypair.toSuiAddress() !== entry.address)
      throw broken(`entry ${index}'s key does not match its address`);
    return keypair;
  });
}

function writeKeys(dataDir: string, path: string, keys: Ed25519Keypair[]): void {
  mkdirSync(dataDir, { recursive: true });
  const file: KeysFile = {
    version: 1,
    wallets: keys.map((key) => ({ address: key.toSuiAddress(), secretKey: key.getSecretKey() })),
  };
  // Written aside and renamed: a crash mid-write leaves the old file whole, never half a key list.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}
