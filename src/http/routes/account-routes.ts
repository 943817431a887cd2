// Paid publishing's accounts (DESIGN §4): the operator's admin API (Bearer ADMIN_TOKEN) to open
// accounts, issue and revoke their API keys, credit them and read their history; the client's own
// view (Bearer API key) of its balance and history; the public price of an upload; and top-ups — WAL
// sent to the sponsor address on Sui, credited once per transaction. Amounts are FROST as decimal
// strings: JSON numbers lose u64 precision.
import type { Context, Hono } from 'hono';
import { isValidPersonalMessageSignature } from '@mysten/sui/verify';
import { z } from 'zod';
import { generateApiKey } from '../../publish/accounts/api-keys.ts';
import { lookUpApiKey } from '../../publish/accounts/api-key-lookup.ts';
import type { Account, ApiKeyRecord, Balance, Ledger, LedgerEntry } from '../../publish/ledger/ledger.ts';
import { quoteJson } from '../../publish/payments/quote.ts';
import type { PaidUploads } from '../../publish/payments/paid-uploads.ts';
import type { TopUpCheck } from '../../publish/payments/top-up-check.ts';
import { adminRefusal } from '../admin-auth.ts';
import { errorResponse } from '../errors.ts';

export interface AccountRouteDeps {
  adminToken?: string;
  ledger: Ledger;
  hashKey: (key: string) => string;
  payments: Pick<PaidUploads, 'quote'>;
  /** Reads a top-up transaction from Sui (payments/top-up-check.ts, bound to the sponsor). */
  checkTopUp: (digest: string, signal?: AbortSignal) => Promise<TopUpCheck>;
  /** The largest body a paid upload may have (the quote refuses beyond it). */
  maxUploadBytes: number;
  /** TOP_UP_REQUIRE_SIGNATURE: a top-up must come with the sender's signature (no claiming others'). */
  requireTopUpSignature?: boolean;
}

/** What a top-up's sender signs (a Sui personal message) to prove the transfer is theirs to credit. */
export function topUpProofMessage(digest: string, accountId: string): string {
  return `walrus-edge top-up ${digest} for account ${accountId}`;
}

async function signedBySender(message: string, signature: string, sender: string): Promise<boolean> {
  return isValidPersonalMessageSignature(new TextEncoder().encode(message), signature, {
    address: sender,
  }).catch(() => false);
}

const HISTORY_LIMIT = 100;
/** The ledger's largest amount (a signed 64-bit integer, as SQLite stores it). */
const MAX_FROST = 2n ** 63n - 1n;
const AccountBody = z.strictObject({
  name: z.string().min(1).max(200),
  maxUploadBytes: z.number().int().positive().optional(),
  uploadsPerMinute: z.number().int().positive().optional(),
});
const CreditBody = z.strictObject({
  amountFrost: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, 'a positive whole number of FROST as a decimal string')
    .refine((text) => BigInt(text) <= MAX_FROST, 'at most 2^63 - 1 FROST'),
  note: z.string().max(500).optional(),
});
const TopUpBody = z.strictObject({
  digest: z.string().min(1).max(100),
  /** The sender's Sui personal-message signature over topUpProofMessage(digest, account): proof of who pays. */
  signature: z.string().min(1).max(2000).optional(),
});
const QuoteQuery = z.object({
  size: z.coerce.number().int().nonnegative(),
  epochs: z.coerce.number().int().positive().default(1),
});

const balanceJson = (balance: Balance) => ({
  balanceFrost: balance.balanceFrost.toString(),
  heldFrost: balance.heldFrost.toString(),
  availableFrost: balance.availableFrost.toString(),
});
const accountJson = (account: Account) => ({
  id: account.id,
  name: account.name,
  createdAt: account.createdAt.toISOString(),
  ...(account.maxUploadBytes !== undefined ? { maxUploadBytes: account.maxUploadBytes } : {}),
  ...(account.uploadsPerMinute !== undefined ? { uploadsPerMinute: account.uploadsPerMinute } : {}),
});
const keyJson = (key: ApiKeyRecord) => ({
  prefix: key.prefix,
  createdAt: key.createdAt.toISOString(),
  ...(key.revokedAt ? { revokedAt: key.revokedAt.toISOString() } : {}),
});
const entryJson = (entry: LedgerEntry) => ({
  seq: entry.seq.toString(),
  kind: entry.kind,
  amountFrost: entry.amountFrost.toString(),
  ...(entry.holdId ? { holdId: entry.holdId } : {}),
  at: entry.at.toISOString(),
  ...entry.memo,
});

