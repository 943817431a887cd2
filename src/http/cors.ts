// CORS for every answer: any origin by default (blobs are public), or the configured list.
import { cors } from 'hono/cors';

/** Headers a browser script may read from our answers (CORS hides the rest). */
export const EXPOSED_HEADERS = [
  'ETag',
  'Content-Range',
  'Content-Length',
  'Content-Type',
  'Content-Disposition',
  'Accept-Ranges',
  'X-Cache',
  'Age',
  'X-Quilt-Patch-Identifier',
  'X-Walrus-Blob-Id',
  'Retry-After',
  'X-Request-Id',
];

export function corsMiddleware(origins: '*' | string[]) {
  return cors({
    origin: origins,
    allowMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: [
      'Range',
      'If-None-Match',
      'If-Range',
      'If-Modified-Since',
      'Content-Type',
      'Authorization',
    ],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 86_400,
  });
}
