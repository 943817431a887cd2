// Requests the edge turned away to protect itself or its operator, by reason: read from the AIP-193
// reason each error answer carries (errors.ts records it on the request's context), so every route
// that refuses through errorResponse is counted without a hook of its own.
import type { MiddlewareHandler } from 'hono';
import { Counter, type Registry } from 'prom-client';

/** AIP-193 reasons (DESIGN §5, the routes) → the `reason` label. Other errors are not rejections. */
const REJECTIONS: Record<string, string> = {
  // An API key past its uploads per minute (publish/auth/api-key-authorizer.ts).
  RATE_LIMITED: 'rate_limited',
  // The reconstruction limiter's queue is full (read/limiter.ts, limited-source.ts): load shed.
  TOO_MANY_RECONSTRUCTIONS: 'shed',
  // Uploads: the publisher's or the relay's slots and queue are full.
  TOO_MANY_UPLOADS: 'upload_queue_full',
  // A request body over the edge's (or the account's) limit: publisher, relay, account routes.
  PAYLOAD_TOO_LARGE: 'body_too_large',
  BODY_TOO_LARGE: 'body_too_large',
  // A blob larger than MAX_BLOB_SIZE asked for on a read route.
  BLOB_TOO_LARGE: 'blob_too_large',
};

/** Counts the rejections among the app's answers; register it before the routes. */
export function rejectionMetrics(registry: Registry): MiddlewareHandler {
  const rejected = new Counter({
    name: 'walrus_edge_requests_rejected_total',
    help: 'Requests refused to protect the edge, by reason: rate_limited (an API key over its rate, 429), shed (reconstruction queue full, 429), upload_queue_full (429), body_too_large (413), blob_too_large (403, over MAX_BLOB_SIZE).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of new Set(Object.values(REJECTIONS))) rejected.inc({ reason }, 0);
  return async (c, next) => {
    await next();
    const reason = c.get('errorReason');
    const label = reason === undefined ? undefined : REJECTIONS[reason];
    if (label) rejected.inc({ reason: label });
  };
}
