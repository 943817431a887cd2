// The operator's bearer token (ADMIN_TOKEN) in front of every /v1/admin route: a refusal to send, or
// undefined when the request may go on. One check for the blocklist, cache and accounts routes.
import type { Context } from 'hono';
import { errorResponse } from './errors.ts';
import { timingSafeEqual } from './timing-safe.ts';

export function adminRefusal(c: Context, adminToken: string | undefined): Response | undefined {
  if (!adminToken) return errorResponse(c, 403, 'ADMIN_DISABLED', 'set ADMIN_TOKEN to enable the admin API');
  const header = c.req.header('authorization') ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!timingSafeEqual(token, adminToken))
    return errorResponse(c, 401, 'UNAUTHENTICATED', 'a valid admin bearer token is required', {
      'www-authenticate': 'Bearer',
    });
  return undefined;
}
