// Who may publish, and within which limits: the seam between the publisher's routes and the ways a
// client proves it may spend the operator's WAL (PUBLISHER_AUTH: none | jwt | api-key, DESIGN §4).
// The routes ask an authorizer before reading the body and enforce the grant while they read it.

/** What a client may publish with this request (absent = no limit beyond the edge's own). */
export interface PublishGrant {
  /** Who it is (a JWT's `sub`, an API key's account), for logs and metrics; never a secret. */
  subject?: string;
  /** The body must be exactly this many bytes (a JWT's `size`). */
  exactSize?: number;
  /** The body may be at most this many bytes (a JWT's `max_size`). */
  maxSize?: number;
  /** `epochs` must be exactly this (a JWT's `epochs`). */
  exactEpochs?: number;
  /** `epochs` may be at most this (a JWT's `max_epochs`). */
  maxEpochs?: number;
  /** `send_object_to` must be this address (a JWT's `send_object_to`). */
  sendObjectTo?: string;
  /** The body may be at most this many bytes, else 413 (an account's own size cap). */
  capBytes?: number;
  /** The account that pays for this upload from its prepaid balance (an API key's). */
  payer?: Payer;
}

/** Who pays the operator for an upload: an account, through one of its API keys. */
export interface Payer {
  accountId: string;
  keyPrefix: string;
}

/**
 * A refusal with the status and AIP-193 reason the official publisher gives for it (its JWT layer
 * answers 429 for a replayed token and 504 for an expired one; 503 is ours: the replay store is down).
 */
export interface PublishRefusal {
  status: 400 | 401 | 403 | 413 | 429 | 503 | 504;
  reason: string;
  message: string;
  /** For a 429 or 503: when to try again. */
  retryAfterSeconds?: number;
}

export type AuthDecision = { ok: true; grant: PublishGrant } | ({ ok: false } & PublishRefusal);

/** Decides from the request's headers and query alone (the body is not read yet). */
export type PublishAuthorizer = (request: Request) => Promise<AuthDecision>;

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | null): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** PUBLISHER_AUTH=none: everyone may publish, within the edge's own limits. */
export const openPublishing: PublishAuthorizer = async () => ({ ok: true, grant: {} });

/**
 * What the grant says of a body of `received` bytes: a refusal as soon as it is too long (call it as
 * chunks arrive, `complete` false) or, once the body has ended (`complete` true), too short for an
 * exact size. A Content-Length the authorizer saw was already checked; a chunked body is checked here.
 */
export function grantBodyRefusal(
  grant: PublishGrant,
  received: number,
  complete: boolean,
): PublishRefusal | undefined {
  const limit = grant.exactSize ?? grant.maxSize;
  const tooLong = limit !== undefined && received > limit;
  const tooShort = complete && grant.exactSize !== undefined && received < grant.exactSize;
  if (!tooLong && !tooShort) return undefined;
  const claim = grant.exactSize !== undefined ? `exactly ${grant.exactSize}` : `at most ${grant.maxSize}`;
  return {
    status: 400,
    reason: 'INVALID_SIZE',
    message: `the size of the request does not match the size specified in the token: ${claim} bytes allowed, ${received} sent${complete ? '' : ' so far'}`,
  };
}
