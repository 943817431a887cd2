// The Workers tier reading Walrus itself, with no origin edge behind it: the committee from Sui's gRPC
// API (grpc-web over fetch), metadata and slivers from the storage nodes over fetch, every one
// verified, decoded by walrus-wasm when a systematic sliver is missing, and answered by the edge's own
// Hono app (src/http/app.ts) — the same routes, Range, ETags, content types and AIP-193 errors as the
// edge. The cache front (cache-front.ts) keeps what it answers, so each data centre rebuilds a blob
// once. Nothing is shared between requests but plain data: Workers refuse to let one request use
// another's streams, so there is no single-flight here (the cache front's fill guard stands in).
import { inlineCodec } from '../codec/codec.ts';
import { DEFAULT_ATTRIBUTE_HEADERS } from '../http/aggregator-deps.ts';
import { createEdgeApp } from '../http/app.ts';
import { committeeForBlob, type CommitteeView } from '../network/committee-source.ts';
import { readSuiCommittee } from '../network/committees/sui-committee.ts';
import { suiGrpcClient } from '../network/sui/sui-client.ts';
import { fetchTransport } from '../network/transport/node-transport.ts';
import { BlobReader } from '../read/blob-reader.ts';
import { quiltPatchSource } from '../read/quilt-patch-source.ts';
import { reconstructingSource } from '../read/reconstructing-source.ts';
import type { Upstream } from './cache-front.ts';

export interface NodeReadOptions {
  /** A Sui full node's gRPC (grpc-web) base URL. */
  suiUrl: string;
  network: 'mainnet' | 'testnet' | 'localnet';
  systemObjectId: string;
  stakingObjectId: string;
  /** `https` for real storage nodes; `http` for the devnet's. */
  nodeUrlScheme: 'https' | 'http';
  /** A committee this old is read again before the next read (ms). */
  committeeMaxAgeMs: number;
  maxBlobSize: number;
  readDeadlineMs: number;
  nodeRequestTimeoutMs: number;
  hedgeDelayMs: number;
  version: string;
}

export function nodeReadsUpstream(options: NodeReadOptions): Upstream {
  const sui = suiGrpcClient({ baseUrl: options.suiUrl, network: options.network });
  let view: CommitteeView | undefined;
  const currentView = async (): Promise<CommitteeView> => {
    if (!view || Date.now() - view.loadedAt > options.committeeMaxAgeMs) {
      view = await readSuiCommittee({
        client: sui,
        systemObjectId: options.systemObjectId,
        stakingObjectId: options.stakingObjectId,
        urlScheme: options.nodeUrlScheme,
      });
    }
    return view;
  };
  const reader = new BlobReader({
    committeeFor: async () => committeeForBlob(await currentView(), undefined),
    codec: inlineCodec(),
    transport: fetchTransport(),
    maxBlobSize: options.maxBlobSize,
    deadlineMs: options.readDeadlineMs,
    requestTimeoutMs: options.nodeRequestTimeoutMs,
    hedgeDelayMs: options.hedgeDelayMs,
  });
  const app = createEdgeApp({
    version: options.version,
    network: options.network === 'localnet' ? 'devnet' : options.network,
    committee: async () => (await currentView().catch(() => undefined))?.committee,
    aggregator: {
      blobs: quiltPatchSource(reconstructingSource(reader)),
      activeContent: 'sandbox',
      attributeHeaders: DEFAULT_ATTRIBUTE_HEADERS,
    },
  });
  // The request ID is the cache front's to answer (and to leave out of what it keeps).
  return { fetch: async (request) => app.fetch(request) };
}
