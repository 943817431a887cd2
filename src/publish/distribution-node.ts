// One storage node's part of a distribution: its metadata, then the primary and secondary slivers of
// each of its shards (several at once), then — once it holds them all — its signed confirmation.
// Never throws: every way it can end is a value the distributor tallies.
import type { EncodedBlob } from '../codec/blob-encoder.ts';
import { pairForShard } from '../protocol/sliver-layout.ts';
import type { CommitteeNode } from '../network/committee.ts';
import type { RequestOptions, StorageNodeClient } from '../network/storage-node-client.ts';
import { requestWithRetries, type RequestEnd, type RequestLimits } from './distribution-requests.ts';

export type NodeUploadEnd =
  | { kind: 'confirmed'; serializedMessage: Uint8Array; signature: Uint8Array }
  /** Every sliver is stored, but the confirmation was no longer wanted (the result was decided). */
  | { kind: 'stored' }
  | { kind: 'failed'; detail: string }
  | { kind: 'timed-out'; detail: string }
  | { kind: 'cancelled' };

export type UploadRequestKind = 'metadata' | 'sliver' | 'confirmation';

export interface NodeUpload {
  client: StorageNodeClient;
  node: CommitteeNode;
  encoded: EncodedBlob;
  blobId: string;
  nShards: number;
  persistence: { kind: 'permanent' } | { kind: 'deletable'; objectId: string };
  /** Limits of the metadata upload, the sliver uploads and the confirmation request. */
  metadataLimits: Omit<RequestLimits, 'onRetry'>;
  uploadLimits: Omit<RequestLimits, 'onRetry'>;
  confirmationLimits: Omit<RequestLimits, 'onRetry'>;
  /** Called before each retry, with the request's kind. */
  onRetry(kind: UploadRequestKind): void;
  /** Called with the body size of every metadata or sliver attempt sent. */
  onSent(bytes: number): void;
  /** Ends the uploads (caller gone, deadline, shutdown). */
  uploadSignal: AbortSignal;
  /** Ends the confirmation request only: aborted once the distribution's result is decided. */
  confirmSignal: AbortSignal;
}

type Request = <T>(
  kind: UploadRequestKind,
  signal: AbortSignal,
  send: (options: RequestOptions) => Promise<T>,
) => Promise<RequestEnd<T>>;

export async function uploadToNode(job: NodeUpload): Promise<NodeUploadEnd> {
  const { client, encoded, blobId } = job;
  const request: Request = (kind, signal, send) =>
    requestWithRetries(
      {
        ...(kind === 'confirmation'
          ? job.confirmationLimits
          : kind === 'metadata'
            ? job.metadataLimits
            : job.uploadLimits),
        onRetry: () => job.onRetry(kind),
      },
      signal,
      send,
    );

  const metadata = await request('metadata', job.uploadSignal, (options) => {
    job.onSent(encoded.metadata.length);
    return client.putMetadata(blobId, encoded.metadata, options);
  });
  if (metadata.kind !== 'ok') return metadata;

  const slivers = await uploadSlivers(job, request);
  if (slivers.kind !== 'ok') return slivers;

  if (job.confirmSignal.aborted) return { kind: 'stored' };
  const confirmation = await request(
    'confirmation',
    AbortSignal.any([job.uploadSignal, job.confirmSignal]),
    (options) => client.getConfirmation(blobId, job.persistence, options),
  );
  if (confirmation.kind === 'ok') return { kind: 'confirmed', ...confirmation.value };
  if (confirmation.kind === 'cancelled' && !job.uploadSignal.aborted) return { kind: 'stored' };
  return confirmation;
}

/** All of the node's slivers; the first that cannot be stored ends the others (the node is lost anyway). */
async function uploadSlivers(job: NodeUpload, request: Request): Promise<RequestEnd<void>> {
  const { client, encoded, blobId } = job;
  const givenUp = new AbortController();
  const signal = AbortSignal.any([job.uploadSignal, givenUp.signal]);
  let first: RequestEnd<void> | undefined;
  const uploads = job.node.shards.flatMap((shard) => {
    const pair = pairForShard(shard, encoded.blobId, job.nShards);
    return (['primary', 'secondary'] as const).map(async (type) => {
      const sliver = (type === 'primary' ? encoded.primary : encoded.secondary)[pair]!;
      const end = await request('sliver', signal, (options) => {
        job.onSent(sliver.length);
        return client.putSliver(blobId, pair, type, sliver, options);
      });
      if (end.kind !== 'ok' && !first) {
        first = end;
        givenUp.abort();
      }
    });
  });
  // The slots in job.uploadLimits bound how many of these are on the wire at once.
  await Promise.all(uploads);
  return first ?? { kind: 'ok', value: undefined };
}
