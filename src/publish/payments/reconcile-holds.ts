// Holds an edge left open when it died (kill -9, a crash, a lost database connection mid-upload) are
// closed against the chain when it starts again: settled at the quoted amount if the upload's Blob
// object got certified, released if it never did (or never got as far as registering). Its
// unfinished Idempotency-Key claims are forgotten, so a client's retry does the work anew — and pays
// nothing for a blob that certified meanwhile, as any re-upload of a certified blob.
import type { Hold, Ledger } from '../ledger/ledger.ts';

/** Whether the chain holds this upload as certified: undefined when that cannot be told right now. */
export type CertificationCheck = (
  hold: Required<Pick<Hold, 'blobId' | 'objectId'>>,
) => Promise<boolean | undefined>;

export interface ReconcileResult {
  settled: number;
  released: number;
  /** Left open: the chain could not be asked; tried again at the next reconciliation. */
  undecided: number;
  abandonedClaims: number;
}

export async function reconcileHolds(input: {
  ledger: Ledger;
  owner: string;
  certified: CertificationCheck;
  /** Holds of uploads still running in this process, which are not orphans. */
  inFlight?: ReadonlySet<string>;
  /**
   * While this process takes uploads, only holds older than any upload can run: a hold committed a
   * moment ago may not be in `inFlight` yet. At start-up, none (every open hold is an orphan).
   */
  placedBefore?: Date;
}): Promise<ReconcileResult> {
  const { ledger } = input;
  const result: ReconcileResult = { settled: 0, released: 0, undecided: 0, abandonedClaims: 0 };
  for (const hold of await ledger.openHolds({ owner: input.owner, placedBefore: input.placedBefore })) {
    if (input.inFlight?.has(hold.id)) continue;
    if (hold.blobId === undefined || hold.objectId === undefined) {
      // Nothing was registered for it (registration is written down before anything is sent).
      await ledger.release(hold.id, { reason: 'reconciled: the upload never registered a blob' });
      result.released++;
      continue;
    }
    const certified = await input
      .certified({ blobId: hold.blobId, objectId: hold.objectId })
      .catch(() => undefined);
    if (certified === undefined) {
      result.undecided++;
    } else if (certified) {
      await ledger.settle(hold.id, hold.amountFrost, {
        reason: 'reconciled: the blob certified; charged as quoted',
        blobId: hold.blobId,
        objectId: hold.objectId,
      });
      result.settled++;
    } else {
      await ledger.release(hold.id, {
        reason: 'reconciled: the blob never certified',
        blobId: hold.blobId,
        objectId: hold.objectId,
      });
      result.released++;
    }
  }
  result.abandonedClaims = await ledger.abandonStaleIdempotency({
    owner: input.owner,
    ...(input.placedBefore ? { claimedBefore: input.placedBefore } : {}),
  });
  return result;
}
