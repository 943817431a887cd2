// What the aggregator routes need, handed in by the composition root.
import type { BlobObjectInfo, BlobObjectSource } from '../network/blob-objects.ts';
import type { Consistency } from '../read/blob-reader.ts';
import type { BlobSource } from '../read/blob-source.ts';
import { failure, type ReadFailure } from '../read/read-errors.ts';
import type { ActiveContentPolicy } from './blob-responder.ts';
import type { Representations } from './representations.ts';

export interface AggregatorDeps {
  /** The read stack (blocked → quilt patches → negative → cached → single-flight → limited → nodes). */
  blobs: BlobSource;
  objects?: BlobObjectSource;
  activeContent: ActiveContentPolicy;
  /** Blob attributes (by-object-id) that become response headers, lower-case. */
  attributeHeaders: readonly string[];
  /** Content types sniffed so far, by blob or patch ID (bounded). */
  sniffedTypes?: { get(etag: string): string | undefined; set(etag: string, type: string): unknown };
  /** Image variants and compressed copies (src/media/); absent = the stored bytes only. */
  representations?: Representations;
}

/**
 * A blob object from the chain (undefined: no such object), or `unavailable` when the chain cannot be
 * asked right now — its error names the endpoint — so a chain outage is a 503, never a 500.
 */
export async function lookupObject(
  objects: BlobObjectSource,
  objectId: string,
  signal: AbortSignal,
): Promise<BlobObjectInfo | undefined | ReadFailure> {
  try {
    return await objects.get(objectId, signal);
  } catch (error) {
    return failure('unavailable', `the blob object could not be looked up: ${(error as Error).message}`);
  }
}

export type ConsistencyChoice = { ok: true; consistency: Consistency } | { ok: false; message: string };

/** The official query flags; both at once is the one invalid combination (400). */
export function consistencyFrom(strict: string | undefined, skip: string | undefined): ConsistencyChoice {
  const flag = (value: string | undefined, name: string): boolean | string => {
    if (value === undefined || value === '' || value === 'false' || value === '0') return false;
    if (value === 'true' || value === '1') return true;
    return `${name} must be true or false`;
  };
  const s = flag(strict, 'strict_consistency_check');
  const k = flag(skip, 'skip_consistency_check');
  if (typeof s === 'string') return { ok: false, message: s };
  if (typeof k === 'string') return { ok: false, message: k };
  if (s && k)
    return { ok: false, message: 'strict_consistency_check and skip_consistency_check exclude each other' };
  return { ok: true, consistency: s ? 'strict' : k ? 'skip' : 'default' };
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** by-object-id: the object may be deleted or expire, so caches must come back soon. */
export const REVALIDATE = 'public, max-age=30, must-revalidate';
export const DEFAULT_ATTRIBUTE_HEADERS = [
  'content-type',
  'content-disposition',
  'content-encoding',
  'content-language',
  'link',
  'x-robots-tag',
] as const;
