// The ledger of paid publishing (issue 12): accounts, their API keys (as keyed hashes only), and an
// append-only record of every credit, hold, settle and release, from which balances are derived. Two
// implementations pass one test suite: node:sqlite in DATA_DIR (one instance) and PostgreSQL (several
// instances sharing accounts). Amounts are FROST (1 WAL = 10^9 FROST) as bigint, never floats.
//
// Money moves in one direction only: a hold takes an amount out of what is available (never more
// than is available, however many uploads race for it, on however many instances), and is then
// closed exactly once — settled (the amount charged, ≤ the hold, leaves the balance; the rest is
// free again) or released (all of it is free again).
//
// Amounts are whole FROST from 0 to 2^63 − 1 (SQLite's integers; more than the WAL supply): others
// are rejected with a RangeError. Methods given an account ID that does not exist throw
// UnknownAccountError (an admin route answers 404 with it).

export interface Account {
  id: string;
  name: string;
  createdAt: Date;
  /** Largest upload this account may make (bytes); undefined = the edge's own limit. */
  maxUploadBytes?: number;
  /** Uploads per minute per API key; undefined = no limit of its own. */
  uploadsPerMinute?: number;
}

export interface NewAccount {
  name: string;
  maxUploadBytes?: number;
  uploadsPerMinute?: number;
}

export interface Balance {
  /** Credits minus settled charges. */
  balanceFrost: bigint;
  /** Open holds. */
  heldFrost: bigint;
  /** balance − held: what a new hold may take. */
  availableFrost: bigint;
}

export interface ApiKeyRecord {
  accountId: string;
  /** The key's first characters (shown in listings; unique). */
  prefix: string;
  createdAt: Date;
  revokedAt?: Date;
}

export type EntryKind = 'credit' | 'hold' | 'settle' | 'release';

/** One row of the append-only record. */
export interface LedgerEntry {
  /** Position in the ledger: increases with every entry. */
  seq: bigint;
  accountId: string;
  kind: EntryKind;
  /** credit: credited; hold: held; settle: charged; release: freed (the whole hold). */
  amountFrost: bigint;
  /** hold, settle, release: the hold they belong to. */
  holdId?: string;
  at: Date;
  /** What the entry is for: a note, a top-up digest, a receipt, a reason (JSON-serializable). */
  memo: Record<string, unknown>;
}

export interface Hold {
  id: string;
  accountId: string;
  amountFrost: bigint;
  createdAt: Date;
  /** The edge instance that placed it (it reconciles its own holds at start-up). */
  owner: string;
  /** What the upload got as far as, recorded as it happens (for reconciliation after a crash). */
  blobId?: string;
  objectId?: string;
}

export type HoldResult =
  | { ok: true; hold: Hold }
  /** Not enough available: nothing was held. */
  | { ok: false; balance: Balance };

export type CreditResult =
  | { ok: true; entry: LedgerEntry }
  /** This top-up digest was credited before (to whichever account): nothing credited now. */
  | { ok: false; reason: 'duplicate-top-up'; accountId: string };

/** A stored answer to a request made with an Idempotency-Key. */
export interface IdempotentResponse {
  status: number;
  body: unknown;
}

export type IdempotencyClaim =
  /** This request is the first with the key: do the work, then finish or abandon the claim. */
  | { kind: 'claimed' }
  /** The work was done before: answer this, do nothing. */
  | { kind: 'done'; response: IdempotentResponse }
  /** Another copy of the request is doing the work right now (here or at another instance). */
  | { kind: 'in-progress' }
  /** The key was used before for a different request (another body or other parameters). */
  | { kind: 'mismatch' };

export interface Ledger {
  readonly kind: 'sqlite' | 'postgres';

  createAccount(account: NewAccount): Promise<Account>;
  getAccount(id: string): Promise<Account | undefined>;
  listAccounts(): Promise<(Account & Balance)[]>;

  /** Stores a key by its keyed hash (the key itself is never stored). */
  addApiKey(accountId: string, key: { prefix: string; hash: string }): Promise<ApiKeyRecord>;
  /** The account of an unrevoked key with this hash. */
  findApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(accountId: string): Promise<ApiKeyRecord[]>;
  /** False when the account has no such unrevoked key. */
  revokeApiKey(accountId: string, prefix: string): Promise<boolean>;

  /** Adds to the balance. With `topUpDigest`, at most once per digest across all accounts. */
  credit(
    accountId: string,
    amountFrost: bigint,
    memo: { note?: string; topUpDigest?: string; [key: string]: unknown },
  ): Promise<CreditResult>;
  /** Holds `amountFrost` if that much is available, atomically (no two holds overdraw a balance). */
  hold(
    accountId: string,
    amountFrost: bigint,
    options: { owner: string; memo?: Record<string, unknown> },
  ): Promise<HoldResult>;
  /**
   * Records how far the hold's upload got (blob ID once encoded, object ID once registered). Throws
   * HoldClosedError if the hold is not open (e.g. reconciled away while its upload still ran).
   */
  noteHoldProgress(holdId: string, progress: { blobId?: string; objectId?: string }): Promise<void>;
  /**
   * Closes an open hold charging `chargedFrost` (≤ its amount; the rest is free again). Throws if the
   * hold is not open or the charge exceeds it: a hold is closed exactly once.
   */
  settle(holdId: string, chargedFrost: bigint, memo: Record<string, unknown>): Promise<LedgerEntry>;
  /** Closes an open hold charging nothing. Throws if the hold is not open. */
  release(holdId: string, memo: Record<string, unknown>): Promise<LedgerEntry>;
  /** Holds not yet closed: of one owner, or every owner's placed before `placedBefore`. */
  openHolds(filter: { owner?: string; placedBefore?: Date }): Promise<Hold[]>;

  balance(accountId: string): Promise<Balance>;
  /** Newest first. */
  history(accountId: string, options?: { limit?: number }): Promise<LedgerEntry[]>;
  /**
   * Recomputes every account's balance and held amount from the entries alone and compares them with
   * the stored running totals: the empty list when they agree.
   */
  audit(): Promise<{ accountId: string; stored: Balance; derived: Balance }[]>;

  /** The first request with (account, key) claims it; `fingerprint` tells copies from other requests. */
  claimIdempotency(
    accountId: string,
    key: string,
    fingerprint: string,
    owner: string,
  ): Promise<IdempotencyClaim>;
  /**
   * Stores the answer; copies of the request get it from now on. Does nothing when the claim is gone
   * (abandoned as stale meanwhile) or already finished: the response the caller sends stands.
   */
  finishIdempotency(accountId: string, key: string, response: IdempotentResponse): Promise<void>;
  /** Forgets an unfinished claim (the work failed and cost nothing): a retry does the work anew. */
  abandonIdempotency(accountId: string, key: string): Promise<void>;
  /**
   * Forgets the unfinished claims of an owner (after its crash), or every owner's older than a date
   * (both given: claims matching both). Returns how many. At least one of the two is required.
   */
  abandonStaleIdempotency(filter: { owner?: string; claimedBefore?: Date }): Promise<number>;

  /** Resolves when the database answers (a trivial query): /readyz's "ledger open". */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** Thrown by settle/release for a hold that is unknown or already closed, or an over-charge. */
export class HoldClosedError extends Error {
  override readonly name = 'HoldClosedError';
}

/** Thrown for an account ID that names no account. */
export class UnknownAccountError extends Error {
  override readonly name = 'UnknownAccountError';
}
