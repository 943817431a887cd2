// The sponsored account on the devnet's Sui endpoint: createSponsor makes and funds sub-wallets from
// the main wallet, tops a spent one up before its next lease, hands out distinct wallets to
// concurrent uploads (waiting when all are busy), keeps its keys across restarts, and tells when the
// main wallet runs low. Witnesses: balances read by a separate SuiGrpcClient (the WAL type found
// independently, as the SDK does), the devnet's fixed gas price per transaction, the keys file on
// disk, and the log lines.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { requestSuiFromFaucetV2 } from '@mysten/sui/faucet';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { coinWithBalance, Transaction } from '@mysten/sui/transactions';
import type { Signer } from '@mysten/sui/cryptography';
import { WalrusClient } from '@mysten/walrus';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../../src/devnet/devnet.ts';
import type { Sponsor } from '../../../src/publish/sponsor/sponsor.ts';
import { registerSponsorMetrics, sponsorObserver } from '../../../src/publish/sponsor/sponsor-metrics.ts';
import { createSponsor, type SponsorOptions } from '../../../src/publish/sponsor/sub-wallets.ts';
import { randomBytes } from '../../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../../support/devnet.ts';

const SUI = 10n ** 9n; // MIST per SUI, and FROST per WAL
const MIN = { sui: SUI / 2n, wal: SUI / 2n };
const TOP_UP = { sui: 2n * SUI, wal: 3n * SUI };

let devnet: RunningDevnet;
let witness: SuiGrpcClient;
let walType: string;
let gasPerTransaction: bigint;
const dirs: { remove(): void }[] = [];
const sponsors: Sponsor[] = [];

/** Balances as Sui reports them to a client of our own. */
async function balances(owner: string) {
  const [sui, wal] = await Promise.all([
    witness.core.getBalance({ owner, coinType: '0x2::sui::SUI' }),
    witness.core.getBalance({ owner, coinType: walType }),
  ]);
  return { sui: BigInt(sui.balance.balance), wal: BigInt(wal.balance.balance) };
}

async function fundedMain(): Promise<Ed25519Keypair> {
  const signer = new Ed25519Keypair();
  await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: signer.toSuiAddress() });
  return signer;
}

function bufferLogger() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  let raw = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      raw += String(chunk);
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'trace' }, sink), lines, raw: () => raw };
}

async function sponsorFor(options: Partial<SponsorOptions> & { signer: Signer; dataDir?: string }) {
  const dataDir = options.dataDir ?? newDir();
  const logger = bufferLogger();
  const sui = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
  const sponsor = await createSponsor({
    sui,
    walrus: new WalrusClient({
      packageConfig: devnet.packageConfig,
      suiClient: sui,
      storageNodeUrlScheme: 'http',
    }),
    dataDir,
    subWallets: 2,
    subWalletMin: MIN,
    subWalletTopUp: TOP_UP,
    lowBalance: { sui: 0n, wal: 0n },
    log: logger.log,
    ...options,
  });
  sponsors.push(sponsor);
  return { sponsor, dataDir, logger };
}

function newDir(): string {
  const dir = tempDir('sponsor');
  dirs.push(dir);
  return dir.path;
}

/** Sends almost everything a wallet holds elsewhere, signed by that wallet (an upload's spending). */
async function spend(signer: Signer, keep: { sui: bigint; wal: bigint }) {
  const have = await balances(signer.toSuiAddress());
  const tx = new Transaction();
  tx.setSender(signer.toSuiAddress());
  const [sui] = tx.splitCoins(tx.gas, [have.sui - keep.sui - gasPerTransaction]);
  tx.transferObjects(
    [sui!, coinWithBalance({ type: walType, balance: have.wal - keep.wal })],
    new Ed25519Keypair().toSuiAddress(),
  );
  const result = await signer.signAndExecuteTransaction({ transaction: tx, client: witness });
  expect(result.FailedTransaction).toBeUndefined();
  await witness.core.waitForTransaction({ digest: result.Transaction!.digest });
  expect(await balances(signer.toSuiAddress())).toEqual(keep);
}

const pending = Symbol('pending');
const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<typeof pending>((resolve) => setTimeout(() => resolve(pending), ms))]);

