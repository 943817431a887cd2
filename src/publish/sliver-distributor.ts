// Sends an encoded blob to the storage nodes — metadata, then each node's primary and secondary
// slivers — and collects their signed confirmations into a certificate (signers covering more than 2f
// shards by weight). Used by the publisher (after registering) and by the upload relay (the client
// registered). Nothing here touches the chain.
import type { EncodedBlob } from '../codec/blob-encoder.ts';
import { base64ToBytes } from '../protocol/base64.ts';
import { blsAggregateSignatures, blsVerifyAggregate } from '../protocol/bls.ts';
import { isQuorum } from '../protocol/confirmation.ts';
import { pairForShard } from '../protocol/sliver-layout.ts';
import type { Committee } from '../network/committee.ts';
import { StorageNodeClient } from '../network/storage-node-client.ts';
import type { NodeTransport } from '../network/transport/node-transport.ts';

/** The certificate a blob is certified with: the signers' committee indices, the message, one signature. */
export interface BlobCertificate {
  signers: number[];
  serializedMessage: Uint8Array;
  signature: Uint8Array;
}

/** Which confirmation the nodes sign: for the blob ID, or for one deletable Blob object (0x + 64 hex). */
export type UploadPersistence = { kind: 'permanent' } | { kind: 'deletable'; objectId: string };

export interface DistributeInput {
  encoded: EncodedBlob;
  /** The blob ID in its string form (base64url). */
  blobId: string;
  committee: Committee;
  persistence: UploadPersistence;
  transport?: NodeTransport;
  signal?: AbortSignal;
}

export type DistributeOutcome =
  | { ok: true; certificate: BlobCertificate; confirmedShards: number }
  | {
      ok: false;
      kind: 'insufficient-confirmations';
      /** Shards (by weight) whose nodes confirmed with a valid signature. */
      confirmedShards: number;
      nShards: number;
      message: string;
    };

/** Requests in flight per node while uploading: enough to fill a link, few enough not to flood a node. */
const UPLOADS_PER_NODE = 8;

export async function distributeBlob(input: DistributeInput): Promise<DistributeOutcome> {
  const { encoded, blobId, committee, persistence, signal } = input;
  const confirmations = await Promise.all(
    committee.nodes.map(async (node, index) => {
      try {
        const client = new StorageNodeClient(node.url, input.transport);
        await uploadToNode(client, encoded, blobId, node.shards, committee.nShards, signal);
        const confirmation = await client.getConfirmation(blobId, persistence, { signal });
        return { index, ...confirmation };
      } catch {
        // A node that fails costs its shards' weight; the quorum check below decides.
        return undefined;
      }
    }),
  );
  return aggregateConfirmations(
    committee,
    confirmations.filter((c) => c !== undefined),
  );
}

async function uploadToNode(
  client: StorageNodeClient,
  encoded: EncodedBlob,
  blobId: string,
  shards: readonly number[],
  n: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  await client.putMetadata(blobId, encoded.metadata, { signal });
  const jobs = shards.flatMap((shard) => {
    const pair = pairForShard(shard, encoded.blobId, n);
    return [
      () => client.putSliver(blobId, pair, 'primary', encoded.primary[pair]!, { signal }),
      () => client.putSliver(blobId, pair, 'secondary', encoded.secondary[pair]!, { signal }),
    ];
  });
  await runBounded(jobs, UPLOADS_PER_NODE);
}

async function runBounded(jobs: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}

export interface NodeConfirmation {
  /** The node's index in the committee. */
  index: number;
  serializedMessage: Uint8Array;
  signature: Uint8Array;
}

/**
 * Aggregates confirmations that sign the same message into a certificate with a shard-weight quorum.
 * Optimistic: one aggregate check; only when it fails is each signature checked on its own, so one
 * byzantine node cannot spoil a certificate.
 */
export function aggregateConfirmations(
  committee: Committee,
  confirmations: NodeConfirmation[],
): DistributeOutcome {
  const n = committee.nShards;
  const weight = (list: NodeConfirmation[]) =>
    list.reduce((sum, c) => sum + committee.nodes[c.index]!.shards.length, 0);
  const keyOf = (c: NodeConfirmation) => base64ToBytes(committee.nodes[c.index]!.blsPublicKey);
  // Group by message: honest nodes of one epoch sign byte-identical messages.
  const groups = new Map<string, NodeConfirmation[]>();
  for (const c of confirmations) {
    const key = c.serializedMessage.join(',');
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const best = [...groups.values()].sort((a, b) => weight(b) - weight(a))[0] ?? [];
  let valid = best;
  if (valid.length > 0) {
    const message = valid[0]!.serializedMessage;
    const aggregate = blsAggregateSignatures(valid.map((c) => c.signature));
    if (!blsVerifyAggregate(aggregate, message, valid.map(keyOf))) {
      valid = valid.filter((c) => blsVerifyAggregate(c.signature, message, [keyOf(c)]));
    }
  }
  const confirmedShards = weight(valid);
  if (!isQuorum(confirmedShards, n)) {
    return {
      ok: false,
      kind: 'insufficient-confirmations',
      confirmedShards,
      nShards: n,
      message: `confirmations cover ${confirmedShards} of ${n} shards; a certificate needs more than two thirds`,
    };
  }
  return {
    ok: true,
    confirmedShards,
    certificate: {
      signers: valid.map((c) => c.index).sort((a, b) => a - b),
      serializedMessage: valid[0]!.serializedMessage,
      signature: blsAggregateSignatures(valid.map((c) => c.signature)),
    },
  };
}
