// The operator's API (Bearer ADMIN_TOKEN): the blocklist for now; cache and accounts join later.
import type { Context, Hono } from 'hono';
import { timingSafeEqual } from '../timing-safe.ts';
import type { Blocklist } from '../blocklist.ts';
import { errorResponse } from '../errors.ts';

const BLOCKABLE_ID = /^([A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{50}|0x[0-9a-f]{64})$/;

export function adminRoutes(app: Hono, deps: { adminToken?: string; blocklist: Blocklist }): void {
  const authorized = (c: Context): Response | undefined => {
    if (!deps.adminToken)
      return errorResponse(c, 403, 'ADMIN_DISABLED', 'set ADMIN_TOKEN to enable the admin API');
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!timingSafeEqual(token, deps.adminToken)) {
      return errorResponse(c, 401, 'UNAUTHENTICATED', 'a valid admin bearer token is required', {
        'www-authenticate': 'Bearer',
      });
    }
    return undefined;
  };

  app.get('/v1/admin/blocklist', (c) => authorized(c) ?? c.json({ ids: deps.blocklist.list() }));
  app.put('/v1/admin/blocklist/:id', async (c) => {
    const denied = authorized(c);
    if (denied) return denied;
    const id = c.req.param('id');
    if (!BLOCKABLE_ID.test(id))
      return errorResponse(c, 400, 'INVALID_ID', 'expected a blob, quilt, patch or object ID');
    await deps.blocklist.add(id);
    return c.json({ blocked: id });
  });
  app.delete('/v1/admin/blocklist/:id', async (c) => {
    const denied = authorized(c);
    if (denied) return denied;
    await deps.blocklist.remove(c.req.param('id'));
    return c.body(null, 204);
  });
}
