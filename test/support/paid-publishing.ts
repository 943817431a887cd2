// Test helpers for paid publishing (issue 12) driven from outside the edge: accounts opened and
// credited through the admin API, quotes, paid PUT /v1/blobs (answers held to the official spec), the
// balance a ledger's entry rows add up to, and the chain's own view of the Blob objects the sponsor's
// wallets hold, read with the official SDK.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SuiClientTypes } from '@mysten/sui/client';
import { blobIdFromInt } from '@mysten/walrus';
import { expect } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import {
  devnetSui,
  devnetWalrus,
  publisherWallet,
  putBlob,
  type BlobStoreJson,
  type SpecAnswer,
} from './publishing.ts';

export interface PaidAccount {
  id: string;
  apiKey: string;
}

/** POST /v1/admin/accounts, then credits `creditFrost` (if positive) through the admin API. */
export async function openPaidAccount(
  edge: { url: string },
  adminToken: string,
  creditFrost: bigint,
): Promise<PaidAccount> {
  const admin = (path: string, body: unknown) =>
    fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const created = await admin('/v1/admin/accounts', { name: 'a paying client' });
  expect(created.status).toBe(201);
  const account = (await created.json()) as PaidAccount;
  if (creditFrost > 0n) {
    const credited = await admin(`/v1/admin/accounts/${account.id}/credit`, {
      amountFrost: creditFrost.toString(),
    });
    expect(credited.status).toBe(200);
  }
  return account;
}

/** GET /v1/quote: what an upload of `size` bytes for `epochs` epochs costs now (FROST). */
export async function quotedFrost(edge: { url: string }, size: number, epochs: number): Promise<bigint> {
  const response = await fetch(`${edge.url}/v1/quote?size=${size}&epochs=${epochs}`);
  expect(response.status).toBe(200);
  return BigInt(((await response.json()) as { totalFrost: string }).totalFrost);
}

/** GET /v1/account with the key: balance, held and available FROST. */
export async function accountBalance(
  edge: { url: string },
  apiKey: string,
): Promise<{ balanceFrost: bigint; heldFrost: bigint; availableFrost: bigint }> {
  const response = await fetch(`${edge.url}/v1/account`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(response.status).toBe(200);
  const json = (await response.json()) as Record<'balanceFrost' | 'heldFrost' | 'availableFrost', string>;
  return {
    balanceFrost: BigInt(json.balanceFrost),
    heldFrost: BigInt(json.heldFrost),
    availableFrost: BigInt(json.availableFrost),
  };
}

export interface PaidAnswerJson extends BlobStoreJson {
  receipt?: { chargedFrost: string; blobId: string; objectId?: string; idempotencyKey?: string };
}

/** PUT /v1/blobs?epochs=N paid with `apiKey`, with an Idempotency-Key if given. */
export function paidPut(
  edge: { url: string },
  apiKey: string,
  body: Uint8Array,
  options: { epochs: number; idempotencyKey?: string },
): Promise<SpecAnswer<PaidAnswerJson>> {
  return putBlob(edge, `?epochs=${options.epochs}`, body, {
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(options.idempotencyKey !== undefined && { 'idempotency-key': options.idempotencyKey }),
    },
  }) as Promise<SpecAnswer<PaidAnswerJson>>;
}

/** The object ID of a successful upload's Blob, whichever way it was answered. */
export function blobObjectOf(json: PaidAnswerJson): string | undefined {
  return json.newlyCreated?.blobObject.id ?? json.alreadyCertified?.object;
}

export interface ChainBlob {
  objectId: string;
  blobId: string;
  certified: boolean;
}

/** The Blob objects `owner` holds, by Sui's account (listed over gRPC, read by the official SDK). */
export async function blobObjectsOwnedBy(devnet: RunningDevnet, owner: string): Promise<ChainBlob[]> {
  const sui = devnetSui(devnet);
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: SuiClientTypes.ListOwnedObjectsResponse = await sui.core.listOwnedObjects({ owner, cursor });
    ids.push(...page.objects.filter((o) => o.type.endsWith('::blob::Blob')).map((o) => o.objectId));
    cursor = page.hasNextPage ? page.cursor : null;
  } while (cursor);
  return Promise.all(ids.map((objectId) => chainBlob(devnet, objectId)));
}

/**
 * One Blob object as Sui holds it now, read by the official SDK (a client of its own each time: a
 * WalrusClient caches the objects it read, and a Blob's certified epoch changes).
 */
export async function chainBlob(devnet: RunningDevnet, objectId: string): Promise<ChainBlob> {
  const blob = await devnetWalrus(devnet).getBlobObject(objectId);
  return { objectId, blobId: blobIdFromInt(blob.blob_id), certified: blob.certified_epoch !== null };
}

/**
 * Every wallet an edge pays from, as it keeps them in DATA_DIR/publisher: the main wallet
 * (wallet.json) and its sub-wallets (sub-wallets.json), which sign the uploads when there are any.
 */
export function sponsorWallets(dataDir: string): { address: string; secretKey: string }[] {
  const subWallets = join(dataDir, 'publisher', 'sub-wallets.json');
  const subs = existsSync(subWallets)
    ? (JSON.parse(readFileSync(subWallets, 'utf8')) as { wallets: { address: string; secretKey: string }[] })
        .wallets
    : [];
  return [publisherWallet(dataDir), ...subs];
}

/** One row of a ledger's append-only entries table, as a test reads it from the database. */
export interface EntryRow {
  kind: 'credit' | 'hold' | 'settle' | 'release';
  amount: bigint;
  holdId: string | null;
}

/** What the entries alone add up to: credits − settled charges, and the holds no entry closed. */
export function balanceFromEntries(entries: EntryRow[]): { balance: bigint; held: bigint } {
  const closed = new Set(
    entries.filter((e) => e.kind === 'settle' || e.kind === 'release').map((e) => e.holdId),
  );
  let balance = 0n;
  let held = 0n;
  for (const entry of entries) {
    if (entry.kind === 'credit') balance += entry.amount;
    if (entry.kind === 'settle') balance -= entry.amount;
    if (entry.kind === 'hold' && !closed.has(entry.holdId)) held += entry.amount;
  }
  return { balance, held };
}
