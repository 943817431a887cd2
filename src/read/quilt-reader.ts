// Quilt patches (DESIGN §2): a quilt is one blob whose matrix holds many small files column by column.
// Columns 0.. hold the index (u8 version ‖ u32 LE length ‖ BCS QuiltIndexV1); each patch occupies
// consecutive columns: header (u8 version ‖ u32 LE length ‖ u8 mask) ‖ u16 LE identifier size ‖ BCS
// identifier ‖ [u16 LE tags size ‖ BCS tags] ‖ contents. Reading a patch fetches only its columns.
import { bcs } from '@mysten/bcs';
import { QuiltIndexV1 } from '../protocol/bcs.ts';
import { concatBytes } from '../protocol/bytes.ts';
import { formatQuiltPatchId, parseQuiltPatchId } from '../protocol/quilt-id.ts';
import { encodingParams, sliverLengths } from '../protocol/encoding.ts';
import { InvalidIdError, formatBlobId, parseBlobId } from '../protocol/blob-id.ts';
import type { BlobHandle, BlobSource, BytesOrigin } from './blob-source.ts';
import { failure, type ReadFailure } from './read-errors.ts';

const INDEX_PREFIX = 5;
const PATCH_HEADER = 6;
const HAS_TAGS = 1;
/** The official layout never spends more than this many columns on the index. */
const MAX_INDEX_COLUMNS = 10;

export interface QuiltPatchInfo {
  patchId: string;
  identifier: string;
  tags: Record<string, string>;
  startIndex: number;
  endIndex: number;
}

export interface QuiltPatch {
  quiltId: string;
  /** The quilt's shard count (its matrix layout). */
  nShards: number;
  patchId: string;
  identifier: string;
  tags: Record<string, string>;
  contents: Uint8Array;
  /** Where the quilt's bytes came from (X-Cache), and how long they have been there (Age, seconds). */
  source: BytesOrigin;
  age: number;
}

/** Opens a quilt as a blob: through the read stack (cached or from the storage nodes). */
export type QuiltOpener = (quiltId: string, signal: AbortSignal) => Promise<BlobHandle | ReadFailure>;

/** The stack's blob reads, as a quilt opener (quilts are read with the default consistency). */
export function quiltOpener(source: BlobSource): QuiltOpener {
  return (quiltId, signal) =>
    source.open({ target: { kind: 'blob', blobId: quiltId }, consistency: 'default', signal });
}

const NEVER_ABORTED = new AbortController().signal;

export class QuiltReader {
  readonly #open: QuiltOpener;

  constructor(open: QuiltOpener) {
    this.#open = open;
  }

  /** The quilt's patches, from its index columns only. */
  async patches(
    quiltId: string,
    signal: AbortSignal = NEVER_ABORTED,
  ): Promise<QuiltPatchInfo[] | ReadFailure> {
    const quilt = await this.#open(quiltId, signal);
    if ('kind' in quilt) return quilt;
    return this.#index(quilt, signal);
  }

  async patchById(patchId: string, signal: AbortSignal = NEVER_ABORTED): Promise<QuiltPatch | ReadFailure> {
    let parsed;
    try {
      parsed = parseQuiltPatchId(patchId);
    } catch (error) {
      if (error instanceof InvalidIdError) return failure('not-found', error.message);
      throw error;
    }
    const quilt = await this.#open(formatBlobId(parsed.quiltId), signal);
    if ('kind' in quilt) return quilt;
    // The patch ID must name a patch of the quilt's index: a forged one could point at the index
    // columns themselves. Index and patch columns are fetched side by side.
    const [index, patch] = await Promise.all([
      this.#index(quilt, signal),
      this.#patch(quilt, parsed.startIndex, parsed.endIndex, patchId, signal),
    ]);
    if (!Array.isArray(index)) return index;
    if (!index.some((p) => p.startIndex === parsed.startIndex && p.endIndex === parsed.endIndex)) {
      return failure('not-found', 'the quilt has no patch with those columns');
    }
    return patch;
  }

