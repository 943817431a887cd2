// PUT /v1/blobs?share=true (the official publisher's `share`): the certified Blob becomes a shared blob
// (walrus::shared_blob::new in the certify transaction) and the answer names it as sharedBlobObject.
// Witnesses: a separate SuiGrpcClient (the object's owner, type and contents, the certifying
// transaction), the Blob layout of the official SDK's generated contracts, the SDK reading the bytes.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { bcs, type BcsType } from '@mysten/sui/bcs';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { blobIdFromInt } from '@mysten/walrus';
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { devnetSui, devnetWalrus, publishingSetup, putBlob, putNewlyCreated } from '../support/publishing.ts';

const setup = publishingSetup('publish-share-edge', { nodes: 11, shards: 100 });
const sui = () => devnetSui(setup.devnet);

interface SdkBlob {
  id: string;
  blob_id: string;
  certified_epoch: number | null;
  deletable: boolean;
  storage: { end_epoch: number };
}
/** The Blob layout as the official SDK's generated contracts have it (not exported by name). */
const { Blob } = (await import(
  new URL(
    './contracts/walrus/blob.mjs',
    pathToFileURL(createRequire(import.meta.url).resolve('@mysten/walrus')),
  ).href
)) as { Blob: BcsType<SdkBlob> };
/** shared_blob.move: `SharedBlob has key, store { id: UID, blob: Blob, funds: Balance<WAL> }`. */
const SharedBlob = bcs.struct('SharedBlob', {
  id: bcs.Address,
  blob: Blob,
  funds: bcs.struct('Balance', { value: bcs.u64() }),
});

/** The Walrus package, as the System object's type names it. */
async function walrusPackage(): Promise<string> {
  const [system] = (await sui().core.getObjects({ objectIds: [setup.devnet.packageConfig.systemObjectId] }))
    .objects;
  if (!system || system instanceof Error) throw new Error('no System object');
  return system.type.split('::')[0]!;
}

describe('PUT /v1/blobs?share=true', () => {
  it('answers newlyCreated with the SharedBlob, which Sui shows shared and holding the certified Blob; the SDK and the edge read the bytes', async () => {
    const data = randomBytes(30_000, 2101);
    const created = await putNewlyCreated(setup.edge, '?share=true', data);
    expect(created.sharedBlobObject).toMatch(/^0x[0-9a-f]{64}$/);
    expect(created.blobObject.certifiedEpoch).not.toBeNull();

    const [shared] = (
      await sui().core.getObjects({ objectIds: [created.sharedBlobObject!], include: { content: true } })
    ).objects;
    if (!shared || shared instanceof Error) throw new Error('no SharedBlob object');
    expect(shared.owner.$kind).toBe('Shared');
    expect(shared.type).toBe(`${await walrusPackage()}::shared_blob::SharedBlob`);
    const value = SharedBlob.parse(shared.content);
    expect(value.id).toBe(created.sharedBlobObject);
    expect(value.blob).toMatchObject({
      id: created.blobObject.id,
      deletable: created.blobObject.deletable,
      certified_epoch: created.blobObject.certifiedEpoch,
    });
    expect(blobIdFromInt(value.blob.blob_id)).toBe(created.blobObject.blobId);
    // The Blob lives inside the SharedBlob only: no object of its own any more.
    const [wrapped] = (await sui().core.getObjects({ objectIds: [created.blobObject.id] })).objects;
    expect(wrapped).toBeInstanceOf(Error);

    expect(await devnetWalrus(setup.devnet).readBlob({ blobId: created.blobObject.blobId })).toEqual(data);
    const served = await fetch(`${setup.edge.url}/v1/blobs/${created.blobObject.blobId}`);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(data);
  });

  it('a permanent shared blob is answered alreadyCertified the next time, by the event of the transaction that certified and shared it', async () => {
    const data = randomBytes(9_000, 2102);
    const first = await putNewlyCreated(setup.edge, '?share=true&permanent=true&epochs=2', data);
    const sharedId = first.sharedBlobObject!;
    const again = await putBlob(setup.edge, '?permanent=true', data);
    expect(again.json.alreadyCertified).toMatchObject({ blobId: first.blobObject.blobId });
    const event = again.json.alreadyCertified!.event!;
    expect(event.txDigest).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/);
    const transaction = await sui().core.getTransaction({
      digest: event.txDigest,
      include: { events: true, effects: true },
    });
    if (transaction.$kind !== 'Transaction') throw new Error('the certifying transaction failed');
    expect(transaction.Transaction.events[Number(event.eventSeq)]?.eventType).toBe(
      `${await walrusPackage()}::events::BlobCertified`,
    );
    const createdIds = transaction.Transaction.effects.changedObjects
      .filter((change) => change.idOperation === 'Created')
      .map((change) => change.objectId);
    expect(createdIds).toContain(sharedId);
  });

  it('share together with send_object_to is a 400', async () => {
    const answer = await putBlob(
      setup.edge,
      `?share=true&send_object_to=${new Ed25519Keypair().toSuiAddress()}`,
      randomBytes(100, 2103),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.error?.details[0]?.reason).toBe('SEND_AND_SHARE');
  });
});
