// A request body read whole, but never past a limit: refused from Content-Length before a byte is read,
// and — for a chunked body, or one that lies about its length — the moment it passes the limit, with
// the rest left unread. What an upload endpoint needs before it spends anything on the bytes.
// A body that ends before its Content-Length is `aborted`.

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
  // With a Content-Length the bytes go straight into one buffer of that size (no second copy of a
  // large body); without one, chunks are kept until the end.
  const declared = declaredLength(request);
  const whole = declared === undefined ? undefined : new Uint8Array(declared);
  const chunks: Uint8Array[] = [];
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (total + value.length > limit || (whole && total + value.length > whole.length)) {
        // Stop reading: the rest of the body is never buffered (nor paid for).
        void reader.cancel().catch(() => undefined);
        return { ok: false, kind: 'too-large', limit };
      }
      if (whole) whole.set(value, total);
      else chunks.push(value);
      total += value.length;
    }
  } catch {
    return { ok: false, kind: 'aborted' };
  }
  if (whole) return total === whole.length ? { ok: true, bytes: whole } : { ok: false, kind: 'aborted' };
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { ok: true, bytes };
}
