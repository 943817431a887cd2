// The bottom of the read stack: blobs rebuilt from the storage nodes by the BlobReader (verified
// metadata, then the slivers a read needs). Quilt patches are resolved above it, as reads of their
// quilt's columns, so this layer only ever sees blob targets.
import { readAllBytes } from '../protocol/bytes.ts';
import { sliverLengths } from '../protocol/encoding.ts';
import type { BlobReader } from './blob-reader.ts';
import type { BlobSource } from './blob-source.ts';
import { failure } from './read-errors.ts';

export function reconstructingSource(reader: BlobReader): BlobSource {
  return {
    async open({ target, consistency, signal }) {
      if (target.kind !== 'blob')
        return failure('not-found', 'quilt patches are resolved above the reconstructor');
      const meta = await reader.metadata(target.blobId, signal);
      if (meta.kind !== 'ok') return meta;
      const n = meta.committee.nShards;
      const firstRowBytes = Math.min(meta.size, sliverLengths(meta.size, n).primary);
      return {
        blobId: meta.blobId,
        size: meta.size,
        origin: 'MISS',
        ageSeconds: 0,
        nShards: n,
        firstRowBytes,
        async prefix(length, prefixSignal) {
          const end = Math.min(length, firstRowBytes);
          const result = await reader.stream(meta, {
            start: 0,
            end,
            signal: prefixSignal,
            consistency: 'skip',
          });
          return result.kind === 'ok' ? readAllBytes(result.body) : result;
        },
        async read(span, readSignal) {
          const start = span?.start ?? 0;
          const end = span?.end ?? meta.size;
          // A partial read checks only the slivers it fetches (as the official aggregator documents);
          // the consistency check is a property of the whole blob.
          const whole = start === 0 && end === meta.size;
          const result = await reader.stream(meta, {
            start,
            end,
            signal: readSignal,
            consistency: whole ? consistency : 'skip',
          });
          return result.kind === 'ok' ? result.body : result;
        },
        columns: (from, to, columnSignal) => reader.columns(meta, from, to, columnSignal),
      };
    },
  };
}
