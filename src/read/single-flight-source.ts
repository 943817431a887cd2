// N concurrent opens of one blob → one metadata fetch: every request that arrives while a blob is being
// opened shares that open's handle (and so its verified metadata). A requester that leaves does not
// cancel the open for the others (SingleFlight). Concurrent whole-blob reads are shared one level up,
// by the cache's fills, which also keep the bytes.
import type { BlobHandle, BlobSource } from './blob-source.ts';
import { failure, type ReadFailure } from './read-errors.ts';
import { SingleFlight } from './single-flight.ts';

/** `joined`: told of each open that shares one already in flight (metrics). */
export function singleFlightSource(inner: BlobSource, observer: { joined?: () => void } = {}): BlobSource {
  const flights = new SingleFlight<BlobHandle | ReadFailure>({ joined: observer.joined });
  return {
    async open(request) {
      const { target, consistency } = request;
      if (target.kind !== 'blob') return inner.open(request);
      try {
        return await flights.run(
          `${consistency}:${target.blobId}`,
          (signal) => inner.open({ ...request, signal }),
          request.signal,
        );
      } catch {
        return failure('unavailable', 'the request was cancelled');
      }
    },
  };
}
