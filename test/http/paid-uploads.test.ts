// Paid publishing end to end (issue 12), on a devnet with an edge in PUBLISHER_AUTH=api-key and its
// SQLite ledger: accounts and keys through the admin API, quotes against the official SDK's own
// storage cost, paid uploads whose receipts verify with @mysten/sui/verify alone, 402 / 413 / 429 /
// 401 refusals that cost nothing on chain, Idempotency-Key copies sent at once paying once, a failed
// upload releasing its hold, and top-ups read from Sui. Witnesses: the chain (balances, objects,
// transactions over a SuiGrpcClient of the test's own), the official SDK, the ledger file's bytes.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { verifyPersonalMessageSignature } from '@mysten/sui/verify';
import { fromBase64 } from '@mysten/sui/utils';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import {
  blobsOwnedBy,
  devnetSui,
  devnetWalrus,
  publisherWallet,
  publishingSetup,
  putBlob,
  putToSpec,
  walletBalances,
  withoutQuorum,
} from '../support/publishing.ts';
import {
  SUI_TYPE,
  balanceOf,
  fundedSigner,
  transfer,
  walTypeHeldBy,
} from '../publish/payments/sui-transfers.ts';

const ADMIN = 'admin-token-for-paid-upload-tests';
const setup = publishingSetup(
  'paid-uploads',
  { nodes: 4, shards: 10 },
  { PUBLISHER_AUTH: 'api-key', ADMIN_TOKEN: ADMIN, PRICE_MARGIN_BPS: '1000', PRICE_FLAT_FEE_FROST: '1000' },
);

interface AccountJson {
  id: string;
  apiKey: string;
  keyPrefix: string;
}
interface BalanceJson {
  balanceFrost: string;
  heldFrost: string;
  availableFrost: string;
  history: { kind: string; amountFrost: string; receipt?: unknown }[];
}
interface Receipt {
  message: string;
  signature: string;
  sponsor: string;
  chargedFrost: string;
  networkCostFrost: string;
  blobId: string;
  objectId?: string;
  transactions: string[];
}

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${setup.edge.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...init.headers },
  });

async function openAccount(credit: bigint, extra: Record<string, unknown> = {}): Promise<AccountJson> {
  const created = await admin('/v1/admin/accounts', {
    method: 'POST',
    body: JSON.stringify({ name: 'a client', ...extra }),
  });
  expect(created.status).toBe(201);
  const account = (await created.json()) as AccountJson;
  if (credit > 0n) {
    const credited = await admin(`/v1/admin/accounts/${account.id}/credit`, {
      method: 'POST',
      body: JSON.stringify({ amountFrost: credit.toString() }),
    });
    expect(credited.status).toBe(200);
  }
  return account;
}

