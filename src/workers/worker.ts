// The Workers tier's entry point (deploy/workers/wrangler.jsonc): the cache front over the origins
// its settings name. Settings are Worker variables; a missing or invalid one answers every request
// with a 500 that names it, the way the edge refuses to start (DESIGN §5 bodies).
import { apiError } from '../protocol/status.ts';
import { createCacheFront, type WaitUntil } from './cache-front.ts';
import { workersSettings, type WorkersEnv } from './settings.ts';

/** workerd's CacheStorage has the data centre's cache as `default` (the DOM type does not). */
declare const caches: CacheStorage & { default: Cache };

let front: { settingsText: string; app: ReturnType<typeof createCacheFront> } | undefined;

export default {
  fetch(request: Request, env: WorkersEnv, ctx: WaitUntil): Response | Promise<Response> {
    const settings = workersSettings(env);
    if (!settings.ok) {
      return Response.json(apiError(500, 'INVALID_SETTING', settings.message), {
        status: 500,
        headers: { 'cache-control': 'no-store' },
      });
    }
    // One front per isolate and settings: its in-flight fills are shared by the requests it serves.
    const settingsText = JSON.stringify(settings.value);
    if (front?.settingsText !== settingsText) {
      front = { settingsText, app: createCacheFront({ ...settings.value, cache: caches.default }) };
    }
    return front.app.fetch(request, env, ctx as ExecutionContextLike);
  },
};

type ExecutionContextLike = Parameters<ReturnType<typeof createCacheFront>['fetch']>[2];
