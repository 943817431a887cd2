// The edge's blocklist, followed by the Workers tier. A blob blocked at the edge answers 451 there, but
// Cloudflare's caches would go on serving the immutable copy they keep for a year; so the Worker reads
// the list from the edge's admin API (GET /v1/admin/blocklist, Bearer ADMIN_TOKEN) at most every
// `refreshMs` per isolate (the first time before answering, later in the background while the last
// list answers), and answers 451 for a request naming a listed ID — in its path, or in the
// kept answer's ETag or X-Walrus-Blob-Id (by-object-id, quilt patches). A list that cannot be read
// keeps the last one (and is asked again a few seconds later, not on every request).
import { quiltIdOfPatch } from '../protocol/quilt-id.ts';
import { BLOCKABLE_ID } from '../read/blocklist.ts';

export interface BlocklistSyncOptions {
  url: string;
  token: string;
  refreshMs: number;
}

export interface WorkersBlocklist {
  /** The first of `ids` on the list, if any; `waitUntil` keeps a background refresh alive. */
  blocked(ids: Iterable<string>, waitUntil: (work: Promise<unknown>) => void): Promise<string | undefined>;
}

const RETRY_AFTER_FAILURE_MS = 5_000;
const READ_TIMEOUT_MS = 5_000;

export function blocklistSync(options: BlocklistSyncOptions): WorkersBlocklist {
  let ids: Set<string> | undefined;
  let nextReadAt = 0;
  let reading = false;
  const refresh = async () => {
    try {
      const response = await fetch(options.url, {
        headers: { authorization: `Bearer ${options.token}` },
        signal: AbortSignal.timeout(READ_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`${options.url} answered ${response.status}`);
      const body = (await response.json()) as { ids?: unknown };
      if (!Array.isArray(body.ids)) throw new Error(`${options.url} sent no list of ids`);
      ids = new Set(body.ids.filter((id): id is string => typeof id === 'string'));
      nextReadAt = Date.now() + options.refreshMs;
    } catch (error) {
      nextReadAt = Date.now() + Math.min(RETRY_AFTER_FAILURE_MS, options.refreshMs);
      console.error(
        JSON.stringify({ msg: 'blocklist not read; keeping the last one', error: String(error) }),
      );
    }
  };
  return {
    async blocked(candidates, waitUntil) {
      if (!ids) await refresh();
      else if (Date.now() >= nextReadAt && !reading) {
        reading = true;
        waitUntil(refresh().finally(() => (reading = false)));
      }
      for (const id of candidates) if (ids?.has(id)) return id;
      return undefined;
    },
  };
}

/** The IDs a request's path names: blob, quilt, patch and object IDs, and a patch's quilt. */
export function idsNamedBy(pathname: string): string[] {
  return withQuilts(pathname.split('/').filter((part) => BLOCKABLE_ID.test(part)));
}

/** The IDs a kept answer is for: its ETag (a blob or patch ID) and X-Walrus-Blob-Id (by-object-id). */
export function idsOfAnswer(headers: Headers): string[] {
  const etag = headers.get('etag')?.replace(/^(W\/)?"|"$/g, '');
  const blobId = headers.get('x-walrus-blob-id');
  return withQuilts([etag, blobId].filter((id): id is string => !!id && BLOCKABLE_ID.test(id)));
}

function withQuilts(ids: string[]): string[] {
  const quilts = ids.flatMap((id) => quiltIdOfPatch(id) ?? []);
  return [...ids, ...quilts];
}
