// Is this blob already certified as permanent, and until when? Asked of the storage nodes (their blob
// status carries the end epoch and the event that certified it), before the publisher pays for a new
// registration. A status counts only when nodes holding more than f shards report it — at least one
// of them is honest — so a lying minority can make the publisher pay again, never skip a store.
import type { Committee } from '../network/committee.ts';
import { StorageNodeClient } from '../network/storage-node-client.ts';
import type { NodeTransport } from '../network/transport/node-transport.ts';

export interface CertifiedPermanentStatus {
  /** Exclusive. */
  endEpoch: number;
  /** The certification event, as the nodes report it. */
  event: { txDigest: string; eventSeq: string };
}

/** One node's status read as "certified permanent until", or undefined. */
function certifiedPermanent(status: unknown): CertifiedPermanentStatus | undefined {
  const permanent = (status as { permanent?: Record<string, unknown> } | null)?.permanent;
  if (!permanent || permanent.isCertified !== true) return undefined;
  const endEpoch = Number(permanent.endEpoch);
  const event = permanent.statusEvent as { txDigest?: unknown; eventSeq?: unknown } | undefined;
  if (!Number.isSafeInteger(endEpoch) || typeof event?.txDigest !== 'string') return undefined;
  return { endEpoch, event: { txDigest: event.txDigest, eventSeq: String(event.eventSeq ?? '0') } };
}

export async function certifiedPermanentStatus(options: {
  committee: Committee;
  blobId: string;
  transport?: NodeTransport;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<CertifiedPermanentStatus | undefined> {
  const { committee } = options;
  const answers = await Promise.all(
    committee.nodes.map(async (node) => {
      try {
        const status = await new StorageNodeClient(node.url, options.transport).getBlobStatus(
          options.blobId,
          { signal: options.signal, timeoutMs: options.timeoutMs ?? 5_000 },
        );
        return { weight: node.shards.length, status: certifiedPermanent(status) };
      } catch {
        return undefined; // a node that does not answer has no say
      }
    }),
  );
  const f = Math.floor((committee.nShards - 1) / 3);
  const groups = new Map<string, { status: CertifiedPermanentStatus; weight: number }>();
  for (const answer of answers) {
    if (!answer?.status) continue;
    const key = JSON.stringify(answer.status);
    const group = groups.get(key) ?? { status: answer.status, weight: 0 };
    group.weight += answer.weight;
    groups.set(key, group);
  }
  const vouched = [...groups.values()].filter((group) => group.weight > f);
  return vouched.sort((a, b) => b.status.endEpoch - a.status.endEpoch)[0]?.status;
}
