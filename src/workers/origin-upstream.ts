// The origin edges as the Workers tier's upstream: each blob's requests go to the edge that owns it
// (origin-choice.ts), reads move to the next edge when that one fails, writes are sent once.
import { apiError } from '../protocol/status.ts';
import type { Upstream } from './cache-front.ts';
import { affinityKey, originsFor } from './origin-choice.ts';

export interface OriginOptions {
  /** Base URLs of the origin edges, e.g. https://edge-1.example.com. */
  origins: readonly string[];
  /** How long an origin may take to send its headers before the next one is tried. */
  originTimeoutMs: number;
}

/** Origin answers worth another origin's try (the next edge may have the blob or reach the nodes). */
const RETRY_NEXT = new Set([502, 503, 504]);

export function originUpstream(options: OriginOptions): Upstream {
  if (options.origins.length === 0) throw new Error('the Workers tier needs at least one origin');
  return { fetch: (request, requestId) => fromOrigins(request, requestId, options) };
}

/**
 * The origins' answer: the blob's own origin first, the next on a network error, a timeout or a
 * 502/503/504 (reads only: a write's body can be sent once), and a 502 of our own when none answers.
 */
async function fromOrigins(request: Request, requestId: string, options: OriginOptions): Promise<Response> {
  const url = new URL(request.url);
  const read = request.method === 'GET' || request.method === 'HEAD';
  const order = originsFor(affinityKey(url.pathname), options.origins);
  const tries = read ? order : order.slice(0, 1);
  let last: Response | undefined;
  let reason = '';
  for (const origin of tries) {
    const headers = new Headers(request.headers);
    headers.delete('host');
    headers.set('x-request-id', requestId);
    if (read) headers.set('accept-encoding', 'identity'); // the copy kept is the plain bytes
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.originTimeoutMs);
    try {
      const response = await fetch(new URL(url.pathname + url.search, origin), {
        method: request.method,
        headers,
        body: read ? undefined : request.body,
        redirect: 'manual',
        signal: timeout.signal,
      });
      if (!read || !RETRY_NEXT.has(response.status)) return response;
      await last?.body?.cancel();
      last = response;
    } catch (error) {
      reason = (error as Error).message;
    } finally {
      clearTimeout(timer);
    }
  }
  if (last) return last;
  return Response.json(
    apiError(502, 'ORIGIN_UNREACHABLE', `no origin edge answered (${tries.length} tried): ${reason}`),
    { status: 502, headers: { 'cache-control': 'no-store', 'access-control-allow-origin': '*' } },
  );
}
