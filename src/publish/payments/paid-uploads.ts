// One paid upload, from the account's side: quote → hold the amount → publish → settle what it
// actually cost (never more than the hold; the rest is free again) or release the whole hold on any
// failure → a receipt signed by the sponsor key. With an Idempotency-Key the first copy of a request
// does the work and every other copy (at the same time, later, at another instance) gets its answer.
//
// Money is safe at every step: the hold is taken before anything is spent, how far the upload got is
// written down as it goes (the blob ID, then the Blob object), and an edge that dies halfway leaves an
// open hold that its next start reconciles against the chain (reconcile-holds.ts).
import { apiError } from '../../protocol/status.ts';
import type { Balance, Hold, IdempotentResponse, Ledger } from '../ledger/ledger.ts';
import type { QuiltOutcome, StoreOutcome } from '../publish-outcome.ts';
import type { Payer } from '../publish-auth.ts';
import type { UploadProgress } from '../publisher.ts';
import { quoteJson, type Quote } from './quote.ts';
import type { ReceiptFields, SignedReceipt } from './receipt.ts';

/** An answer as the routes send it. */
export interface Rendered {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface PaidRequest {
  payer: Payer;
  /** Bytes of the body (a quilt's whole form). */
  size: number;
  epochs: number;
  /** The client's Idempotency-Key header. */
  idempotencyKey?: string;
  /** Tells copies of this request from other requests with the same key (route, parameters, body). */
  fingerprint: string;
  signal?: AbortSignal;
}

export interface PaidUploadsDeps {
  ledger: Ledger;
  /** This instance's name in the ledger: the owner of its holds and idempotency claims. */
  owner: string;
  quote(size: number, epochs: number, signal?: AbortSignal): Promise<Quote>;
  /** The gas (MIST) a transaction cost its payer, read from its effects on Sui. */
  gasOf(digest: string): Promise<bigint>;
  /** What a certified upload is charged (≤ the quote), from what it cost the sponsor on chain. */
  charge(
    quote: Quote,
    spent: { walFrost: bigint; gasMist: bigint },
  ): { chargedFrost: bigint; networkCostFrost: bigint };
  signReceipt(fields: Omit<ReceiptFields, 'version' | 'sponsor' | 'issuedAt'>): Promise<SignedReceipt>;
  /** Why the sponsor cannot pay the network for this upload now (short of WAL or SUI), if so. */
  sponsorShortfall(quote: Quote): string | undefined;
  /** How long a copy of a request waits for the first copy's answer before a 409. */
  idempotencyWaitMs: number;
  observer?: PaidUploadsObserver;
  /** Filled with the IDs of the holds of uploads running now: reconciliation leaves those alone. */
  inFlight?: Set<string>;
}

/** Metrics hooks: how paid uploads ended, and the FROST charged (no account IDs). */
export interface PaidUploadsObserver {
  ended(outcome: string, chargedFrost: bigint): void;
  /**
   * What paying added to a certified upload (ms): the whole request's time in pay() minus the
   * publisher's own work, with the ledger writes it waited for during that work counted in.
   */
  overhead?(ms: number, idempotent: boolean): void;
}

export interface PaidUploads {
  /**
   * Runs `work` paid by the request's account. `render` turns the publisher's outcome (and the
   * receipt of a success) into the answer; refusals of the payment itself are rendered here.
   */
  pay(
    request: PaidRequest,
    work: (progress: UploadProgress) => Promise<StoreOutcome | QuiltOutcome>,
    render: (outcome: StoreOutcome | QuiltOutcome, receipt?: SignedReceipt) => Rendered,
  ): Promise<Rendered>;
  /** A price for an upload of `size` bytes stored `epochs` epochs (GET /v1/quote). */
  quote(size: number, epochs: number, signal?: AbortSignal): Promise<Quote>;
}

const refusal = (
  status: number,
  reason: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): Rendered => ({ status, body: { ...apiError(status, reason, message), ...extra }, headers });

/** Between looks at a copy's claim while the first copy works. */
const IDEMPOTENCY_POLL_MS = 100;

export function paidUploads(deps: PaidUploadsDeps): PaidUploads {
  const { ledger } = deps;
  const ended = (outcome: string, charged = 0n) => deps.observer?.ended(outcome, charged);

  /** Claims the key, waiting while another copy works: the claim, or the answer to give instead. */
  async function claim(request: PaidRequest, key: string): Promise<'claimed' | Rendered> {
    const { accountId } = request.payer;
    const deadline = Date.now() + deps.idempotencyWaitMs;
    for (;;) {
      const claimed = await ledger.claimIdempotency(accountId, key, request.fingerprint, deps.owner);
      if (claimed.kind === 'claimed') return 'claimed';
      if (claimed.kind === 'done') return replayed(claimed.response);
      if (claimed.kind === 'mismatch')
        return refusal(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used for a different request (another body or other parameters)',
        );
      if (Date.now() >= deadline || request.signal?.aborted)
        return refusal(
          409,
          'IDEMPOTENCY_KEY_IN_USE',
          'a request with this Idempotency-Key is still being processed; retry later for its answer',
          {},
          { 'retry-after': '2' },
        );
      await new Promise((resolve) => setTimeout(resolve, IDEMPOTENCY_POLL_MS));
    }
  }

  const replayed = (response: IdempotentResponse): Rendered => ({
    status: response.status,
    body: response.body,
    headers: { 'idempotent-replayed': 'true' },
  });

  async function paid(
    request: PaidRequest,
    work: (progress: UploadProgress) => Promise<StoreOutcome | QuiltOutcome>,
    render: (outcome: StoreOutcome | QuiltOutcome, receipt?: SignedReceipt) => Rendered,
    clock: Clock,
  ): Promise<Paid> {
    const { accountId } = request.payer;
    const quote = await deps.quote(request.size, request.epochs, request.signal);
    const shortfall = deps.sponsorShortfall(quote);
    if (shortfall) {
      ended('sponsor-short');
      return {
        rendered: refusal(503, 'SPONSOR_INSUFFICIENT_FUNDS', shortfall, {}, { 'retry-after': '60' }),
        keep: false,
        closing: Promise.resolve(),
      };
    }
    // The hold is placed while the body encodes; nothing is spent before it is in (beforeRegister).
    const holding: Promise<HoldState> =
      quote.totalFrost > 0n
        ? ledger
            .hold(accountId, quote.totalFrost, {
              owner: deps.owner,
              memo: { quote: quoteJson(quote), idempotencyKey: request.idempotencyKey },
            })
            .then((held) => {
              if (!held.ok) return { short: held.balance };
              deps.inFlight?.add(held.hold.id);
              return { hold: held.hold };
            })
        : Promise.resolve({});
    holding.catch(() => undefined); // awaited below, after the work
    try {
      return await publishHeld(request, quote, holding, work, render, clock);
    } finally {
      const { hold } = await settledHold(holding);
      if (hold) deps.inFlight?.delete(hold.id);
    }
  }

  async function publishHeld(
    request: PaidRequest,
    quote: Quote,
    holding: Promise<HoldState>,
    work: (progress: UploadProgress) => Promise<StoreOutcome | QuiltOutcome>,
    render: (outcome: StoreOutcome | QuiltOutcome, receipt?: SignedReceipt) => Rendered,
    clock: Clock,
  ): Promise<Paid> {
    const { accountId } = request.payer;
    // The register transaction's gas is read while the slivers go out, not after the certificate.
    const gasReads = new Map<string, Promise<bigint>>();
    const readGas = (digest: string) => {
      const read = gasReads.get(digest) ?? deps.gasOf(digest);
      read.catch(() => undefined); // awaited (and its failure met) when the charge is made
      gasReads.set(digest, read);
      return read;
    };
    // The Blob object is written down while the slivers go out, and durable before the certificate
    // is sent to Sui: after a crash, that object says whether the upload certified.
    let noted: Promise<unknown> = Promise.resolve();
    const waited = async <T>(what: Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await what;
      } finally {
        clock.waitedMs += performance.now() - started;
      }
    };
    const progress: UploadProgress = {
      beforeRegister: async () => {
        if ((await waited(holding)).short) throw new Error('the balance does not cover this upload');
      },
      registered: (blobId, objectId, digest) => {
        if (digest) readGas(digest);
        // The hold is in by now (beforeRegister waited for it).
        noted = holding.then(({ hold }) => hold && ledger.noteHoldProgress(hold.id, { blobId, objectId }));
        noted.catch(() => undefined); // met in beforeCertify
      },
      beforeCertify: async () => void (await waited(noted)),
    };
    let outcome: StoreOutcome | QuiltOutcome;
    const workStarted = performance.now();
    try {
      outcome = await work(progress).finally(() => (clock.workMs += performance.now() - workStarted));
    } catch (error) {
      // A release that fails too is left to reconciliation: the hold is open, nothing is charged.
      const { hold } = await settledHold(holding);
      if (hold) await ledger.release(hold.id, { reason: 'failed' }).catch(() => undefined);
      throw error;
    }
    // A hold the ledger could not place stopped the work before it spent anything (beforeRegister).
    const { hold, short } = await settledHold(holding);
    if (short && outcome.kind !== 'already-certified') {
      ended('insufficient-balance');
      return {
        rendered: refusal(
          402,
          'INSUFFICIENT_BALANCE',
          `this upload costs ${quote.totalFrost} FROST; the account has ${short.availableFrost} available`,
          { quote: quoteJson(quote), availableFrost: short.availableFrost.toString() },
        ),
        keep: false,
        closing: Promise.resolve(),
      };
    }
    if (outcome.kind !== 'newly-created' && outcome.kind !== 'already-certified') {
      if (hold) await ledger.release(hold.id, { reason: outcome.kind }).catch(() => undefined);
      ended(outcome.kind);
      return { rendered: render(outcome), keep: false, closing: Promise.resolve() };
    }
    // Certified: what it cost the sponsor is charged (a blob certified before costs nothing).
    // Gas: the certify's from its effects, the register's as read meanwhile (a reused registration
    // was paid for by an earlier upload: no register transaction now).
    const spent =
      outcome.kind === 'newly-created'
        ? deps.charge(quote, {
            walFrost: outcome.cost,
            gasMist:
              outcome.certifyGasMist +
              (await Promise.all(outcome.transactions.slice(0, -1).map(readGas))).reduce((a, b) => a + b, 0n),
          })
        : { chargedFrost: 0n, networkCostFrost: 0n };
    const chargedFrost = quote.free ? 0n : spent.chargedFrost;
    const receipt = await deps.signReceipt({
      accountId,
      blobId: outcome.blobId,
      objectId: outcome.kind === 'newly-created' ? outcome.blobObject.objectId : outcome.object,
      transactions: outcome.kind === 'newly-created' ? outcome.transactions : [],
      networkCostFrost: spent.networkCostFrost.toString(),
      chargedFrost: chargedFrost.toString(),
      size: request.size,
      epochs: request.epochs,
      idempotencyKey: request.idempotencyKey,
    });
    const closing = async () => {
      if (!hold) return;
      try {
        if (chargedFrost > 0n) await ledger.settle(hold.id, chargedFrost, { receipt });
        else await ledger.release(hold.id, { reason: outcome.kind, receipt });
      } catch {
        // The blob is certified and the client gets it; the hold stays open until reconciliation
        // (reconcile-holds.ts) settles it against the chain.
        ended('settle-deferred', chargedFrost);
      }
    };
    ended(outcome.kind, chargedFrost);
    return { rendered: render(outcome, receipt), keep: true, closing: closing() };
  }

