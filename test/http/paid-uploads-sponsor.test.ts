// Paid publishing beside operator-issued JWTs (PUBLISHER_AUTH=jwt,api-key), and a sponsor that runs
// out of WAL: a JWT upload is the operator backend's accounting (no balance asked), an API key pays
// from its balance; once the sponsor's wallet is drained (by the test, with the wallet's own key),
// paid uploads are refused 503 with a reason that says so, the hold released, nothing charged, and
// /readyz says publishing is degraded. Witnesses: the chain's balances, the account as the ledger
// keeps it, the bytes read back by the official SDK.
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import {
  devnetSui,
  devnetWalrus,
  publisherWallet,
  publishingSetup,
  putBlob,
  walletBalances,
} from '../support/publishing.ts';
import { balanceOf, fundedSigner, transfer, walTypeHeldBy } from '../publish/payments/sui-transfers.ts';

const ADMIN = 'admin-token-for-paid-sponsor-tests';
const SECRET = 'a-shared-hs256-secret-of-the-operator';
const setup = publishingSetup(
  'paid-sponsor',
  { nodes: 4, shards: 10 },
  { PUBLISHER_AUTH: 'jwt,api-key', JWT_SECRET: SECRET, ADMIN_TOKEN: ADMIN, TOP_UP_REQUIRE_SIGNATURE: 'true' },
);

