// Content negotiation (RFC 9110 §12.5): which image format an Accept header takes, and which content
// coding an Accept-Encoding header takes. Only what we can produce is considered; q=0 refuses.

/** Each listed token with its q-value (1 when none is given), lower-cased. */
function weights(header: string | undefined): Map<string, number> {
  const weighted = new Map<string, number>();
  if (!header) return weighted;
  for (const part of header.split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.trim().split('=');
      if (name === 'q') q = Number(value);
    }
    weighted.set(token.trim(), Number.isFinite(q) ? q : 0);
  }
  return weighted;
}

/** Whether Accept takes `type` (exactly, or by `image/*` or `*\/*`) with q > 0. */
export function accepts(accept: string | undefined, type: string): boolean {
  const weighted = weights(accept);
  const q = weighted.get(type) ?? weighted.get(`${type.split('/')[0]}/*`) ?? weighted.get('*/*');
  return q !== undefined && q > 0;
}

/**
 * The format `format=auto` picks: AVIF, then WebP, when the client names them. Browsers list the
 * modern formats they decode explicitly (an `image/*` alone says nothing about AVIF support).
 */
export function autoFormat(accept: string | undefined): 'avif' | 'webp' | undefined {
  const weighted = weights(accept);
  if ((weighted.get('image/avif') ?? 0) > 0) return 'avif';
  if ((weighted.get('image/webp') ?? 0) > 0) return 'webp';
  return undefined;
}

export type Encoding = 'br' | 'gzip';

/** The coding to send: brotli, then gzip, among those the client takes (q > 0, or by `*`). */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  const weighted = weights(acceptEncoding);
  const wildcard = weighted.get('*');
  const q = (coding: string) => weighted.get(coding) ?? wildcard ?? 0;
  const br = q('br');
  const gzip = Math.max(q('gzip'), weighted.get('x-gzip') ?? 0);
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return undefined;
}