  return {
    quote: deps.quote,
    async pay(request, work, render) {
      const started = performance.now();
      const clock: Clock = { workMs: 0, waitedMs: 0 };
      const answer = await payTimed(request, work, render, clock);
      if (clock.workMs > 0 && answer.status === 200)
        deps.observer?.overhead?.(
          performance.now() - started - clock.workMs + clock.waitedMs,
          request.idempotencyKey !== undefined,
        );
      return answer;
    },
  };

  async function payTimed(
    request: PaidRequest,
    work: (progress: UploadProgress) => Promise<StoreOutcome | QuiltOutcome>,
    render: (outcome: StoreOutcome | QuiltOutcome, receipt?: SignedReceipt) => Rendered,
    clock: Clock,
  ): Promise<Rendered> {
    const key = request.idempotencyKey;
    if (key === undefined) {
      const { rendered, closing } = await paid(request, work, render, clock);
      await closing;
      return rendered;
    }
    const claimed = await claim(request, key);
    if (claimed !== 'claimed') {
      ended('idempotent-replay');
      return claimed;
    }
    const { accountId } = request.payer;
    try {
      const { rendered, keep, closing } = await paid(request, work, render, clock);
      // A success is the answer for good; a failure cost nothing, and a retry may do better. The
      // answer is stored while the hold closes (two commits at once, not one after the other).
      await Promise.all([
        closing,
        keep
          ? ledger.finishIdempotency(accountId, key, { status: rendered.status, body: rendered.body })
          : ledger.abandonIdempotency(accountId, key),
      ]);
      return rendered;
    } catch (error) {
      await ledger.abandonIdempotency(accountId, key).catch(() => undefined);
      throw error;
    }
  }
}

/** The hold placed for an upload, or the balance that fell short of it. */
interface HoldState {
  hold?: Hold;
  short?: Balance;
}

/** The hold's state once placed; nothing held when the ledger failed to place it. */
const settledHold = (holding: Promise<HoldState>): Promise<HoldState> => holding.catch(() => ({}));

/** A paid request's answer, whether it is kept for its Idempotency-Key, and its hold closing. */
interface Paid {
  rendered: Rendered;
  keep: boolean;
  closing: Promise<void>;
}

/** Where one paid request's time went: in the publisher, and waiting there for the ledger's note. */
interface Clock {
  workMs: number;
  waitedMs: number;
}
