// How long a blob lives, from the storage nodes' blob status: works on any network, with no index of
// blob objects. Nodes report the latest end epoch of a blob's permanent objects; deletable objects have
// none on this API (they may be deleted at any time), so a blob held only by deletable objects is
// trusted until the current epoch ends. Several nodes are asked and the earliest answer wins: a node
// that overstates a lifetime cannot make a cache keep a blob longer than the others say.
import type { Committee } from './committee.ts';
import { StorageNodeClient } from './storage-node-client.ts';
import type { NodeTransport } from './transport/node-transport.ts';

export type NodeBlobLife = { kind: 'permanent'; endEpoch: number } | { kind: 'deletable' } | { kind: 'none' };

/** One node's BlobStatus read as a lifetime (camelCase as nodes send it, snake_case as the spec writes it). */
export function lifeFromStatus(status: unknown): NodeBlobLife {
  if (typeof status !== 'object' || status === null) return { kind: 'none' };
  const field = (object: Record<string, unknown>, camel: string, snake: string) =>
    object[camel] ?? object[snake];
  const counts = (object: Record<string, unknown>) =>
    Number(
      (field(object, 'deletableCounts', 'deletable_counts') as Record<string, unknown> | undefined)
        ?.count_deletable_certified ?? 0,
    );
  const permanent = (status as { permanent?: Record<string, unknown> }).permanent;
  if (permanent) {
    const endEpoch = Number(field(permanent, 'endEpoch', 'end_epoch'));
    if (field(permanent, 'isCertified', 'is_certified') === true && Number.isSafeInteger(endEpoch))
      return { kind: 'permanent', endEpoch };
    return counts(permanent) > 0 ? { kind: 'deletable' } : { kind: 'none' };
  }
  const deletable = (status as { deletable?: Record<string, unknown> }).deletable;
  if (deletable && counts(deletable) > 0) return { kind: 'deletable' };
  return { kind: 'none' };
}

/**
 * The blob's end epoch (exclusive) by the nodes holding the most shards, or undefined when none of
 * them knows it certified. `epoch` is the current epoch (for blobs held only by deletable objects).
 */
export async function endEpochFromNodes(options: {
  committee: Committee;
  blobId: string;
  epoch: number;
  transport?: NodeTransport;
  /** Nodes asked (default 3). */
  nodes?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<number | undefined> {
  const asked = [...options.committee.nodes]
    .sort((a, b) => b.shards.length - a.shards.length)
    .slice(0, options.nodes ?? 3);
  const answers = await Promise.all(
    asked.map(async (node) => {
      try {
        const status = await new StorageNodeClient(node.url, options.transport).getBlobStatus(
          options.blobId,
          {
            signal: options.signal,
            timeoutMs: options.timeoutMs ?? 3_000,
          },
        );
        return lifeFromStatus(status);
      } catch {
        return undefined; // a node that does not answer has no say
      }
    }),
  );
  const lives = answers.filter((life): life is NodeBlobLife => life !== undefined);
  if (lives.length === 0 || lives.some((life) => life.kind === 'none')) return undefined;
  return Math.min(...lives.map((life) => (life.kind === 'permanent' ? life.endEpoch : options.epoch + 1)));
}
