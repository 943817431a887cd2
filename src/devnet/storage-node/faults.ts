// Misbehaviour on request (DESIGN §4), so tests can prove readers and writers survive byzantine, slow
// and flaky nodes.
import { z } from 'zod';

export const FaultSchema = z.object({
  mode: z.enum([
    'ok',
    'down',
    'slow',
    // Only sliver reads (GET .../slivers/P/T) wait delayMs: metadata answers at once.
    'slow-slivers',
    // Only blob status reads (GET .../blobs/ID/status: how long a blob lives) wait delayMs.
    'slow-status',
    'corrupt-slivers',
    'corrupt-metadata',
    'blocked',
    // Stores metadata and slivers, but a confirmation request hangs until the client gives up.
    'no-confirm',
    // Signs confirmations with a key that is not the node's: valid BLS, wrong signer (byzantine).
    'corrupt-confirmation',
    // Each route answers 503 to its first `count` requests after the fault is set, then works.
    'flaky',
  ]),
  delayMs: z.number().int().min(0).max(600_000).default(2000),
  /** `flaky`: how many requests of each route fail before it works. */
  count: z.number().int().min(0).max(1_000_000).default(3),
});

export type Fault = z.infer<typeof FaultSchema>;

/** Valid BCS, wrong bytes: flips every byte of the sliver's symbol data (the BCS framing stays intact). */
export function corruptSliver(bcsSliver: Uint8Array): Uint8Array {
  const copy = bcsSliver.slice();
  // Framing: ULEB128 data length ‖ data ‖ u16 symbol size ‖ u16 index.
  let offset = 0;
  while ((copy[offset]! & 0x80) !== 0) offset++;
  offset++;
  for (let i = offset; i < copy.length - 4; i++) copy[i]! ^= 0xa5;
  return copy;
}

/**
 * Valid BCS BlobMetadataWithId, wrong hashes: flips the bytes of every digest, so the metadata no longer
 * derives to the blob ID it is served for.
 */
export function corruptMetadata(metadataWithId: Uint8Array): Uint8Array {
  const copy = metadataWithId.slice();
  // 32 id ‖ 1 version ‖ 1 encoding ‖ 8 length ‖ ULEB n ‖ n × (tag ‖ 32 ‖ tag ‖ 32)
  let offset = 42;
  while ((copy[offset]! & 0x80) !== 0) offset++;
  offset++;
  for (let i = offset; i < copy.length; i++) {
    const withinNode = (i - offset) % 33;
    if (withinNode !== 0) copy[i]! ^= 0x5a;
  }
  return copy;
}