const admin = (path: string, body: unknown) =>
  fetch(`${setup.edge.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function fundedKey(amountFrost: bigint): Promise<{ id: string; apiKey: string }> {
  const account = (await (await admin('/v1/admin/accounts', { name: 'client' })).json()) as {
    id: string;
    apiKey: string;
  };
  expect(
    (await admin(`/v1/admin/accounts/${account.id}/credit`, { amountFrost: amountFrost.toString() })).status,
  ).toBe(200);
  return account;
}

const balanceOfAccount = async (apiKey: string) =>
  (await (
    await fetch(`${setup.edge.url}/v1/account`, { headers: { authorization: `Bearer ${apiKey}` } })
  ).json()) as { balanceFrost: string; heldFrost: string; history: { kind: string }[] };

const jwt = () =>
  new SignJWT({ max_epochs: 5 })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(SECRET));

describe('paid publishing beside JWTs, and a sponsor out of WAL', () => {
  it('takes JWT uploads without a balance and API-key uploads from one', async () => {
    const data = randomBytes(5_000, 21);
    const byJwt = await putBlob(setup.edge, '?epochs=1', data, { jwt: await jwt() });
    expect(byJwt.status, JSON.stringify(byJwt.json)).toBe(200);
    expect((byJwt.json as { receipt?: unknown }).receipt).toBeUndefined();
    expect(
      await devnetWalrus(setup.devnet).readBlob({ blobId: byJwt.json.newlyCreated!.blobObject.blobId }),
    ).toEqual(data);
    const account = await fundedKey(10n ** 12n);
    const byKey = await putBlob(setup.edge, '?epochs=1', randomBytes(5_000, 22), {
      headers: { authorization: `Bearer ${account.apiKey}` },
    });
    expect(byKey.status).toBe(200);
    const receipt = (byKey.json as { receipt?: { chargedFrost: string } }).receipt;
    expect(BigInt(receipt!.chargedFrost)).toBeGreaterThan(0n);
    expect(BigInt((await balanceOfAccount(account.apiKey)).balanceFrost)).toBe(
      10n ** 12n - BigInt(receipt!.chargedFrost),
    );
    // A bad JWT is still refused as the official publisher does; a bad key as an unknown key.
    expect((await putBlob(setup.edge, '?epochs=1', randomBytes(10, 23), { jwt: 'x.y.z' })).status).toBe(400);
    const unknown = await putBlob(setup.edge, '?epochs=1', randomBytes(10, 24), {
      headers: { authorization: `Bearer wek_000000000000_${'A'.repeat(43)}` },
    });
    expect(unknown.reason).toBe('INVALID_API_KEY');
  });

  it('with TOP_UP_REQUIRE_SIGNATURE credits a top-up only with its sender’s signature for this account', async () => {
    const account = await fundedKey(1n);
    const sui = devnetSui(setup.devnet);
    const client = await fundedSigner(setup.devnet.faucetUrl);
    const walType = await walTypeHeldBy(sui, client.toSuiAddress());
    const sponsor = publisherWallet(setup.dataDir).address;
    const digest = await transfer(sui, client, { coinType: walType, amount: 777_000n, to: sponsor });
    const topUp = (body: Record<string, string>) =>
      fetch(`${setup.edge.url}/v1/account/top-ups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${account.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const reason = async (response: Response) =>
      ((await response.json()) as { error: { details: { reason: string }[] } }).error.details[0]!.reason;
    const message = (accountId: string) =>
      new TextEncoder().encode(`walrus-edge top-up ${digest} for account ${accountId}`);

    const unsigned = await topUp({ digest });
    expect(unsigned.status).toBe(400);
    expect(await reason(unsigned)).toBe('TOP_UP_SIGNATURE_REQUIRED');
    // Someone who watched the chain: their own key, or the sender's signature for another account.
    const thief = new Ed25519Keypair();
    const stolen = await topUp({
      digest,
      signature: (await thief.signPersonalMessage(message(account.id))).signature,
    });
    expect(stolen.status).toBe(403);
    expect(await reason(stolen)).toBe('TOP_UP_SIGNATURE_INVALID');
    const elsewhere = await topUp({
      digest,
      signature: (await client.signPersonalMessage(message('another'))).signature,
    });
    expect(elsewhere.status).toBe(403);
    expect((await balanceOfAccount(account.apiKey)).balanceFrost).toBe('1');

    const signed = await topUp({
      digest,
      signature: (await client.signPersonalMessage(message(account.id))).signature,
    });
    expect(signed.status).toBe(200);
    expect((await balanceOfAccount(account.apiKey)).balanceFrost).toBe('777001');
  });

  it('refuses paid uploads 503 once the sponsor has no WAL, charging nothing, and /readyz says so', async () => {
    const account = await fundedKey(10n ** 12n);
    const sui = devnetSui(setup.devnet);
    const wallet = publisherWallet(setup.dataDir);
    const walType = await walTypeHeldBy(sui, wallet.address);
    // The operator's wallet loses all its WAL (sent away with its own key); it keeps its SUI.
    const all = await balanceOf(sui, wallet.address, walType);
    await transfer(sui, Ed25519Keypair.fromSecretKey(wallet.secretKey), {
      coinType: walType,
      amount: all,
      to: new Ed25519Keypair().toSuiAddress(),
    });
    expect(await balanceOf(sui, wallet.address, walType)).toBe(0n);
    const before = await balanceOfAccount(account.apiKey);
    const chainBefore = await walletBalances(setup.devnet, wallet.address);

    for (const seed of [25, 26]) {
      // The first finds out from Sui (the edge's balances were read before the drain), the second before it starts.
      const answer = await putBlob(setup.edge, '?epochs=1', randomBytes(4_000, seed), {
        headers: { authorization: `Bearer ${account.apiKey}` },
      });
      expect(answer.status, JSON.stringify(answer.json)).toBe(503);
      expect(answer.reason).toBe('SPONSOR_INSUFFICIENT_FUNDS');
      expect(answer.json.error?.message ?? JSON.stringify(answer.json)).toMatch(/WAL|balance|insufficient/i);
    }
    const after = await balanceOfAccount(account.apiKey);
    expect(after.balanceFrost).toBe(before.balanceFrost);
    expect(after.heldFrost).toBe('0');
    // No WAL could move; gas of a failed transaction is all the chain may have taken.
    expect((await walletBalances(setup.devnet, wallet.address)).wal).toBe(chainBefore.wal);
    const ready = (await (await fetch(`${setup.edge.url}/readyz`)).json()) as {
      degraded?: string;
      publisher?: { lowBalance: string | null };
    };
    expect(ready.publisher?.lowBalance).toMatch(/low/);
    expect(ready.degraded).toMatch(/^publishing: /);
  });
});
