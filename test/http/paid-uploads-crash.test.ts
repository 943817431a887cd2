// Crash safety of paid publishing (issue 12), with a real edge process killed the hard way: `node
// src/main.ts` (PUBLISHER_AUTH=api-key, its SQLite ledger in DATA_DIR) takes paid uploads with
// Idempotency-Keys; while some of them are mid-flight (holds placed, Blob objects registered, the
// storage nodes stalling their slivers) it gets kill -9, and is started again on the same DATA_DIR.
// One of the stalled uploads is certified on chain after the kill, with the official SDK and the key of
// the sponsor wallet that registered it: the state an edge leaves when it dies right after its certify
// transaction landed.
//
// Witnesses that do not ask the edge: the ledger file's rows (node:sqlite, read-only) and Sui (the
// Blob objects the sponsor's wallets hold and whether they are certified, read by the official SDK).
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { startTestDevnet, tempDir } from '../support/devnet.ts';
import { startEdgeProcess, type EdgeProcess } from '../support/edge-process.ts';
import {
  accountBalance,
  balanceFromEntries,
  blobObjectOf,
  blobObjectsOwnedBy,
  chainBlob,
  openPaidAccount,
  paidPut,
  quotedFrost,
  sponsorWallets,
  type EntryRow,
} from '../support/paid-publishing.ts';
import { devnetWalrus, objectOwner } from '../support/publishing.ts';
import { faultAll, waitFor } from './http-helpers.ts';

const ADMIN = 'admin-token-for-crash-tests-0123456789';
const SIZE = 3_000;
const EPOCHS = 2;
/** Uploads the edge runs at once (PUBLISH_MAX_CONCURRENT): a further one waits, holding nothing. */
const RUNNING = 3;

let devnet: RunningDevnet | undefined;
const dataDir = tempDir('paid-crash');
let edge: EdgeProcess | undefined;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
});
afterAll(async () => {
  await edge?.kill();
  await devnet?.stop();
  dataDir.remove();
});

const startEdge = async () =>
  (edge = await startEdgeProcess({
    DEVNET_DIR: devnet!.dir,
    DATA_DIR: dataDir.path,
    PUBLISHER_AUTH: 'api-key',
    ADMIN_TOKEN: ADMIN,
    // A sub-wallet per running upload: uploads sign in parallel (one wallet signs one at a time).
    PUBLISHER_SUB_WALLETS: String(RUNNING),
    PUBLISH_MAX_CONCURRENT: String(RUNNING),
    CODEC_WORKERS: '1',
    PRICE_MARGIN_BPS: '1000',
    PRICE_FLAT_FEE_FROST: '1000',
  }));

// ── the ledger's rows, read from its file (never through the edge) ─────────────────────────────────

