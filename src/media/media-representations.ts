// What a read may get instead of the stored bytes (src/http/representations.ts): an image variant made
// with sharp, or a brotli/gzip copy of a compressible body. Each is made once — concurrent requests for
// the same variant wait for one making (single-flight, within the process and, through the cache's claims,
// across the host's workers and the edges sharing Redis) — and kept in the blob cache's tiers under its
// own key, which is also its strong ETag. Whatever cannot be made (a broken image, an animation in
// passthrough mode, a copy no smaller than the original) is served as stored with a header saying so,
// and remembered, so it is not tried on every request.
import { LRUCache } from 'lru-cache';
import { variantKey, type BlobCache } from '../cache/blob-cache.ts';
import { OCTET_STREAM, sniffContentType } from '../http/content-type.ts';
import type {
  EncodedCopy,
  KeptVariant,
  Representation,
  RepresentationRequest,
  Representations,
  StoredBody,
} from '../http/representations.ts';
import { ageSeconds } from '../cache/memory-tier.ts';
import { isFailure, type BytesOrigin } from '../read/blob-source.ts';
import type { Compressor } from './compressor.ts';
import {
  canonicalImageKey,
  imageOnlyQuery,
  parseImageOptions,
  type ImageLimits,
  type ImageOptions,
  type OutputFormat,
} from './image-options.ts';
import type { ImageTransformer } from './image-transformer.ts';
import type { MediaObserver } from './media-metrics.ts';
import { baseType, isCompressible, isRasterImage, isSupercompressedKtx2 } from './media-types.ts';
import { autoFormat, chooseEncoding, type Encoding } from './negotiation.ts';

export interface MediaOptions {
  /** Where variants are kept (memory, then the shared tiers); absent = made for every request. */
  cache?: BlobCache;
  images?: {
    limits: ImageLimits;
    transformer: ImageTransformer;
    /** Larger stored images are served as stored (with a fallback header), never read for a transform. */
    maxInputBytes: number;
  };
  compression?: {
    compress: Compressor;
    /** Bodies smaller than this are sent as stored: the saving would not pay for the work. */
    minBytes: number;
    /** Larger ones too: a copy is made in memory, whole. */
    maxBytes: number;
  };
  observer?: MediaObserver;
}

/** The header that says an image request got the stored bytes, and why. */
export const FALLBACK_HEADER = 'x-image-fallback';
/** Query strings of the fast path remembered, parsed, and the variant keys remembered for each. */
const SEARCHES = 1_000;
const KEYS_PER_SEARCH = 64;
/** How long a made variant is kept at most (each tier may drop it sooner for room). */
const VARIANT_TTL_MS = 7 * 24 * 3600 * 1000;

type Made =
  | { kind: 'bytes'; bytes: Uint8Array; storedAt: number; origin: BytesOrigin }
  | { kind: 'stored'; reason: string }
  | Exclude<Representation, { kind: 'stored' } | { kind: 'variant' }>;

