// Stores one blob on the network: encode → register (pays WAL and SUI) → upload metadata and slivers to
// every node → collect signed confirmations → aggregate them into a certificate → certify on chain.
// The chain side is a BlobRegistrar: Sui transactions (sui-registrar.ts) for `walrus-edge put` and the
// publisher; tests may hand in others.
import { encodeBlob, type EncodedBlob } from '../codec/blob-encoder.ts';
import { formatBlobId } from '../protocol/blob-id.ts';
import { blsAggregateSignatures, blsVerifyAggregate } from '../protocol/bls.ts';
import { base64ToBytes } from '../protocol/base64.ts';
import { encodedLength } from '../protocol/encoding.ts';
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

/** Registers and certifies blobs on a chain; `Record` is what the chain answers about the blob object. */
export interface BlobRegistrar<Record> {
  /** Reserves storage and registers the blob (paying WAL and gas); the object ID must be the new Blob's. */
  register(input: {
    blobId: string;
    rootHash: Uint8Array;
    size: number;
    epochs: number;
    deletable: boolean;
  }): Promise<{ objectId: string; record: Record }>;
  certify(input: {
    blobId: string;
    objectId: string;
    deletable: boolean;
    certificate: BlobCertificate;
  }): Promise<Record>;
}

export interface StoreBlobInput<Record> {
  data: Uint8Array;
  committee: Committee;
  /** The chain: who pays, where the blob object lives. */
  chain: BlobRegistrar<Record>;
  epochs: number;
  deletable?: boolean;
  signal?: AbortSignal;
  /** How to reach the nodes (e.g. an undici transport with pinned TLS keys); default: fetch. */
  transport?: NodeTransport;
}

export interface StoreBlobResult<Record> {
  blobId: string;
  objectId: string;
  /** The blob object as the chain answered its certification. */
  blob: Record;
  size: number;
  encodedLength: number;
  /** Committee member indices whose confirmations formed the certificate. */
  signers: number[];
  timingsMs: { encode: number; register: number; upload: number; certify: number };
}

export class NotEnoughConfirmationsError extends Error {
  override name = 'NotEnoughConfirmationsError';
}

/** Requests in flight per node while uploading: enough to fill a link, few enough not to flood a node. */
const UPLOADS_PER_NODE = 8;

export async function storeBlob<Record>(input: StoreBlobInput<Record>): Promise<StoreBlobResult<Record>> {
  const { data, committee, chain, epochs, signal } = input;
  const deletable = input.deletable ?? false;
  const n = committee.nShards;

  let started = performance.now();
  const encoded = encodeBlob(data, n);
  const blobId = formatBlobId(encoded.blobId);
  const encodeMs = performance.now() - started;

  started = performance.now();
  const registered = await chain.register({
    blobId,
    rootHash: encoded.rootHash,
    size: data.length,
    epochs,
    deletable,
  });
  const objectId = registered.objectId;
  const registerMs = performance.now() - started;

  started = performance.now();
  const persistence = deletable
    ? ({ kind: 'deletable', objectId } as const)
    : ({ kind: 'permanent' } as const);
  const confirmations = await Promise.all(
    committee.nodes.map(async (node, index) => {
      try {
        const client = new StorageNodeClient(node.url, input.transport);
        await uploadToNode(client, encoded, blobId, node.shards, n, signal);
        const confirmation = await client.getConfirmation(blobId, persistence, { signal });
        return { index, ...confirmation };
      } catch {
        // A node that fails costs its shards' weight; the quorum check below decides.
        return undefined;
      }
    }),
  );
  const uploadMs = performance.now() - started;

  started = performance.now();
  const certificate = buildCertificate(
    committee,
    confirmations.filter((c) => c !== undefined),
  );
  const certified = await chain.certify({ blobId, objectId, deletable, certificate });
  const certifyMs = performance.now() - started;

  return {
    blobId,
    objectId,
    blob: certified,
    size: data.length,
    encodedLength: encodedLength(data.length, n),
    signers: certificate.signers,
    timingsMs: { encode: encodeMs, register: registerMs, upload: uploadMs, certify: certifyMs },
  };
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

interface Confirmation {
  index: number;
  serializedMessage: Uint8Array;
  signature: Uint8Array;
}

/**
 * Aggregates confirmations that sign the same message into a certificate with a shard-weight quorum.
 * Optimistic: one aggregate check; only when it fails is each signature checked on its own, so one
 * byzantine node cannot spoil a certificate.
 */
export function buildCertificate(committee: Committee, confirmations: Confirmation[]): BlobCertificate {
  const n = committee.nShards;
  const weight = (list: Confirmation[]) =>
    list.reduce((sum, c) => sum + committee.nodes[c.index]!.shards.length, 0);
  const keyOf = (c: Confirmation) => base64ToBytes(committee.nodes[c.index]!.blsPublicKey);
  // Group by message: honest nodes of one epoch sign byte-identical messages.
  const groups = new Map<string, Confirmation[]>();
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
  if (!isQuorum(weight(valid), n)) {
    throw new NotEnoughConfirmationsError(
      `confirmations cover ${weight(valid)} of ${n} shards; a certificate needs more than two thirds`,
    );
  }
  return {
    signers: valid.map((c) => c.index).sort((a, b) => a - b),
    serializedMessage: valid[0]!.serializedMessage,
    signature: blsAggregateSignatures(valid.map((c) => c.signature)),
  };
}