interface HoldRow {
  id: string;
  amount: bigint;
  objectId: string | null;
  blobId: string | null;
  open: boolean;
  /** The Idempotency-Key of the upload it paid for (the hold entry's memo). */
  key: string | undefined;
}
function readLedger<T>(read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(dataDir.path, 'ledger.sqlite'), { readOnly: true, readBigInts: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function ledgerRows(accountId: string): {
  holds: HoldRow[];
  entries: EntryRow[];
  stored: { balance: bigint; held: bigint };
  claims: { key: string; state: string }[];
} {
  return readLedger((db) => {
    const holds = db
      .prepare(
        `SELECT h.id, h.amount, h.object_id, h.blob_id, h.closed_at, e.memo FROM holds h
         JOIN entries e ON e.hold_id = h.id AND e.kind = 'hold' WHERE h.account_id = ?`,
      )
      .all(accountId)
      .map((row) => ({
        id: row.id as string,
        amount: row.amount as bigint,
        objectId: row.object_id as string | null,
        blobId: row.blob_id as string | null,
        open: row.closed_at === null,
        key: (JSON.parse(row.memo as string) as { idempotencyKey?: string }).idempotencyKey,
      }));
    const entries = db
      .prepare('SELECT kind, amount, hold_id FROM entries WHERE account_id = ? ORDER BY seq')
      .all(accountId)
      .map((row) => ({
        kind: row.kind as EntryRow['kind'],
        amount: row.amount as bigint,
        holdId: row.hold_id as string | null,
      }));
    const account = db.prepare('SELECT balance, held FROM accounts WHERE id = ?').get(accountId)!;
    const claims = db
      .prepare('SELECT key, state FROM idempotency WHERE account_id = ?')
      .all(accountId)
      .map((row) => ({ key: row.key as string, state: row.state as string }));
    return {
      holds,
      entries,
      stored: { balance: account.balance as bigint, held: account.held as bigint },
      claims,
    };
  });
}

/** FROST charged per Idempotency-Key, summed over every settle of its holds. */
function chargedByKey(rows: ReturnType<typeof ledgerRows>): Map<string, bigint[]> {
  const keyOf = new Map(rows.holds.map((hold) => [hold.id, hold.key]));
  const charged = new Map<string, bigint[]>();
  for (const entry of rows.entries) {
    if (entry.kind !== 'settle' || entry.amount === 0n) continue;
    const key = keyOf.get(entry.holdId!)!;
    charged.set(key, [...(charged.get(key) ?? []), entry.amount]);
  }
  return charged;
}

interface Upload {
  key: string;
  data: Uint8Array;
}

describe('paid uploads across a kill -9 of the edge', () => {
  // One story in steps: each test goes on from where the one before left the edge, ledger and chain.
  let account: { id: string; apiKey: string };
  let price: bigint;
  let credit: bigint;
  const uploads: Upload[] = Array.from({ length: 6 }, (_, i) => ({
    key: `crash-upload-${i}`,
    data: randomBytes(SIZE, 9_100 + i),
  }));
  const early = uploads.slice(0, 2);
  const earlyObjects = new Map<string, string>();
  let paidBeforeCrash: Map<string, bigint[]>;
  /** The holds of the uploads that were sending slivers at the kill. */
  let stalled: HoldRow[];
  /** The one of them whose blob certified on chain while the edge was dead. */
  let landed: HoldRow;
  const put = (upload: Upload) =>
    paidPut(edge!, account.apiKey, upload.data, { epochs: EPOCHS, idempotencyKey: upload.key });
  const uploadOf = (hold: HoldRow) => uploads.find((u) => u.key === hold.key)!;
  const sponsorBlobs = async () =>
    (
      await Promise.all(sponsorWallets(dataDir.path).map((w) => blobObjectsOwnedBy(devnet!, w.address)))
    ).flat();

  it('closes the holds a killed edge left open against the chain when it starts again', async () => {
    await startEdge();
    price = await quotedFrost(edge!, SIZE, EPOCHS);
    credit = price * 20n;
    account = await openPaidAccount(edge!, ADMIN, credit);

    // Two uploads certify while all is well: paid, answered, done.
    for (const upload of early) {
      const answer = await put(upload);
      expect(answer.status, JSON.stringify(answer.json)).toBe(200);
      earlyObjects.set(upload.key, answer.json.newlyCreated!.blobObject.id);
    }
    paidBeforeCrash = chargedByKey(ledgerRows(account.id));
    expect([...paidBeforeCrash.keys()].sort()).toEqual(early.map((u) => u.key).sort());

    // The nodes stall every request for a minute: the next uploads register their Blob objects and
    // then hang sending slivers; RUNNING of them hold money, the one more waits for a slot.
    await faultAll(devnet!, 'slow', 60_000);
    const dying = uploads.slice(2).map((upload) => put(upload).catch((error: unknown) => error));
    let rows = ledgerRows(account.id);
    const registered = () => rows.holds.filter((h) => h.open && h.objectId !== null);
    expect(
      await waitFor(async () => {
        rows = ledgerRows(account.id);
        return registered().length === RUNNING;
      }, 30_000),
      JSON.stringify(rows.holds, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    ).toBe(true);
    stalled = registered();
    // The upload waiting for a slot holds nothing.
    expect(rows.holds).toHaveLength(early.length + RUNNING);
    expect(rows.holds.filter((h) => h.open)).toHaveLength(RUNNING);
    expect(rows.claims.filter((c) => c.state === 'claimed')).toHaveLength(RUNNING);
    for (const hold of stalled) expect((await chainBlob(devnet!, hold.objectId!)).certified).toBe(false);

    await edge!.kill();
    for (const answer of await Promise.all(dying)) expect(answer).toBeInstanceOf(Error);
    await faultAll(devnet!, 'ok');

    // The first stalled upload got certified before the edge could note it: its slivers stored and
    // its certify transaction sent with its owner's key, a sponsor wallet (the SDK does what the edge
    // would have done next).
    landed = stalled[0]!;
    const walrus = devnetWalrus(devnet!);
    const owner = await objectOwner(devnet!, landed.objectId!);
    const ownerKey = sponsorWallets(dataDir.path).find((wallet) => wallet.address === owner)!.secretKey;
    const encoded = await walrus.encodeBlob(uploadOf(landed).data);
    expect(encoded.blobId).toBe(landed.blobId);
    const confirmations = await walrus.writeEncodedBlobToNodes({
      blobId: encoded.blobId,
      metadata: encoded.metadata,
      sliversByNode: encoded.sliversByNode,
      deletable: true,
      objectId: landed.objectId!,
    });
    await walrus.executeCertifyBlobTransaction({
      signer: Ed25519Keypair.fromSecretKey(ownerKey),
      blobId: encoded.blobId,
      blobObjectId: landed.objectId!,
      deletable: true,
      confirmations,
    });
    expect((await chainBlob(devnet!, landed.objectId!)).certified).toBe(true);

    // Restarted on the same DATA_DIR it is the same instance, and closes its own holds by the chain:
    // settled if the Blob certified (at the amount held), released if not.
    await startEdge();
    rows = ledgerRows(account.id);
    expect(rows.holds.filter((h) => h.open)).toEqual([]);
    expect(rows.claims.filter((c) => c.state === 'claimed')).toEqual([]);
    const closing = (holdId: string) =>
      rows.entries.find((e) => e.holdId === holdId && (e.kind === 'settle' || e.kind === 'release'))!;
    for (const hold of stalled) {
      const certified = (await chainBlob(devnet!, hold.objectId!)).certified;
      expect(closing(hold.id).kind, hold.key).toBe(certified ? 'settle' : 'release');
    }
    expect(closing(landed.id)).toMatchObject({ kind: 'settle', amount: landed.amount });
    // Only uploads whose blob certified were charged; the balance is what the entries say.
    await expectChargedOnlyForCertified(rows);
    expect(chargedByKey(rows)).toEqual(new Map([...paidBeforeCrash, [landed.key!, [landed.amount]]]));
    expect(rows.stored).toEqual(balanceFromEntries(rows.entries));
    expect(rows.stored.held).toBe(0n);
  });

  it('answers retries with the same Idempotency-Keys after the restart, each upload paid once', async () => {
    const retriedUploads = uploads.filter((u) => u.key !== landed.key);
    const retried = await Promise.all(retriedUploads.map(put));
    for (const [i, answer] of retried.entries())
      expect(answer.status, `${retriedUploads[i]!.key}: ${JSON.stringify(answer.json)}`).toBe(200);
    const objectOf = new Map(retriedUploads.map((u, i) => [u.key, blobObjectOf(retried[i]!.json)]));
    // Answered before the crash: the same answer, replayed.
    for (const upload of early) {
      expect(retried[retriedUploads.indexOf(upload)]!.headers.get('idempotent-replayed')).toBe('true');
      expect(objectOf.get(upload.key)).toBe(earlyObjects.get(upload.key));
    }
    // Stalled ones: their registration, paid by the sponsor before the crash, is the Blob certified now.
    for (const hold of stalled.filter((h) => h !== landed))
      expect(objectOf.get(hold.key!), hold.key).toBe(hold.objectId);

    const rows = ledgerRows(account.id);
    expect(rows.holds.filter((h) => h.open)).toEqual([]);
    const byKey = chargedByKey(rows);
    for (const upload of uploads) {
      // Paid once, never above the quote; what was paid before the crash, not a FROST more.
      const charges = byKey.get(upload.key) ?? [];
      expect(charges.length, upload.key).toBe(1);
      expect(charges[0]!, upload.key).toBeLessThanOrEqual(price);
      if (paidBeforeCrash.has(upload.key)) expect(charges).toEqual(paidBeforeCrash.get(upload.key));
    }
    await expectChargedOnlyForCertified(rows);
    const derived = balanceFromEntries(rows.entries);
    expect(rows.stored).toEqual(derived);
    const totalCharged = [...byKey.values()].flat().reduce((a, b) => a + b, 0n);
    expect(derived).toEqual({ balance: credit - totalCharged, held: 0n });
    expect(await accountBalance(edge!, account.apiKey)).toEqual({
      balanceFrost: credit - totalCharged,
      heldFrost: 0n,
      availableFrost: credit - totalCharged,
    });

    // Sui: one certified Blob object per upload, each of the uploaded blobs, none twice.
    const onChain = await sponsorBlobs();
    expect(onChain.every((blob) => blob.certified)).toBe(true);
    expect(onChain.map((blob) => blob.objectId).sort()).toEqual(
      [...objectOf.values(), landed.objectId].sort(),
    );
    const walrus = devnetWalrus(devnet!);
    const blobIds = await Promise.all(
      uploads.map(async (u) => (await walrus.computeBlobMetadata({ bytes: u.data })).blobId),
    );
    expect(onChain.map((blob) => blob.blobId).sort()).toEqual(blobIds.sort());
  });

  // An edge killed between its certify transaction and noting it in DATA_DIR/publisher/registrations.jsonl
  // must still answer the retry from the chain: certified, for nothing (it once registered and charged
  // the bytes again: two Blob objects and two charges for one upload).
  it('answers a retry of the upload that certified while the edge was dead as certified, for nothing', async () => {
    const answer = await put(uploadOf(landed));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.alreadyCertified?.object, JSON.stringify(answer.json)).toBe(landed.objectId);
    expect(answer.json.receipt?.chargedFrost).toBe('0');
    const rows = ledgerRows(account.id);
    expect(chargedByKey(rows).get(landed.key!)).toEqual([landed.amount]);
    expect((await sponsorBlobs()).map((blob) => blob.objectId)).toHaveLength(uploads.length);
  });
});

/** Every charge in the ledger belongs to a hold whose Blob object Sui holds as certified. */
async function expectChargedOnlyForCertified(rows: ReturnType<typeof ledgerRows>): Promise<void> {
  for (const entry of rows.entries.filter((e) => e.kind === 'settle' && e.amount > 0n)) {
    const hold = rows.holds.find((h) => h.id === entry.holdId)!;
    expect(hold.objectId, hold.key).not.toBeNull();
    expect((await chainBlob(devnet!, hold.objectId!)).certified, hold.key).toBe(true);
  }
}