  async patchByIdentifier(
    quiltId: string,
    identifier: string,
    signal: AbortSignal = NEVER_ABORTED,
  ): Promise<QuiltPatch | ReadFailure> {
    const quilt = await this.#open(quiltId, signal);
    if ('kind' in quilt) return quilt;
    const index = await this.#index(quilt, signal);
    if (!Array.isArray(index)) return index;
    const entry = index.find((p) => p.identifier === identifier);
    if (!entry) return failure('not-found', `the quilt has no patch named ${JSON.stringify(identifier)}`);
    return this.#patch(quilt, entry.startIndex, entry.endIndex, entry.patchId, signal);
  }

  async #index(quilt: BlobHandle, signal: AbortSignal): Promise<QuiltPatchInfo[] | ReadFailure> {
    const columnBytes = sliverLengths(quilt.size, quilt.nShards).secondary;
    const first = await quilt.columns(0, 1, signal);
    if (!Array.isArray(first)) return first;
    const head = first[0]!;
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (head.length < INDEX_PREFIX || view.getUint8(0) !== 1) return notAQuilt();
    const indexLength = view.getUint32(1, true);
    const columns = Math.ceil((INDEX_PREFIX + indexLength) / columnBytes);
    if (columns > MAX_INDEX_COLUMNS || columns > encodingParams(quilt.nShards).secondarySymbols)
      return notAQuilt();
    let bytes = head;
    if (columns > 1) {
      const rest = await quilt.columns(1, columns, signal);
      if (!Array.isArray(rest)) return rest;
      bytes = concatBytes([head, ...rest]);
    }
    let index;
    try {
      index = QuiltIndexV1.parse(bytes.subarray(INDEX_PREFIX, INDEX_PREFIX + indexLength));
    } catch {
      return notAQuilt();
    }
    let start = columns;
    const quiltId = quilt.blobId;
    return index.patches.map((patch) => {
      const info = {
        patchId: formatQuiltPatchId({
          quiltId: parseBlobId(quiltId),
          startIndex: start,
          endIndex: patch.end_index,
        }),
        identifier: patch.identifier,
        tags: Object.fromEntries(patch.tags),
        startIndex: start,
        endIndex: patch.end_index,
      };
      start = patch.end_index;
      return info;
    });
  }

  async #patch(
    quilt: BlobHandle,
    startIndex: number,
    endIndex: number,
    patchId: string,
    signal: AbortSignal,
  ): Promise<QuiltPatch | ReadFailure> {
    const columns = await quilt.columns(startIndex, endIndex, signal);
    if (!Array.isArray(columns)) {
      return columns.kind === 'invalid-range'
        ? failure('not-found', 'the quilt has no patch at those columns')
        : columns;
    }
    const bytes = concatBytes(columns);
    try {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const version = view.getUint8(0);
      const length = view.getUint32(1, true);
      const mask = view.getUint8(5);
      if (version !== 1 || PATCH_HEADER + length > bytes.length) throw new Error('bad header');
      let offset = PATCH_HEADER;
      const identifierSize = view.getUint16(offset, true);
      offset += 2;
      const identifier = bcs.string().parse(bytes.subarray(offset, offset + identifierSize));
      offset += identifierSize;
      let tags: Record<string, string> = {};
      if (mask & HAS_TAGS) {
        const tagsSize = view.getUint16(offset, true);
        offset += 2;
        tags = Object.fromEntries(
          bcs.map(bcs.string(), bcs.string()).parse(bytes.subarray(offset, offset + tagsSize)),
        );
        offset += tagsSize;
      }
      const end = PATCH_HEADER + length;
      if (offset > end) throw new Error('bad header');
      return {
        quiltId: quilt.blobId,
        nShards: quilt.nShards,
        patchId,
        identifier,
        tags,
        contents: bytes.subarray(offset, end),
        source: quilt.origin,
        age: quilt.ageSeconds,
      };
    } catch {
      return failure('not-found', 'no quilt patch starts at those columns');
    }
  }
}

function notAQuilt(): ReadFailure {
  return failure('not-found', 'the blob is not a quilt (no valid quilt index)');
}