export function mediaRepresentations(options: MediaOptions): Representations {
  const { cache, images, compression, observer } = options;
  const running = new Map<string, Promise<Made>>();
  /** Variants that are served as stored, by key, with the reason (a broken image, no saving). */
  const asStored = new LRUCache<string, string>({ max: 100_000 });
  /** Query strings of the fast path, parsed once each: the image options they hold, or null. */
  // With the variant's name too, unless it depends on Accept (format=auto).
  interface ParsedSearch {
    asked: ImageOptions | null;
    fixed?: {
      canonical: string;
      format: string;
      /** Variant keys by body ETag, so a hit builds no string (at most KEYS_PER_SEARCH, then cleared). */
      keys: Map<string, string>;
    };
  }
  /** The fast path's counters of cached variants and copies, by format or encoding (a few each). */
  const cachedVariant = oncePerKey((format) => observer?.transformSeries('cached', format));
  const cachedCopy = oncePerKey((encoding) => observer?.compressionSeries('cached', encoding));
  // Bounded in all: SEARCHES × KEYS_PER_SEARCH keys of ~100 bytes, a few MiB at most.
  const searches = new LRUCache<string, ParsedSearch>({ max: SEARCHES });
  const parsedSearch = (search: string): ParsedSearch => {
    let parsed = searches.get(search);
    if (!parsed) {
      const query = imageOnlyQuery(search);
      const options = query && parse(query);
      const asked = options && !('invalid' in options) ? options : null;
      parsed = { asked };
      if (asked && asked.format !== 'auto') {
        const format =
          asked.format === 'json' ? 'json' : ((asked.format as OutputFormat | undefined) ?? 'same');
        parsed.fixed = { canonical: canonicalImageKey(asked, format), format, keys: new Map() };
      }
      searches.set(search, parsed);
    }
    return parsed;
  };
  /** Variants' types, sniffed once per kept entry (the fast path). */
  const variantTypes = new WeakMap<object, string>();

  /** One making per key at a time; later askers share its outcome. */
  const once = (key: string, make: () => Promise<Made>): Promise<Made> => {
    const inFlight = running.get(key);
    if (inFlight) return inFlight;
    const made = make().finally(() => running.delete(key));
    running.set(key, made);
    return made;
  };

  /**
   * The variant under `key` from a cache tier, or made (once) from the body's bytes and kept;
   * `madeHere` tells the request that made it from those that found it or waited for it.
   */
  const variant = async (
    key: string,
    body: StoredBody,
    make: (bytes: Uint8Array) => Promise<Made>,
  ): Promise<{ made: Made; madeHere: boolean }> => {
    const remembered = asStored.get(key);
    if (remembered !== undefined) return { made: { kind: 'stored', reason: remembered }, madeHere: false };
    const cached = await cache?.variant(key);
    if (cached) {
      const { bytes, storedAt } = cached.blob;
      return { made: { kind: 'bytes', bytes, storedAt, origin: cached.tier }, madeHere: false };
    }
    let madeHere = false;
    const makeNow = async (): Promise<Made> => {
      madeHere = true;
      const bytes = await body.bytes();
      if (isFailure(bytes)) return { kind: 'failed', failure: bytes };
      return make(bytes);
    };
    const made = await once(key, async () => {
      if (!cache) return makeNow();
      // Once per host and across the edges sharing Redis, too: another process may be making it.
      const shared = await cache.variantOnce<Made>(key, async () => {
        const made = await makeNow();
        if (made.kind !== 'bytes') return { outcome: made };
        const expiresAt = made.storedAt + VARIANT_TTL_MS;
        return { outcome: made, keep: { bytes: made.bytes, storedAt: made.storedAt, expiresAt } };
      });
      if ('landed' in shared) {
        const { bytes, storedAt } = shared.landed;
        return { kind: 'bytes', bytes, storedAt, origin: 'MISS' };
      }
      if (shared.made.kind === 'stored') asStored.set(key, shared.made.reason);
      return shared.made;
    });
    return { made, madeHere };
  };

  const parse = (query: Record<string, string>) =>
    images ? parseImageOptions(query, images.limits) : undefined;

  const chooseImage = async (
    request: RepresentationRequest,
    body: StoredBody,
    asked: ImageOptions,
  ): Promise<Representation> => {
    const { transformer, maxInputBytes } = images!;
    const headers: Record<string, string> = asked.format === 'auto' ? { vary: 'Accept' } : {};
    const json = asked.format === 'json';
    if (!isRasterImage(body.contentType)) {
      if (json)
        return refused(400, 'NOT_AN_IMAGE', `the body is ${baseType(body.contentType)}, not a raster image`);
      // SVG and everything else: never rasterized, served as they are.
      observer?.transform('fallback', 'none');
      return stored({ ...headers, [FALLBACK_HEADER]: 'not-a-raster-image' });
    }
    if (body.size > maxInputBytes) {
      observer?.transform('fallback', 'none');
      return stored({ ...headers, [FALLBACK_HEADER]: `input-larger-than-${maxInputBytes}-bytes` });
    }
    const { key, output } = imageVariantKey(body.etag, asked, request.accept);
    const started = performance.now();
    const { made, madeHere } = await variant(key, body, async (bytes) => {
      const storedAt = Date.now();
      if (json) {
        const facts = await transformer.facts(bytes);
        if ('failed' in facts) return { kind: 'stored', reason: 'unreadable-image' };
        return {
          kind: 'bytes',
          bytes: new TextEncoder().encode(JSON.stringify(facts)),
          storedAt,
          origin: 'MISS',
        };
      }
      const outcome = await transformer.transform(bytes, asked, output);
      switch (outcome.kind) {
        case 'image':
          return { kind: 'bytes', bytes: outcome.bytes, storedAt, origin: 'MISS' };
        case 'unchanged':
          return { kind: 'stored', reason: outcome.reason };
        case 'failed':
          return { kind: 'stored', reason: 'transform-failed' };
        case 'refused':
          return refused(400, 'IMAGE_TOO_LARGE', outcome.message);
        case 'busy':
          return refused(429, 'TOO_MANY_TRANSFORMS', 'the image transform queue is full; try again shortly', {
            'retry-after': '1',
          });
      }
    });
    const format = json ? 'json' : (output ?? 'same');
    switch (made.kind) {
      case 'bytes': {
        observer?.transform(
          madeHere ? 'made' : 'cached',
          format,
          madeHere ? (performance.now() - started) / 1000 : undefined,
        );
        const contentType = json
          ? 'application/json'
          : (sniffContentType(made.bytes.subarray(0, 64)) ?? OCTET_STREAM);
        return variantOf(made, key, contentType, headers);
      }
      case 'stored':
        observer?.transform('fallback', format);
        return stored({ ...headers, [FALLBACK_HEADER]: made.reason });
      case 'refused':
        observer?.transform(made.status === 429 ? 'busy' : 'refused', format);
        return made;
      case 'failed':
        return made;
    }
  };

  const chooseCoding = async (request: RepresentationRequest, body: StoredBody): Promise<Representation> => {
    if (!compression || !isCompressible(body.contentType)) return stored({});
    const vary = { vary: 'Accept-Encoding' };
    const encoding = chooseEncoding(request.acceptEncoding);
    if (request.ranged || !encoding || body.size < compression.minBytes || body.size > compression.maxBytes)
      return stored(vary);
    const key = variantKey(body.etag, encoding);
    const started = performance.now();
    const { made, madeHere } = await variant(key, body, async (bytes) => {
      if (isSupercompressedKtx2(bytes)) return { kind: 'stored', reason: 'compressed already' };
      const out = await compression.compress(bytes, encoding, isText(body.contentType));
      observer?.compression('made', encoding, bytes.length, out.length, (performance.now() - started) / 1000);
      // A copy that saves under 5 % is not worth a variant, nor the client's decoding.
      if (out.length > bytes.length * 0.95) return { kind: 'stored', reason: 'not smaller' };
      return { kind: 'bytes', bytes: out, storedAt: Date.now(), origin: 'MISS' };
    });
    if (made.kind === 'bytes') {
      if (!madeHere) observer?.compression('cached', encoding);
      return variantOf(made, key, body.contentType, { ...vary, 'content-encoding': encoding });
    }
    if (made.kind === 'stored') {
      if (!madeHere) observer?.compression('not-smaller', encoding);
      return stored(vary);
    }
    return made;
  };

  return {
    check(query) {
      const parsed = parse(query);
      if (parsed && 'invalid' in parsed) return parsed;
      return { transform: parsed !== undefined };
    },
    varyFor: (contentType) => (compression && isCompressible(contentType) ? 'Accept-Encoding' : undefined),
    async choose(request, body) {
      const asked = parse(request.query);
      if (asked && !('invalid' in asked)) return chooseImage(request, body, asked);
      return chooseCoding(request, body);
    },
    variantInMemory(etag, contentType, search, accept): KeptVariant | undefined {
      if (!isRasterImage(contentType)) return undefined;
      const { asked, fixed } = parsedSearch(search);
      if (!asked) return undefined;
      let key: string;
      let format: string;
      if (fixed) {
        let known = fixed.keys.get(etag);
        if (known === undefined) {
          if (fixed.keys.size >= KEYS_PER_SEARCH) fixed.keys.clear();
          fixed.keys.set(etag, (known = variantKey(etag, fixed.canonical)));
        }
        key = known;
        format = fixed.format;
      } else {
        const chosen = imageVariantKey(etag, asked, accept);
        key = chosen.key;
        format = chosen.output ?? 'same';
      }
      const blob = cache?.variantInMemory(key);
      if (!blob) return undefined;
      let type = variantTypes.get(blob);
      if (type === undefined) {
        type =
          asked.format === 'json'
            ? 'application/json'
            : (sniffContentType(blob.bytes.subarray(0, 64)) ?? OCTET_STREAM);
        variantTypes.set(blob, type);
      }
      cachedVariant(format)?.inc();
      return { blob, etag: key, contentType: type, vary: asked.format === 'auto' ? 'Accept' : undefined };
    },
    encodedInMemory(etag, contentType, size, acceptEncoding): EncodedCopy | 'stored' | undefined {
      if (!compression || !isCompressible(contentType)) return 'stored';
      const encoding: Encoding | undefined = chooseEncoding(acceptEncoding);
      if (!encoding || size < compression.minBytes || size > compression.maxBytes) return 'stored';
      const key = variantKey(etag, encoding);
      if (asStored.has(key)) return 'stored';
      const blob = cache?.variantInMemory(key);
      if (!blob) return undefined;
      cachedCopy(encoding)?.inc();
      return { bytes: blob.bytes, etag: key, encoding, storedAt: blob.storedAt };
    },
  };
}

