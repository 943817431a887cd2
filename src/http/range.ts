// Range requests (RFC 9110 §14): single, open-ended (`bytes=0-`, what every <video> sends first),
// suffix (`bytes=-500`) and multiple ranges. A malformed header or another unit is ignored (the whole
// body is sent, as the RFC says); a well-formed header none of whose ranges fits is unsatisfiable (416).

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export type RangeDecision =
  { kind: 'whole' } | { kind: 'unsatisfiable' } | { kind: 'ranges'; ranges: ByteRange[] };

/** More ranges than this are not worth honouring (and are a classic amplification trick). */
export const MAX_RANGES = 16;

/**
 * The Range header to honour: none when an If-Range names another version than `quotedEtag`, so the
 * whole current body is sent (RFC 9110 §13.1.5).
 */
export function rangeUnlessStale(
  range: string | undefined,
  ifRange: string | undefined,
  quotedEtag: string,
): string | undefined {
  return ifRange === undefined || ifRange.trim() === quotedEtag ? range : undefined;
}

export function decideRange(header: string | undefined | null, size: number): RangeDecision {
  if (!header) return { kind: 'whole' };
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!match) return { kind: 'whole' };
  const specs = match[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (specs.length === 0 || specs.length > MAX_RANGES) return { kind: 'whole' };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const parts = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!parts) return { kind: 'whole' };
    const [, first, last] = parts as unknown as [string, string, string];
    if (first === '' && last === '') return { kind: 'whole' };
    if (first === '') {
      // Suffix: the last N bytes.
      const length = Number(last);
      if (length > 0 && size > 0) ranges.push({ start: Math.max(0, size - length), end: size });
      continue;
    }
    const start = Number(first);
    const endInclusive = last === '' ? Infinity : Number(last);
    if (endInclusive < start) return { kind: 'whole' };
    if (start < size) ranges.push({ start, end: Math.min(size, endInclusive + 1) });
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  return { kind: 'ranges', ranges: coalesce(ranges) };
}

/** Merges overlapping or touching ranges (RFC 9110 lets a server do so), keeping ascending order. */
function coalesce(ranges: ByteRange[]): ByteRange[] {
  if (ranges.length === 1) return ranges;
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [{ ...sorted[0]! }];
  for (const range of sorted.slice(1)) {
    const last = merged.at(-1)!;
    if (range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end - 1}/${size}`;
}
