// The devnet chain's coin objects and atomic transactions (what the Sui endpoint executes on): balances
// are sums of coins, every committed change moves the versions of what it touched, and a transaction
// that throws leaves no trace — state, events, versions, and what is on disk.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChainError, DevnetLedger } from '../../src/devnet/chain/ledger.ts';
import type { ChainEvent, ChainState } from '../../src/devnet/chain/types.ts';
import type { Committee } from '../../src/network/committee.ts';
import { bytesToBase64 } from '../../src/protocol/base64.ts';
import { generateBlsKeyPair } from '../../src/protocol/bls.ts';
import { tempDir } from '../support/devnet.ts';

const committee: Committee = {
  nShards: 10,
  epoch: 1,
  nodes: [0, 1].map((i) => ({
    name: `node-${i}`,
    url: `http://127.0.0.1:${9100 + i}`,
    blsPublicKey: bytesToBase64(generateBlsKeyPair().publicKey),
    shards: Array.from({ length: 10 }, (_, s) => s).filter((s) => s % 2 === i),
    nodeId: `0x${(i + 1).toString(16).padStart(64, '0')}`,
  })),
};
const ALICE = `0x${'a'.repeat(64)}`;
const BOB = `0x${'b'.repeat(64)}`;

describe('the devnet chain’s coins and transactions', () => {
  it('funds with one new SUI and one new WAL coin each time; the account shows their sums', () => {
    const ledger = new DevnetLedger(committee);
    const { coins } = ledger.faucet(ALICE);
    expect(coins.map((c) => c.kind)).toEqual(['SUI', 'WAL']);
    ledger.fundAccount(ALICE);
    expect(ledger.coinsOf(ALICE)).toHaveLength(4);
    const account = ledger.getAccount(ALICE);
    expect(BigInt(account.wal)).toBe(2n * BigInt(ledger.params.faucetWal));
    expect(BigInt(account.sui)).toBe(2n * BigInt(ledger.params.faucetSui));
  });

  it('splits, merges, transfers and destroys coins, moving versions; balances follow', () => {
    const ledger = new DevnetLedger(committee);
    const wal = ledger.faucet(ALICE).coins[1]!;
    const v0 = ledger.versionOf(wal.id);
    const { changes } = ledger.transact('00'.repeat(32), () => {
      const part = ledger.splitCoin(wal.id, 100n);
      ledger.transferObject(part.id, BOB);
    });
    expect([...changes.values()].map((c) => c.change).sort()).toEqual(['created', 'mutated']);
    expect(ledger.versionOf(wal.id)).toBeGreaterThan(v0);
    expect(ledger.getAccount(BOB).wal).toBe('100');
    expect(BigInt(ledger.getAccount(ALICE).wal)).toBe(BigInt(ledger.params.faucetWal) - 100n);
    const [bobs] = ledger.coinsOf(BOB);
    ledger.transact('01'.repeat(32), () => {
      const empty = ledger.splitCoin(bobs!.id, 0n);
      ledger.destroyZeroCoin(empty.id);
    });
    expect(ledger.coinsOf(BOB)).toHaveLength(1);
    expect(() => ledger.destroyZeroCoin(bobs!.id)).toThrow(ChainError);
    expect(() => ledger.withdraw(bobs!.id, 101n)).toThrow(/holds 100/);
  });

  it('rolls a failed transaction back entirely: coins, blobs, events, versions and the file on disk', () => {
    const dir = tempDir('chain-coins');
    try {
      const statePath = join(dir.path, 'state.json');
      const ledger = new DevnetLedger(committee, { statePath });
      const wal = ledger.faucet(ALICE).coins[1]!;
      const seen: ChainEvent[] = [];
      ledger.onEvent((event) => seen.push(event));
      const onDisk = readFileSync(statePath, 'utf8');
      const before = {
        coins: ledger.coinsOf(ALICE),
        version: ledger.versionOf(wal.id),
        next: ledger.nextEventSeq,
      };
      expect(() =>
        ledger.transact('02'.repeat(32), () => {
          const storage = ledger.reserveSpace(1_000_000n, 1, wal.id);
          ledger.splitCoin(wal.id, 5n);
          ledger.registerBlob({
            sender: ALICE,
            rootHash: new Uint8Array(32),
            size: 10,
            epochs: 1,
            deletable: false,
          });
          void storage;
          throw new ChainError(400, 'ABORT', 'aborted on purpose');
        }),
      ).toThrow(/aborted on purpose/);
      expect(ledger.coinsOf(ALICE)).toEqual(before.coins);
      expect(ledger.versionOf(wal.id)).toBe(before.version);
      expect(ledger.nextEventSeq).toBe(before.next);
      expect(ledger.eventsAfter(-1)).toEqual([]);
      expect(seen).toEqual([]);
      expect(readFileSync(statePath, 'utf8')).toBe(onDisk);
      // A dry run reports what it would change and changes nothing either.
      const { changes } = ledger.transact('03'.repeat(32), () => void ledger.splitCoin(wal.id, 5n), {
        dryRun: true,
      });
      expect(changes.size).toBe(2);
      expect(ledger.coinsOf(ALICE)).toEqual(before.coins);
      // A committed one is on disk, and its events carry its digest.
      ledger.transact('04'.repeat(32), () =>
        ledger.registerBlob({
          sender: ALICE,
          rootHash: new Uint8Array(32),
          size: 10,
          epochs: 1,
          deletable: false,
        }),
      );
      expect(seen.map((e) => [e.type, e.txDigest])).toEqual([['BlobRegistered', '04'.repeat(32)]]);
      const restarted = new DevnetLedger(committee, { statePath });
      expect(restarted.coinsOf(ALICE)).toEqual(ledger.coinsOf(ALICE));
      expect(restarted.versionOf(wal.id)).toBe(ledger.versionOf(wal.id));
    } finally {
      dir.remove();
    }
  });

  it('turns the balances of a state saved before coins existed into one coin per balance', () => {
    const dir = tempDir('chain-coins-migrate');
    try {
      const statePath = join(dir.path, 'state.json');
      new DevnetLedger(committee, { statePath });
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as ChainState;
      delete state.coins;
      delete state.versions;
      delete state.nextVersion;
      state.accounts[ALICE] = { address: ALICE, wal: '500', sui: '0' };
      writeFileSync(statePath, JSON.stringify(state));
      const ledger = new DevnetLedger(committee, { statePath });
      expect(ledger.coinsOf(ALICE).map((c) => [c.kind, c.balance])).toEqual([['WAL', '500']]);
      expect(ledger.getAccount(ALICE)).toEqual({ address: ALICE, wal: '500', sui: '0' });
      expect(existsSync(statePath)).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