/** The output format the options and Accept pick (undefined: the image's own), and the variant's key. */
function imageVariantKey(
  etag: string,
  asked: ImageOptions,
  accept: string | undefined,
): { key: string; output: OutputFormat | undefined } {
  const json = asked.format === 'json';
  const output =
    asked.format === 'auto'
      ? autoFormat(accept)
      : json
        ? undefined
        : (asked.format as OutputFormat | undefined);
  return { key: variantKey(etag, canonicalImageKey(asked, json ? 'json' : (output ?? 'same'))), output };
}

/** `make`'s value for each key, made on its first call (for a handful of keys: nothing is dropped). */
function oncePerKey<V>(make: (key: string) => V): (key: string) => V {
  const made = new Map<string, V>();
  return (key) => {
    if (!made.has(key)) made.set(key, make(key));
    return made.get(key)!;
  };
}

function stored(headers: Record<string, string>): Representation {
  return { kind: 'stored', headers };
}

function refused(
  status: 400 | 429,
  reason: string,
  message: string,
  headers?: Record<string, string>,
): Extract<Representation, { kind: 'refused' }> {
  return { kind: 'refused', status, reason, message, headers };
}

function variantOf(
  made: Extract<Made, { kind: 'bytes' }>,
  key: string,
  contentType: string,
  headers: Record<string, string>,
): Representation {
  return {
    kind: 'variant',
    bytes: made.bytes,
    etag: key,
    contentType,
    headers,
    origin: made.origin,
    ageSeconds: ageSeconds({ bytes: made.bytes, storedAt: made.storedAt }),
  };
}

/** Brotli's text mode helps UTF-8 bodies. */
function isText(contentType: string): boolean {
  const base = baseType(contentType);
  return (
    base.startsWith('text/') || base.includes('json') || base.includes('xml') || base.includes('javascript')
  );
}
