// A request body read whole, but never past a limit: refused from Content-Length before a byte is read,
// and — for a chunked body, or one that lies about its length — the moment it passes the limit, with
// the rest left unread. What an upload endpoint needs before it spends anything on the bytes.
// (A body shorter than its Content-Length is the server's to refuse: the read then fails, `aborted`.)

export type LimitedBody =
  | { ok: true; bytes: Uint8Array<ArrayBuffer> }
  | { ok: false; kind: 'too-large'; limit: number }
  | { ok: false; kind: 'aborted' };

/** Whether Content-Length already says the body is too large (undefined: no or unusable header). */
export function declaredTooLarge(request: Request, limit: number): boolean {
  const declared = declaredLength(request);
  return declared !== undefined && declared > limit;
}

export function declaredLength(request: Request): number | undefined {
  const header = request.headers.get('content-length');
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

export async function readBodyWithin(request: Request, limit: number): Promise<LimitedBody> {
  if (declaredTooLarge(request, limit)) return { ok: false, kind: 'too-large', limit };
  const body = request.body;
  if (!body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        // Stop reading: the rest of the body is never buffered (nor paid for).
        void reader.cancel().catch(() => undefined);
        return { ok: false, kind: 'too-large', limit };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, kind: 'aborted' };
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { ok: true, bytes };
}