/** A JSON body checked against its schema, or the 400 to answer. */
async function parsedBody<T>(c: Context, schema: z.ZodType<T>): Promise<T | Response> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return errorResponse(c, 400, 'INVALID_JSON', 'the body must be JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return errorResponse(c, 400, 'INVALID_ARGUMENT', z.prettifyError(parsed.error).replaceAll('\n', '; '));
  return parsed.data;
}

export function accountRoutes(app: Hono, deps: AccountRouteDeps): void {
  const { ledger } = deps;
  const ledgerDown = (c: Context) =>
    errorResponse(c, 503, 'LEDGER_UNAVAILABLE', 'accounts cannot be read right now; try again shortly', {
      'retry-after': '2',
    });
  /** Runs a handler, answering 503 (not 500) when the ledger's database fails under it. */
  const guarded =
    (handler: (c: Context) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      try {
        return await handler(c);
      } catch {
        return ledgerDown(c);
      }
    };
  const admin =
    (handler: (c: Context) => Promise<Response>) =>
    (c: Context): Promise<Response> | Response =>
      adminRefusal(c, deps.adminToken) ?? guarded(handler)(c);
  const accountOr404 = async (c: Context): Promise<Account | Response> =>
    (await ledger.getAccount(c.req.param('id') ?? '')) ??
    errorResponse(c, 404, 'ACCOUNT_NOT_FOUND', 'no such account');

  // ── the operator's ────────────────────────────────────────────────────────────────────────────
  app.post(
    '/v1/admin/accounts',
    admin(async (c) => {
      const body = await parsedBody(c, AccountBody);
      if (body instanceof Response) return body;
      const account = await ledger.createAccount(body);
      const { key, prefix } = generateApiKey();
      await ledger.addApiKey(account.id, { prefix, hash: deps.hashKey(key) });
      // The key is shown this once: only its keyed hash is kept.
      return c.json({ ...accountJson(account), apiKey: key, keyPrefix: prefix }, 201);
    }),
  );
  app.get(
    '/v1/admin/accounts',
    admin(async (c) =>
      c.json({
        accounts: (await ledger.listAccounts()).map((account) => ({
          ...accountJson(account),
          ...balanceJson(account),
        })),
      }),
    ),
  );
  app.get(
    '/v1/admin/accounts/:id',
    admin(async (c) => {
      const account = await accountOr404(c);
      if (account instanceof Response) return account;
      const [balance, keys, history] = await Promise.all([
        ledger.balance(account.id),
        ledger.listApiKeys(account.id),
        ledger.history(account.id, { limit: HISTORY_LIMIT }),
      ]);
      return c.json({
        ...accountJson(account),
        ...balanceJson(balance),
        keys: keys.map(keyJson),
        history: history.map(entryJson),
      });
    }),
  );
  app.post(
    '/v1/admin/accounts/:id/keys',
    admin(async (c) => {
      const account = await accountOr404(c);
      if (account instanceof Response) return account;
      const { key, prefix } = generateApiKey();
      await ledger.addApiKey(account.id, { prefix, hash: deps.hashKey(key) });
      return c.json({ apiKey: key, keyPrefix: prefix }, 201);
    }),
  );
  app.delete(
    '/v1/admin/accounts/:id/keys/:prefix',
    admin(async (c) => {
      const revoked = await ledger.revokeApiKey(c.req.param('id') ?? '', c.req.param('prefix') ?? '');
      if (!revoked)
        return errorResponse(c, 404, 'API_KEY_NOT_FOUND', 'the account has no such unrevoked key');
      return c.body(null, 204);
    }),
  );
  app.post(
    '/v1/admin/accounts/:id/credit',
    admin(async (c) => {
      const account = await accountOr404(c);
      if (account instanceof Response) return account;
      const body = await parsedBody(c, CreditBody);
      if (body instanceof Response) return body;
      await ledger.credit(account.id, BigInt(body.amountFrost), {
        note: body.note ?? 'credited by the operator',
      });
      return c.json({ id: account.id, ...balanceJson(await ledger.balance(account.id)) });
    }),
  );

  // Every account's stored balance and held amount against what its entries alone add up to.
  app.get(
    '/v1/admin/ledger/audit',
    admin(async (c) => {
      const mismatches = await ledger.audit();
      return c.json({
        consistent: mismatches.length === 0,
        mismatches: mismatches.map(({ accountId, stored, derived }) => ({
          accountId,
          stored: balanceJson(stored),
          derived: balanceJson(derived),
        })),
      });
    }),
  );

  // ── the client's ──────────────────────────────────────────────────────────────────────────────
  /** The account of the request's API key, or the 401 to answer. */
  const caller = async (c: Context): Promise<Account | Response> => {
    const found = await lookUpApiKey(ledger, deps.hashKey, c.req.header('authorization') ?? null);
    if (found.kind === 'missing' || found.kind === 'malformed')
      return errorResponse(
        c,
        401,
        'MISSING_API_KEY',
        'an `Authorization: Bearer <API key>` header is required',
        {
          'www-authenticate': 'Bearer',
        },
      );
    if (found.kind === 'unknown')
      return errorResponse(c, 401, 'INVALID_API_KEY', 'the API key is unknown or revoked');
    return found.account;
  };
  app.get(
    '/v1/account',
    guarded(async (c) => {
      const account = await caller(c);
      if (account instanceof Response) return account;
      const [balance, history] = await Promise.all([
        ledger.balance(account.id),
        ledger.history(account.id, { limit: HISTORY_LIMIT }),
      ]);
      return c.json(
        { ...accountJson(account), ...balanceJson(balance), history: history.map(entryJson) },
        200,
        {
          'cache-control': 'no-store',
        },
      );
    }),
  );
  app.post(
    '/v1/account/top-ups',
    guarded(async (c) => {
      const account = await caller(c);
      if (account instanceof Response) return account;
      const body = await parsedBody(c, TopUpBody);
      if (body instanceof Response) return body;
      if (deps.requireTopUpSignature && body.signature === undefined)
        return errorResponse(
          c,
          400,
          'TOP_UP_SIGNATURE_REQUIRED',
          `sign "${topUpProofMessage(body.digest, account.id)}" as a Sui personal message with the sending key and pass it as "signature"`,
        );
      const checked = await deps.checkTopUp(body.digest, c.req.raw.signal);
      if (!checked.ok) return errorResponse(c, checked.status, checked.reason, checked.message);
      // Transactions are public: without the sender's signature, whoever names a digest first gets it.
      if (
        body.signature !== undefined &&
        !(await signedBySender(topUpProofMessage(body.digest, account.id), body.signature, checked.sender))
      )
        return errorResponse(
          c,
          403,
          'TOP_UP_SIGNATURE_INVALID',
          `the signature is not ${checked.sender}'s over "${topUpProofMessage(body.digest, account.id)}"`,
        );
      const credited = await ledger.credit(account.id, checked.amountFrost, {
        topUpDigest: body.digest,
        sender: checked.sender,
      });
      if (!credited.ok)
        return errorResponse(
          c,
          409,
          'TOP_UP_ALREADY_CREDITED',
          credited.accountId === account.id
            ? 'this transaction was credited to this account already'
            : 'this transaction was credited to another account',
        );
      return c.json({
        digest: body.digest,
        creditedFrost: checked.amountFrost.toString(),
        sender: checked.sender,
        ...balanceJson(await ledger.balance(account.id)),
      });
    }),
  );

  // ── anyone's ──────────────────────────────────────────────────────────────────────────────────
  app.get('/v1/quote', async (c) => {
    const parsed = QuoteQuery.safeParse(c.req.query());
    if (!parsed.success)
      return errorResponse(
        c,
        400,
        'INVALID_ARGUMENT',
        'size (bytes) is required, and epochs must be a positive integer',
      );
    const { size, epochs } = parsed.data;
    if (size > deps.maxUploadBytes)
      return errorResponse(
        c,
        413,
        'PAYLOAD_TOO_LARGE',
        `this publisher takes at most ${deps.maxUploadBytes} bytes`,
      );
    try {
      return c.json(quoteJson(await deps.payments.quote(size, epochs, c.req.raw.signal)), 200, {
        'cache-control': 'no-store',
      });
    } catch (error) {
      if (error instanceof RangeError) return errorResponse(c, 400, 'INVALID_ARGUMENT', error.message);
      return errorResponse(c, 503, 'SUI_UNAVAILABLE', 'the chain prices cannot be read right now', {
        'retry-after': '2',
      });
    }
  });
}