beforeAll(async () => {
  // 11 nodes: the last test writes blobs with the official SDK (DESIGN §7).
  devnet = await startTestDevnet({ nodes: 11, shards: 100 });
  witness = new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' });
  gasPerTransaction = BigInt(devnet.ledger.params.gasPerTransaction);
  // The WAL type as the SDK finds it: stake_with_pool's Coin<T> in the System's type-origin package.
  const [system] = (await witness.core.getObjects({ objectIds: [devnet.packageConfig.systemObjectId] }))
    .objects;
  if (!system || system instanceof Error) throw new Error('no System object');
  const { function: stake } = await witness.core.getMoveFunction({
    packageId: system.type.split('::')[0]!,
    moduleName: 'staking',
    name: 'stake_with_pool',
  });
  const coin = stake.parameters[1]!.body;
  const wal = coin.$kind === 'datatype' ? coin.datatype.typeParameters[0] : undefined;
  if (wal?.$kind !== 'datatype') throw new Error('no WAL type');
  walType = wal.datatype.typeName;
}, 60_000);

afterAll(async () => {
  await Promise.all(sponsors.map((sponsor) => sponsor.close()));
  await devnet?.stop();
  for (const dir of dirs) dir.remove();
});

describe('sub-wallets on the devnet', () => {
  it('are made once, kept 0600 under the data dir, and funded from the main wallet in one transaction', async () => {
    const main = await fundedMain();
    const before = await balances(main.toSuiAddress());
    const { sponsor, dataDir, logger } = await sponsorFor({ signer: main, subWallets: 3 });

    const path = join(dataDir, 'sub-wallets.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(path, 'utf8')) as {
      wallets: { address: string; secretKey: string }[];
    };
    expect(file.wallets).toHaveLength(3);
    const addresses = file.wallets.map((wallet) =>
      Ed25519Keypair.fromSecretKey(wallet.secretKey).toSuiAddress(),
    );
    expect(new Set(addresses).size).toBe(3);
    expect(addresses).not.toContain(main.toSuiAddress());

    for (const address of addresses) expect(await balances(address)).toEqual(TOP_UP);
    // What left the main wallet: exactly what was sent, plus the gas of one transaction.
    const after = await balances(main.toSuiAddress());
    expect(before.sui - after.sui).toBe(3n * TOP_UP.sui + gasPerTransaction);
    expect(before.wal - after.wal).toBe(3n * TOP_UP.wal);

    // status() agrees with the chain; the log names addresses but holds no sub-wallet key.
    const status = sponsor.status();
    expect(status.main).toEqual({
      address: main.toSuiAddress(),
      suiMist: after.sui.toString(),
      walFrost: after.wal.toString(),
    });
    expect(
      status.subWallets.map((wallet) => [wallet.index, wallet.address, wallet.suiMist, wallet.walFrost]),
    ).toEqual(
      addresses.map((address, index) => [index, address, TOP_UP.sui.toString(), TOP_UP.wal.toString()]),
    );
    expect(status.lowBalance).toBeNull();
    for (const wallet of file.wallets) expect(logger.raw()).not.toContain(wallet.secretKey);
    expect(logger.raw()).not.toContain(main.getSecretKey());
  });

  it('a sub-wallet spent below the minimum is topped up before its next lease', async () => {
    const main = await fundedMain();
    const { sponsor } = await sponsorFor({ signer: main, subWallets: 1 });
    const first = await sponsor.lease();
    const left = { sui: MIN.sui / 4n, wal: MIN.wal / 5n };
    await spend(first.signer, left);
    const mainBefore = await balances(main.toSuiAddress());
    first.release();

    const second = await sponsor.lease();
    expect(second.address).toBe(first.address);
    // Back at the top-up level when it is handed out, by the chain's account; the main wallet paid
    // exactly the difference (and one transaction's gas).
    expect(await balances(second.address)).toEqual(TOP_UP);
    const mainAfter = await balances(main.toSuiAddress());
    expect(mainBefore.sui - mainAfter.sui).toBe(TOP_UP.sui - left.sui + gasPerTransaction);
    expect(mainBefore.wal - mainAfter.wal).toBe(TOP_UP.wal - left.wal);
    second.release();

    // One above the minimum is not topped up again.
    const third = await sponsor.lease();
    await spend(third.signer, { sui: MIN.sui + gasPerTransaction, wal: MIN.wal });
    const untouched = await balances(main.toSuiAddress());
    third.release();
    const fourth = await sponsor.lease();
    expect(await balances(fourth.address)).toEqual({ sui: MIN.sui + gasPerTransaction, wal: MIN.wal });
    expect(await balances(main.toSuiAddress())).toEqual(untouched);
    fourth.release();
  });

  it('4 concurrent leases get 4 distinct sub-wallets; a 5th waits for a release; an aborted wait takes none', async () => {
    const main = await fundedMain();
    const { sponsor } = await sponsorFor({ signer: main, subWallets: 4 });
    const leases = await Promise.all([1, 2, 3, 4].map(() => sponsor.lease()));
    const addresses = leases.map((lease) => lease.address);
    expect(new Set(addresses).size).toBe(4);
    expect(addresses).not.toContain(main.toSuiAddress());
    expect(new Set(sponsor.status().subWallets.map((wallet) => wallet.address))).toEqual(new Set(addresses));
    for (const lease of leases) expect(lease.signer.toSuiAddress()).toBe(lease.address);

    const fifth = sponsor.lease();
    expect(await settledWithin(fifth, 300)).toBe(pending);
    const aborter = new AbortController();
    const sixth = sponsor.lease(aborter.signal);
    aborter.abort(new Error('client went away'));
    await expect(sixth).rejects.toThrow('client went away');

    leases[2]!.release();
    leases[2]!.release(); // idempotent: frees one wallet, not two
    const next = await fifth;
    expect(next.address).toBe(addresses[2]);
    // All four are out again: a wait bounded by its signal ends with the signal's reason.
    const bounded = AbortSignal.timeout(300);
    const ended = await sponsor.lease(bounded).catch((reason: unknown) => reason);
    expect(ended).toBe(bounded.reason);
    expect(ended).toMatchObject({ name: 'TimeoutError' });
  });

  it('a lease can ask for one wallet (the owner of an earlier registration): it waits for that one only', async () => {
    const main = await fundedMain();
    const { sponsor } = await sponsorFor({ signer: main, subWallets: 2 });
    const [a, b] = await Promise.all([sponsor.lease(), sponsor.lease()]);
    const wantsA = sponsor.lease(undefined, { address: a!.address });
    const anyOne = sponsor.lease();
    b!.release(); // goes to the waiter that takes any wallet, not to the one waiting for a
    expect((await anyOne).address).toBe(b!.address);
    expect(await settledWithin(wantsA, 200)).toBe(pending);
    a!.release();
    expect((await wantsA).address).toBe(a!.address);

    await expect(sponsor.lease(undefined, { address: '0x' + '12'.repeat(32) })).rejects.toThrow(
      /is none of this sponsor's wallets/,
    );
    await expect(sponsor.lease(undefined, { address: main.toSuiAddress() })).rejects.toThrow(
      /only tops sub-wallets up/,
    );
  });

  it('a restart on the same data dir reuses the same sub-wallets and their funds', async () => {
    const main = await fundedMain();
    const first = await sponsorFor({ signer: main, subWallets: 2 });
    const addresses = first.sponsor.status().subWallets.map((wallet) => wallet.address);
    await first.sponsor.close();
    const mainBefore = await balances(main.toSuiAddress());

    const second = await sponsorFor({ signer: main, subWallets: 3, dataDir: first.dataDir });
    const again = second.sponsor.status().subWallets.map((wallet) => wallet.address);
    expect(again.slice(0, 2)).toEqual(addresses);
    expect(again).toHaveLength(3);
    // Only the new third wallet was funded.
    const mainAfter = await balances(main.toSuiAddress());
    expect(mainBefore.sui - mainAfter.sui).toBe(TOP_UP.sui + gasPerTransaction);

    // Fewer sub-wallets: the extra key stays in the file (its funds are not stranded).
    await second.sponsor.close();
    const third = await sponsorFor({ signer: main, subWallets: 1, dataDir: first.dataDir });
    expect(third.sponsor.status().subWallets.map((wallet) => wallet.address)).toEqual(again.slice(0, 1));
    const file = JSON.parse(readFileSync(join(first.dataDir, 'sub-wallets.json'), 'utf8')) as {
      wallets: unknown[];
    };
    expect(file.wallets).toHaveLength(3);
  });

  it('PUBLISHER_SUB_WALLETS=0: the main wallet signs every upload, one at a time', async () => {
    const main = await fundedMain();
    const { sponsor, dataDir } = await sponsorFor({ signer: main, subWallets: 0 });
    const first = await sponsor.lease();
    expect(first.address).toBe(main.toSuiAddress());
    const second = sponsor.lease();
    expect(await settledWithin(second, 200)).toBe(pending);
    first.release();
    expect((await second).address).toBe(main.toSuiAddress());
    expect(sponsor.status().subWallets).toEqual([]);
    expect(() => statSync(join(dataDir, 'sub-wallets.json'))).toThrow();
  });

  it('a low main balance shows in status() and is warned once per crossing', async () => {
    const main = await fundedMain();
    const { sui: have } = await balances(main.toSuiAddress());
    const { sponsor, logger } = await sponsorFor({
      signer: main,
      subWallets: 0,
      lowBalance: { sui: have + SUI, wal: 0n },
      refreshIntervalMs: 50,
    });
    const warnings = () => logger.lines.filter((line) => line.level === 40 && /is low/.test(line.msg));
    expect(sponsor.status().lowBalance).toMatch(
      new RegExp(`^main wallet ${main.toSuiAddress()} is low: 100 SUI \\(below 101 SUI\\)$`),
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // several refreshes, still low
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.suiMist).toBe(have.toString());

    // Funded again: the warning clears (with a note in the log), and a new crossing warns again.
    await requestSuiFromFaucetV2({ host: devnet.faucetUrl, recipient: main.toSuiAddress() });
    await expect.poll(() => sponsor.status().lowBalance, { timeout: 5000 }).toBeNull();
    expect(
      logger.lines.some((line) => line.level === 30 && /above the low-balance threshold/.test(line.msg)),
    ).toBe(true);
    const lease = await sponsor.lease();
    await spend(lease.signer, { sui: have - SUI, wal: 0n });
    lease.release();
    await expect.poll(() => sponsor.status().lowBalance, { timeout: 5000 }).toMatch(/is low: 99 SUI/);
    expect(warnings()).toHaveLength(2);
  });

  it('exports balances, top-ups and lease waits to Prometheus, labelled by role, index and coin, with no address', async () => {
    const main = await fundedMain();
    const registry = new Registry();
    const { sponsor } = await sponsorFor({
      signer: main,
      subWallets: 2,
      lowBalance: { sui: 0n, wal: 10_000n * SUI },
      observer: sponsorObserver(registry),
    });
    registerSponsorMetrics(registry, sponsor);
    const lease = await sponsor.lease();
    const text = await registry.metrics();
    const mainFunds = await balances(main.toSuiAddress());
    expect(text).toContain(`walrus_edge_sponsor_balance{role="main",index="0",coin="SUI"} ${mainFunds.sui}`);
    expect(text).toContain(`walrus_edge_sponsor_balance{role="main",index="0",coin="WAL"} ${mainFunds.wal}`);
    for (const index of [0, 1]) {
      expect(text).toContain(
        `walrus_edge_sponsor_balance{role="sub",index="${index}",coin="SUI"} ${TOP_UP.sui}`,
      );
      expect(text).toContain(
        `walrus_edge_sponsor_balance{role="sub",index="${index}",coin="WAL"} ${TOP_UP.wal}`,
      );
    }
    expect(text).toContain('walrus_edge_sponsor_low_balance 1');
    expect(text).toContain('walrus_edge_sponsor_sub_wallets_leased 1');
    // Both wallets were funded at start, in one transaction.
    expect(text).toContain('walrus_edge_sponsor_top_up_transactions_total{outcome="ok"} 1');
    // A failure not seen yet is there at 0, so the first one shows in increase() and pages.
    expect(text).toContain('walrus_edge_sponsor_top_up_transactions_total{outcome="failed"} 0');
    expect(text).toContain('walrus_edge_sponsor_sub_wallet_top_ups_total{outcome="ok"} 2');
    expect(text).toContain('walrus_edge_sponsor_lease_wait_seconds_count 1');
    expect(text).not.toMatch(/0x[0-9a-f]{64}/);
    lease.release();
  });

  it('4 concurrent SDK writeBlobs, each signed and paid by its own leased sub-wallet, all certify', async () => {
    const main = await fundedMain();
    const { sponsor } = await sponsorFor({
      signer: main,
      subWallets: 4,
      subWalletTopUp: { sui: 2n * SUI, wal: 50n * SUI },
    });
    const walrus = () =>
      new WalrusClient({
        packageConfig: devnet.packageConfig,
        suiClient: new SuiGrpcClient({ baseUrl: devnet.suiUrl, network: 'localnet' }),
        storageNodeUrlScheme: 'http',
      });
    const blobs = [0, 1, 2, 3].map((i) => randomBytes(20_000 + i, 1100 + i));
    const written = await Promise.all(
      blobs.map(async (blob) => {
        const lease = await sponsor.lease();
        try {
          const { blobId, blobObject } = await walrus().writeBlob({
            blob,
            deletable: false,
            epochs: 2,
            signer: lease.signer,
          });
          return { blobId, objectId: blobObject.id, payer: lease.address };
        } finally {
          lease.release();
        }
      }),
    );
    expect(new Set(written.map((w) => w.payer)).size).toBe(4);
    const reader = walrus();
    for (const [i, { blobId, objectId, payer }] of written.entries()) {
      expect(await reader.readBlob({ blobId })).toEqual(blobs[i]);
      const [object] = (await witness.core.getObjects({ objectIds: [objectId] })).objects;
      expect(JSON.stringify((object as { owner: unknown }).owner)).toContain(payer);
      expect((await reader.getBlobObject(objectId)).certified_epoch).not.toBeNull();
    }
  });

  it('a top-up the main wallet cannot pay is logged, and the sub-wallet is leased with what it holds', async () => {
    const main = await fundedMain();
    const before = await balances(main.toSuiAddress());
    const have = before.sui;
    const registry = new Registry();
    const { sponsor, logger } = await sponsorFor({
      observer: sponsorObserver(registry),
      signer: main,
      subWallets: 1,
      subWalletMin: { sui: have * 2n, wal: 0n },
      subWalletTopUp: { sui: have * 2n, wal: 0n },
      lowBalance: { sui: have * 3n, wal: 0n },
    });
    const lease = await settledWithin(sponsor.lease(), 2000);
    expect(lease).not.toBe(pending);
    expect(await balances((lease as { address: string }).address)).toEqual({ sui: 0n, wal: 0n });
    // Refused before it ran (the gas coin cannot cover it): nothing left the main wallet.
    expect(await balances(main.toSuiAddress())).toEqual(before);
    expect(logger.lines.some((line) => line.level === 50 && /sub-wallet not topped up/.test(line.msg))).toBe(
      true,
    );
    expect(sponsor.status().lowBalance).toMatch(/is low/);
    expect(await registry.metrics()).toContain(
      'walrus_edge_sponsor_top_up_transactions_total{outcome="failed"} 1',
    );
    (lease as { release(): void }).release();
  });

  it('a damaged sub-wallets.json is refused with a clear error, never replaced', async () => {
    const main = await fundedMain();
    const { sponsor, dataDir } = await sponsorFor({ signer: main, subWallets: 1 });
    await sponsor.close();
    const path = join(dataDir, 'sub-wallets.json');
    const file = JSON.parse(readFileSync(path, 'utf8')) as {
      wallets: { address: string; secretKey: string }[];
    };
    const secret = file.wallets[0]!.secretKey;
    const damaged = [
      JSON.stringify(file).slice(0, -5), // truncated: a JSON parser would quote the key
      JSON.stringify({ ...file, wallets: [{ ...file.wallets[0], address: '0x' + '00'.repeat(32) }] }),
      JSON.stringify({ ...file, wallets: [{ address: secret, secretKey: 'suiprivkey1broken' }] }),
    ];
    for (const content of damaged) {
      writeFileSync(path, content);
      const error = await sponsorFor({ signer: main, subWallets: 2, dataDir }).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(error?.message).toMatch(/sub-wallets\.json: .*; fix or move the file/);
      expect(error!.message).not.toContain(secret);
      expect(error!.message).not.toContain(secret.slice(10, 40));
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });
});
