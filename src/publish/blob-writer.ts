// Stores one blob on the network: encode → register (pays WAL and SUI) → upload metadata and slivers to
// every node → collect signed confirmations → aggregate them into a certificate → certify on chain.
// The chain side is a BlobRegistrar: Sui transactions (sui-registrar.ts) for `walrus-edge put` and the
// publisher; tests may hand in others.
import { inlineCodec, type Codec } from '../codec/codec.ts';
import { formatBlobId } from '../protocol/blob-id.ts';
import { encodedLength } from '../protocol/encoding.ts';
import type { Committee } from '../network/committee.ts';
import type { NodeTransport } from '../network/transport/node-transport.ts';
import {
  aggregateConfirmations,
  distributeBlob,
  type BlobCertificate,
  type DistributionOptions,
  type NodeConfirmation,
} from './sliver-distributor.ts';

export type { BlobCertificate } from './sliver-distributor.ts';

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
  /** Where encoding runs (the edge: its worker threads); default: on this thread. */
  codec?: Codec;
  /** Deadline, grace, limits, metrics hooks and background of the upload to the nodes. */
  distribution?: DistributionOptions;
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

export async function storeBlob<Record>(input: StoreBlobInput<Record>): Promise<StoreBlobResult<Record>> {
  const { data, committee, chain, epochs, signal } = input;
  const deletable = input.deletable ?? false;
  const n = committee.nShards;

  let started = performance.now();
  const encoded = await (input.codec ?? inlineCodec()).encode(data, n);
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
  const distributed = await distributeBlob({
    ...input.distribution,
    encoded,
    blobId,
    committee,
    persistence: deletable ? { kind: 'deletable', objectId } : { kind: 'permanent' },
    transport: input.transport,
    signal,
  });
  const uploadMs = performance.now() - started;

  started = performance.now();
  if (!distributed.ok) throw new NotEnoughConfirmationsError(distributed.message);
  const certificate = distributed.certificate;
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

/** A certificate from confirmations, or NotEnoughConfirmationsError (tests that craft their own). */
export function buildCertificate(committee: Committee, confirmations: NodeConfirmation[]): BlobCertificate {
  const outcome = aggregateConfirmations(committee, confirmations);
  if (!outcome.ok) throw new NotEnoughConfirmationsError(outcome.message);
  return outcome.certificate;
}
