// The seam between the read routes and what a request may ask of a body beyond its stored bytes: an
// image variant (`?w=&h=&fit=&format=&q=&dpr=`) or a compressed copy (Accept-Encoding). The routes
// and the fast path speak this interface; src/media/ implements it with sharp and zlib, which the
// Web-standard core must not load, and the composition root wires it in.
import type { BytesOrigin } from '../read/blob-source.ts';
import type { ReadFailure } from '../read/read-errors.ts';

/** The request's part in the choice. */
export interface RepresentationRequest {
  query: Record<string, string>;
  accept: string | undefined;
  acceptEncoding: string | undefined;
  /** A Range header was sent: ranges are served from the bytes as stored, never compressed. */
  ranged: boolean;
}

/** The body as stored, and a way to have all of it (read through the cache tiers). */
export interface StoredBody {
  /** Unquoted: the blob or patch ID. */
  etag: string;
  contentType: string;
  size: number;
  bytes(): Promise<Uint8Array | ReadFailure>;
}

export type Representation =
  /** The stored bytes, with headers that say why or what they vary on (Vary, a fallback reason). */
  | { kind: 'stored'; headers: Record<string, string> }
  /** Other bytes: a variant with its own strong ETag (unquoted), type and headers (Content-Encoding, Vary). */
  | {
      kind: 'variant';
      bytes: Uint8Array;
      etag: string;
      contentType: string;
      headers: Record<string, string>;
      origin: BytesOrigin;
      ageSeconds: number;
    }
  /** Nothing to serve: a 4xx the request earned (limits), with its AIP-193 reason. */
  | {
      kind: 'refused';
      status: 400 | 413 | 429;
      reason: string;
      message: string;
      headers?: Record<string, string>;
    }
  | { kind: 'failed'; failure: ReadFailure };

/** A compressed copy the fast path may send, as kept in memory. */
export interface EncodedCopy {
  bytes: Uint8Array;
  /** Unquoted. */
  etag: string;
  encoding: string;
  storedAt: number;
}

/** An image variant the fast path may send, as kept in memory (the same object while it is kept). */
export interface KeptVariant {
  blob: { bytes: Uint8Array; storedAt: number };
  /** Unquoted. */
  etag: string;
  contentType: string;
  vary: string | undefined;
}

export interface Representations {
  /**
   * Checks the request's own options before anything is read: a message for a 400 when they cannot
   * be met (`w=0`, `fit=sideways`), else whether a transform is asked for at all.
   */
  check(query: Record<string, string>): { transform: boolean } | { invalid: string };
  /** The Vary header a body of this type needs for requests without transform options, if any. */
  varyFor(contentType: string): string | undefined;
  choose(request: RepresentationRequest, body: StoredBody): Promise<Representation>;
  /**
   * For the fast path, synchronously: the compressed copy in memory this request should get, `stored`
   * when it should get the stored bytes, or undefined when only the app can tell (nothing kept yet).
   */
  encodedInMemory(
    etag: string,
    contentType: string,
    size: number,
    acceptEncoding: string | undefined,
  ): EncodedCopy | 'stored' | undefined;
  /**
   * For the fast path, synchronously: the image variant in memory that a query string (without its
   * `?`) and Accept name, or undefined when only the app can tell (other parameters than image
   * options, not made yet, served as stored, not an image).
   */
  variantInMemory(
    etag: string,
    contentType: string,
    search: string,
    accept: string | undefined,
  ): KeptVariant | undefined;
}
