// The image options of a read (`?w=&h=&fit=&format=&q=&dpr=`), parsed and made canonical. Sizes and
// qualities snap to the operator's allow-lists and dpr is capped, so however clients spell their
// requests only a bounded set of variants can exist per image — each one a cache entry, and each first
// request a transform. What cannot be met (`w=0`, `fit=sideways`, `q=abc`) is a message for a 400.

export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
export type Fit = (typeof FITS)[number];
/** Output formats a client may name; `auto` picks from Accept, `json` answers the image's metadata. */
export const FORMATS = ['auto', 'webp', 'avif', 'jpeg', 'png', 'json'] as const;
export type AskedFormat = (typeof FORMATS)[number];
export type OutputFormat = 'webp' | 'avif' | 'jpeg' | 'png' | 'gif';

export interface ImageLimits {
  /** Allowed widths and heights in pixels, ascending. */
  sizes: readonly number[];
  /** Allowed qualities (1–100), ascending. */
  qualities: readonly number[];
  maxDpr: number;
}

export interface ImageOptions {
  /** Target box after dpr and snapping; undefined = the image's own. */
  width?: number;
  height?: number;
  fit: Fit;
  format?: AskedFormat;
  quality?: number;
}

/** The query names this parser owns; any one of them present means a transform is asked for. */
const NAMES = ['w', 'h', 'fit', 'format', 'q', 'dpr'] as const;

export function parseImageOptions(
  query: Record<string, string>,
  limits: ImageLimits,
): ImageOptions | undefined | { invalid: string } {
  if (!NAMES.some((name) => query[name] !== undefined)) return undefined;
  const dpr = query.dpr === undefined ? 1 : Number(query.dpr);
  if (!Number.isFinite(dpr) || dpr <= 0) return { invalid: 'dpr must be a number greater than 0' };
  const scale = Math.min(dpr, limits.maxDpr);

  const size = (name: 'w' | 'h'): number | undefined | { invalid: string } => {
    const raw = query[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      return { invalid: `${name} must be a whole number of pixels greater than 0` };
    return snapUp(Math.round(value * scale), limits.sizes);
  };
  const width = size('w');
  if (typeof width === 'object') return width;
  const height = size('h');
  if (typeof height === 'object') return height;

  const fit = query.fit ?? 'inside';
  if (!(FITS as readonly string[]).includes(fit)) return { invalid: `fit must be one of ${FITS.join(', ')}` };
  const format = query.format || undefined;
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format))
    return { invalid: `format must be one of ${FORMATS.join(', ')}` };

  let quality: number | undefined;
  if (query.q !== undefined && query.q !== '') {
    const q = Number(query.q);
    if (!Number.isInteger(q) || q < 1 || q > 100)
      return { invalid: 'q must be a whole number from 1 to 100' };
    quality = snapNearest(q, limits.qualities);
  }
  return {
    width,
    height,
    // Without both sides there is no box to fit into: every fit gives the same image.
    fit: width !== undefined && height !== undefined ? (fit as Fit) : 'inside',
    format: format as AskedFormat | undefined,
    quality,
  };
}

/** A query string's parameters when all are image options (the first value of each), else undefined. */
export function imageOnlyQuery(search: string): Record<string, string> | undefined {
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (!(NAMES as readonly string[]).includes(name)) return undefined;
    query[name] ??= value;
  }
  return query;
}

/** The smallest allowed size at least `value`, or the largest allowed. */
function snapUp(value: number, allowed: readonly number[]): number {
  return allowed.find((size) => size >= value) ?? allowed[allowed.length - 1]!;
}

function snapNearest(value: number, allowed: readonly number[]): number {
  return allowed.reduce((best, q) => (Math.abs(q - value) < Math.abs(best - value) ? q : best));
}

/** The part of a variant's cache key and ETag the options make: stable, and safe inside an ETag. */
export function canonicalImageKey(options: ImageOptions, output: OutputFormat | 'json' | 'same'): string {
  if (output === 'json') return 'meta.json';
  return [
    `w${options.width ?? 0}`,
    `h${options.height ?? 0}`,
    options.fit,
    `q${options.quality ?? 0}`,
    output,
  ].join('.');
}

/** Parses a comma-separated list of positive whole numbers, ascending (a setting's value). */
export function numberList(text: string): number[] {
  return text
    .split(',')
    .map((part) => Number(part.trim()))
    .sort((a, b) => a - b);
}
