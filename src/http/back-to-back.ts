// One body made of several streams sent back to back, each opened only when the one before it is done
// (so concatenating many blobs, or the parts of a multipart answer, holds one of them at a time). A part
// that cannot be opened breaks the body: by then the status line has long been sent.
import { isFailure } from '../read/blob-source.ts';
import type { ReadFailure } from '../read/read-errors.ts';

export type PartOpener = () => Promise<ReadableStream<Uint8Array> | ReadFailure>;

export function backToBack(parts: readonly PartOpener[]): ReadableStream<Uint8Array> {
  let index = 0;
  let current: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (!current) {
          if (index === parts.length) return controller.close();
          const part = await parts[index]!();
          if (isFailure(part)) return controller.error(new Error(part.message));
          current = part.getReader();
        }
        const { value, done } = await current.read();
        if (!done) return controller.enqueue(value);
        current = undefined;
        index++;
      }
    },
    cancel: (reason) => current?.cancel(reason),
  });
}