async function accountOf(apiKey: string): Promise<BalanceJson> {
  const response = await fetch(`${setup.edge.url}/v1/account`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as BalanceJson;
}

const paidPut = (
  apiKey: string,
  body: Uint8Array,
  query = '?epochs=2',
  headers: Record<string, string> = {},
) => putBlob(setup.edge, query, body, { headers: { authorization: `Bearer ${apiKey}`, ...headers } });

/** The most a small upload can cost here: what a quote says for 64 KiB (checked below against the SDK). */
async function quote(
  size: number,
  epochs = 2,
): Promise<{
  totalFrost: string;
  storageFrost: string;
  writeFrost: string;
  gasFrost: string;
  marginFrost: string;
  feeFrost: string;
}> {
  const response = await fetch(`${setup.edge.url}/v1/quote?size=${size}&epochs=${epochs}`);
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

describe('paid publishing with API keys', () => {
  it('issues keys once, keeps only their hashes, lists them by prefix and revokes them', async () => {
    const account = await openAccount(0n);
    expect(account.apiKey).toMatch(/^wek_[0-9a-f]{12}_/);
    expect(account.apiKey).toContain(account.keyPrefix);
    const listed = (await (await admin(`/v1/admin/accounts/${account.id}`)).json()) as {
      keys: { prefix: string }[];
    };
    expect(listed.keys.map((key) => key.prefix)).toEqual([account.keyPrefix]);
    expect(JSON.stringify(listed)).not.toContain(account.apiKey);
    // The witness: the ledger's own file (and its WAL journal) holds no key, only hashes.
    const files = readdirSync(setup.dataDir).filter((name) => name.startsWith('ledger.sqlite'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files)
      expect(readFileSync(join(setup.dataDir, file)).includes(Buffer.from(account.apiKey))).toBe(false);

    const second = (await (
      await admin(`/v1/admin/accounts/${account.id}/keys`, { method: 'POST' })
    ).json()) as {
      apiKey: string;
      keyPrefix: string;
    };
    expect(
      (await fetch(`${setup.edge.url}/v1/account`, { headers: { authorization: `Bearer ${second.apiKey}` } }))
        .status,
    ).toBe(200);
    expect(
      (await admin(`/v1/admin/accounts/${account.id}/keys/${account.keyPrefix}`, { method: 'DELETE' }))
        .status,
    ).toBe(204);
    const revoked = await paidPut(account.apiKey, randomBytes(100, 1));
    expect(revoked.status).toBe(401);
    expect(revoked.reason).toBe('INVALID_API_KEY');
    expect(
      (await fetch(`${setup.edge.url}/v1/account`, { headers: { authorization: `Bearer ${second.apiKey}` } }))
        .status,
    ).toBe(200);
    // Without the admin token nothing of this is reachable.
    expect((await fetch(`${setup.edge.url}/v1/admin/accounts`)).status).toBe(401);
    const bad = await admin(`/v1/admin/accounts/${account.id}/credit`, {
      method: 'POST',
      body: '{"amountFrost": 5}',
    });
    expect(bad.status).toBe(400);
  });

  it('quotes the network cost the SDK computes, plus gas, margin and fee', async () => {
    const walrus = devnetWalrus(setup.devnet);
    for (const [size, epochs] of [
      [1, 1],
      [64 * 1024, 2],
      [1_500_000, 5],
    ] as const) {
      const q = await quote(size, epochs);
      const sdk = await walrus.storageCost(size, epochs);
      expect(BigInt(q.storageFrost) + BigInt(q.writeFrost)).toBe(sdk.totalCost);
      const network = sdk.totalCost + BigInt(q.gasFrost);
      // 10 % margin (rounded up) and a flat 1000 FROST, as configured.
      expect(BigInt(q.marginFrost)).toBe((network * 1000n + 9999n) / 10000n);
      expect(BigInt(q.totalFrost)).toBe(network + BigInt(q.marginFrost) + 1000n);
    }
    expect((await fetch(`${setup.edge.url}/v1/quote?size=-1`)).status).toBe(400);
    expect((await fetch(`${setup.edge.url}/v1/quote`)).status).toBe(400);
  });

  it('charges a paid upload what it cost, with a receipt anyone can verify against the sponsor address', async () => {
    const size = 20_000;
    const total = BigInt((await quote(size)).totalFrost);
    const account = await openAccount(total * 3n);
    const sponsor = publisherWallet(setup.dataDir).address;
    const sponsorBefore = await walletBalances(setup.devnet, sponsor);
    const data = randomBytes(size, 2);
    const answer = await paidPut(account.apiKey, data);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const json = answer.json as typeof answer.json & { receipt: Receipt };
    const created = json.newlyCreated!;
    expect(created.blobObject.blobId).toBe(json.receipt.blobId);

    // The receipt: verified with @mysten/sui alone, for the sponsor's address.
    const receipt = json.receipt;
    const message = fromBase64(receipt.message);
    const signer = await verifyPersonalMessageSignature(message, receipt.signature, { address: sponsor });
    expect(signer.toSuiAddress()).toBe(sponsor);
    const signed = JSON.parse(new TextDecoder().decode(message)) as Receipt;
    expect(signed.chargedFrost).toBe(receipt.chargedFrost);
    expect(signed.objectId).toBe(created.blobObject.id);
    // Tampered (a smaller charge in the signed bytes): the signature no longer verifies.
    const tampered = new TextEncoder().encode(
      new TextDecoder()
        .decode(message)
        .replace(`"chargedFrost":"${receipt.chargedFrost}"`, '"chargedFrost":"1"'),
    );
    await expect(
      verifyPersonalMessageSignature(tampered, receipt.signature, { address: sponsor }),
    ).rejects.toThrow();

    // Its transactions are on chain, and the sponsor paid the network what the receipt says (WAL + gas at 1 FROST/MIST).
    const sui = devnetSui(setup.devnet);
    expect(receipt.transactions.length).toBe(2);
    for (const digest of receipt.transactions)
      expect((await sui.core.getTransaction({ digest })).$kind).toBe('Transaction');
    const sponsorAfter = await walletBalances(setup.devnet, sponsor);
    const spent = sponsorBefore.wal - sponsorAfter.wal + (sponsorBefore.sui - sponsorAfter.sui);
    expect(BigInt(receipt.networkCostFrost)).toBe(spent);
    const charged = BigInt(receipt.chargedFrost);
    expect(charged).toBeGreaterThan(0n);
    expect(charged).toBeLessThanOrEqual(total);

    // The account paid exactly that, and its history holds the receipt; the SDK reads the blob.
    const after = await accountOf(account.apiKey);
    expect(BigInt(after.balanceFrost)).toBe(total * 3n - charged);
    expect(after.heldFrost).toBe('0');
    expect(after.history[0]).toMatchObject({ kind: 'settle', amountFrost: receipt.chargedFrost });
    expect(JSON.stringify(after.history[0])).toContain(receipt.signature);
    expect(await devnetWalrus(setup.devnet).readBlob({ blobId: created.blobObject.blobId })).toEqual(data);

    // The same bytes again: certified already, so nothing to pay.
    const again = await paidPut(account.apiKey, data);
    expect(again.json.alreadyCertified).toBeDefined();
    expect((again.json as unknown as { receipt: Receipt }).receipt.chargedFrost).toBe('0');
    expect((await accountOf(account.apiKey)).balanceFrost).toBe(after.balanceFrost);
  });

  it('charges a quilt upload too, its official answer intact beside the receipt', async () => {
    const account = await openAccount(10n ** 12n);
    const form = new FormData();
    form.append('a.txt', new Blob([randomBytes(3_000, 31) as BlobPart]));
    form.append('b.txt', new Blob([randomBytes(4_000, 32) as BlobPart]));
    const answer = await putToSpec<{
      blobStoreResult: { newlyCreated?: { blobObject: { blobId: string } } };
      storedQuiltBlobs: { identifier: string; quiltPatchId: string }[];
      receipt: Receipt;
    }>(setup.edge, '/v1/quilts?epochs=1', 'QuiltStoreResult', form, {
      headers: { authorization: `Bearer ${account.apiKey}` },
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.storedQuiltBlobs.map((patch) => patch.identifier).sort()).toEqual(['a.txt', 'b.txt']);
    expect(answer.json.receipt.blobId).toBe(answer.json.blobStoreResult.newlyCreated!.blobObject.blobId);
    const charged = BigInt(answer.json.receipt.chargedFrost);
    expect(charged).toBeGreaterThan(0n);
    expect(BigInt((await accountOf(account.apiKey)).balanceFrost)).toBe(10n ** 12n - charged);
    const patch = await fetch(
      `${setup.edge.url}/v1/blobs/by-quilt-patch-id/${answer.json.storedQuiltBlobs[0]!.quiltPatchId}`,
    );
    expect(patch.status).toBe(200);
  });

  it('refuses with 402 and the quote when the balance is short, and nothing happens on chain', async () => {
    const size = 30_000;
    const total = BigInt((await quote(size)).totalFrost);
    const account = await openAccount(total - 1n);
    const sponsor = publisherWallet(setup.dataDir).address;
    const before = await walletBalances(setup.devnet, sponsor);
    const answer = await paidPut(account.apiKey, randomBytes(size, 3));
    expect(answer.status).toBe(402);
    expect(answer.reason).toBe('INSUFFICIENT_BALANCE');
    const body = answer.json as unknown as { quote: { totalFrost: string }; availableFrost: string };
    expect(body.quote.totalFrost).toBe(total.toString());
    expect(body.availableFrost).toBe((total - 1n).toString());
    expect((await walletBalances(setup.devnet, sponsor)).all).toEqual(before.all);
    expect((await accountOf(account.apiKey)).balanceFrost).toBe((total - 1n).toString());
  });

  it('answers copies of one Idempotency-Key sent at once with one upload, paid once', async () => {
    const size = 25_000;
    const total = BigInt((await quote(size)).totalFrost);
    const account = await openAccount(total * 5n);
    const sponsor = publisherWallet(setup.dataDir).address;
    const blobsBefore = await blobsOwnedBy(setup.devnet, sponsor);
    const data = randomBytes(size, 4);
    const key = `upload-${Date.now()}`;
    const answers = await Promise.all(
      [0, 1, 2].map(() =>
        paidPut(account.apiKey, data, '?epochs=2&deletable=true', { 'idempotency-key': key }),
      ),
    );
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const ids = answers.map((answer) => answer.json.newlyCreated?.blobObject.id);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBeDefined();
    // One Blob object more on chain, one charge in the ledger.
    expect(await blobsOwnedBy(setup.devnet, sponsor)).toBe(blobsBefore + 1);
    const after = await accountOf(account.apiKey);
    expect(after.history.filter((entry) => entry.kind === 'settle')).toHaveLength(1);
    // Later, again: the same answer, nothing more paid; the key with other bytes is refused.
    const later = await paidPut(account.apiKey, data, '?epochs=2&deletable=true', { 'idempotency-key': key });
    expect(later.json.newlyCreated?.blobObject.id).toBe(ids[0]);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    const other = await fetch(`${setup.edge.url}/v1/blobs?epochs=2&deletable=true`, {
      method: 'PUT',
      body: randomBytes(size, 5) as BodyInit,
      headers: { authorization: `Bearer ${account.apiKey}`, 'idempotency-key': key },
    });
    expect(other.status).toBe(422);
    expect((await accountOf(account.apiKey)).balanceFrost).toBe(after.balanceFrost);
  });

  it('releases the whole hold of an upload that cannot certify', async () => {
    const size = 15_000;
    const total = BigInt((await quote(size)).totalFrost);
    const account = await openAccount(total * 2n);
    const answer = await withoutQuorum(setup.devnet, () => paidPut(account.apiKey, randomBytes(size, 6)));
    expect(answer.status).toBe(504);
    const after = await accountOf(account.apiKey);
    expect(after.balanceFrost).toBe((total * 2n).toString());
    expect(after.availableFrost).toBe((total * 2n).toString());
    expect(after.history.map((entry) => entry.kind).slice(0, 2)).toEqual(['release', 'hold']);
  });

  it("enforces an account's size cap (413) and upload rate (429) before anything is paid", async () => {
    const account = await openAccount(10n ** 12n, { maxUploadBytes: 1000, uploadsPerMinute: 2 });
    const big = await paidPut(account.apiKey, randomBytes(1001, 7));
    expect(big.status).toBe(413);
    const small = await paidPut(account.apiKey, randomBytes(500, 8));
    expect(small.status).toBe(200);
    const limited = await paidPut(account.apiKey, randomBytes(500, 9));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const history = (await accountOf(account.apiKey)).history;
    expect(history.filter((entry) => entry.kind === 'hold')).toHaveLength(1);
  });

  it("finds every account's balance equal to what its entries add up to, after all of the above", async () => {
    const audit = (await (await admin('/v1/admin/ledger/audit')).json()) as {
      consistent: boolean;
      mismatches: unknown[];
    };
    expect(audit).toEqual({ consistent: true, mismatches: [] });
    const { accounts } = (await (await admin('/v1/admin/accounts')).json()) as {
      accounts: { heldFrost: string; availableFrost: string }[];
    };
    expect(accounts.length).toBeGreaterThan(5);
    for (const account of accounts) {
      expect(account.heldFrost).toBe('0');
      expect(BigInt(account.availableFrost)).toBeGreaterThanOrEqual(0n);
    }
  });

  it('credits a WAL transfer to the sponsor once, and refuses other coins and recipients', async () => {
    const account = await openAccount(0n);
    const sui = devnetSui(setup.devnet);
    const client = await fundedSigner(setup.devnet.faucetUrl);
    const walType = await walTypeHeldBy(sui, client.toSuiAddress());
    const sponsor = publisherWallet(setup.dataDir).address;
    const topUp = (digest: string, apiKey = account.apiKey) =>
      fetch(`${setup.edge.url}/v1/account/top-ups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ digest }),
      });
    const sponsorWal = await balanceOf(sui, sponsor, walType);
    const digest = await transfer(sui, client, { coinType: walType, amount: 123_456_789n, to: sponsor });
    const credited = await topUp(digest);
    expect(credited.status).toBe(200);
    expect(await balanceOf(sui, sponsor, walType)).toBe(sponsorWal + 123_456_789n);
    expect((await accountOf(account.apiKey)).balanceFrost).toBe('123456789');
    // Twice, or by another account: credited once only.
    expect((await topUp(digest)).status).toBe(409);
    const other = await openAccount(0n);
    expect((await topUp(digest, other.apiKey)).status).toBe(409);
    expect((await accountOf(other.apiKey)).balanceFrost).toBe('0');
    // SUI instead of WAL, WAL to someone else, a digest that does not exist, garbage.
    const suiDigest = await transfer(sui, client, { coinType: SUI_TYPE, amount: 1_000n, to: sponsor });
    expect(
      ((await (await topUp(suiDigest)).json()) as { error: { details: { reason: string }[] } }).error
        .details[0]!.reason,
    ).toBe('TOP_UP_WRONG_COIN');
    const elsewhere = await transfer(sui, client, {
      coinType: walType,
      amount: 1_000n,
      to: new Ed25519Keypair().toSuiAddress(),
    });
    expect(
      ((await (await topUp(elsewhere)).json()) as { error: { details: { reason: string }[] } }).error
        .details[0]!.reason,
    ).toBe('TOP_UP_WRONG_RECIPIENT');
    expect((await topUp('not a digest')).status).toBe(400);
    expect((await accountOf(account.apiKey)).balanceFrost).toBe('123456789');
  });
});
