// The operator's API (Bearer ADMIN_TOKEN): the blocklist and the cache (accounts: account-routes.ts).
import type { Context, Hono } from 'hono';
import { adminRefusal } from '../admin-auth.ts';
import { BLOCKABLE_ID, type Blocklist } from '../../read/blocklist.ts';
import { errorResponse } from '../errors.ts';
import { z } from 'zod';
import type { BlobCache } from '../../cache/blob-cache.ts';
import { isBlobId } from '../../protocol/blob-id.ts';
import type { BlobSource } from '../../read/blob-source.ts';
import { warmBlob } from '../../cache/warm.ts';

const WarmBody = z.object({ ids: z.array(z.string()).min(1).max(100), pin: z.boolean().default(false) });

export function adminRoutes(
  app: Hono,
  deps: { adminToken?: string; blocklist: Blocklist; cache?: BlobCache; blobs: BlobSource },
): void {
  const authorized = (c: Context) => adminRefusal(c, deps.adminToken);

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
  app.get('/v1/admin/cache', (c) => {
    const denied = authorized(c);
    if (denied) return denied;
    return c.json(deps.cache ? deps.cache.stats() : { enabled: false });
  });
  app.delete('/v1/admin/cache/:blobId', (c) => {
    const denied = authorized(c);
    if (denied) return denied;
    const blobId = c.req.param('blobId');
    if (!isBlobId(blobId)) return errorResponse(c, 400, 'INVALID_BLOB_ID', 'expected a blob ID');
    deps.cache?.purge(blobId);
    return c.body(null, 204);
  });
  // Warm (and optionally pin) a list of blob or quilt IDs: each is reconstructed once and kept.
  app.post('/v1/admin/cache/warm', async (c) => {
    const denied = authorized(c);
    if (denied) return denied;
    if (!deps.cache) return errorResponse(c, 409, 'CACHE_DISABLED', 'this edge runs without a cache');
    const parsed = WarmBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return errorResponse(
        c,
        400,
        'INVALID_REQUEST',
        'expected {"ids": [...1 to 100 blob IDs], "pin": bool}',
      );
    const cache = deps.cache;
    const results = await Promise.all(
      parsed.data.ids.map(async (id) => {
        if (!isBlobId(id)) return { id, result: 'invalid-id' };
        return { id, result: await warmBlob(deps.blobs, cache, id, parsed.data.pin, c.req.raw.signal) };
      }),
    );
    return c.json({ results });
  });
  app.delete('/v1/admin/blocklist/:id', async (c) => {
    const denied = authorized(c);
    if (denied) return denied;
    await deps.blocklist.remove(c.req.param('id'));
    return c.body(null, 204);
  });
}
