// One devnet storage node: the storage-node REST API of DESIGN §2 over its own shards, backed by its
// disk, checking every upload against the chain and the blob's metadata, plus the /_devnet fault and
// stats endpoints. Errors are AIP-193 in the storage.walrus.space domain, as real nodes send them.
import { Hono, type Context } from 'hono';
import { bytesToBase64, hexToBytes } from '../../protocol/base64.ts';
import { SliverData } from '../../protocol/bcs.ts';
import { InvalidIdError, parseBlobId } from '../../protocol/blob-id.ts';
import { blsSign, generateBlsKeyPair } from '../../protocol/bls.ts';
import { confirmationMessage, type Persistence } from '../../protocol/confirmation.ts';
import { sliverLengths } from '../../protocol/encoding.ts';
import {
  InvalidMetadataError,
  metadataMatchesBlobId,
  parseMetadata,
  type ParsedMetadata,
} from '../../protocol/metadata.ts';
import { verifySliver } from '../../protocol/sliver-hash.ts';
import { LRUCache } from 'lru-cache';
import { pairForShard, shardForPair, sliverIndex, type SliverType } from '../../protocol/sliver-layout.ts';
import { apiError, apiSuccess } from '../../protocol/status.ts';
import type { BlobObject, BlobStatus } from '../chain/types.ts';
import { FaultSchema, corruptMetadata, corruptSliver, type Fault } from './faults.ts';
import type { SliverStore } from './sliver-store.ts';

const DOMAIN = 'storage.walrus.space';

/** What a node needs to know of the chain (the devnet ledger provides it in-process). */
export interface ChainView {
  readonly epoch: number;
  blobStatus(blobId: string): BlobStatus;
  getBlob(objectId: string): BlobObject;
}

export interface StorageNodeOptions {
  name: string;
  nShards: number;
  shards: readonly number[];
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  store: SliverStore;
  chain: ChainView;
}

type RouteName =
  | 'metadata'
  | 'metadata-status'
  | 'store-metadata'
  | 'sliver'
  | 'sliver-status'
  | 'store-sliver'
  | 'blob-status'
  | 'confirmation'
  | 'health';

class NodeError extends Error {
  readonly httpStatus: number;
  readonly reason: string;
  constructor(httpStatus: number, reason: string, message: string) {
    super(message);
    this.httpStatus = httpStatus;
    this.reason = reason;
  }
}

export function createStorageNodeApp(options: StorageNodeOptions): Hono {
  const { nShards, store, chain } = options;
  const shards = new Set(options.shards);
  const startedAt = Date.now();
  const stats = new Map<string, number>();
  let fault: Fault = { mode: 'ok', delayMs: 0, count: 0 };
  /** `flaky`: requests failed so far per route since the fault was set. */
  const flakyFailures = new Map<RouteName, number>();
  /** `corrupt-confirmation`: a key that is not ours, so the signatures are valid BLS by the wrong signer. */
  let impostorKey: Uint8Array | undefined;
  /** Blobs whose slivers for all our shards are on disk (checked once, then remembered). */
  const complete = new Set<string>();
  /** Parsed metadata of recently written blobs: every sliver upload is checked against it. */
  const metadataCache = new LRUCache<string, ParsedMetadata>({ max: 256 });

  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof NodeError)
      return c.json(
        apiError(error.httpStatus, error.reason, error.message, {}, DOMAIN),
        error.httpStatus as 400,
      );
    if (error instanceof InvalidIdError)
      return c.json(apiError(400, 'INVALID_BLOB_ID', error.message, {}, DOMAIN), 400);
    return c.json(apiError(500, 'INTERNAL', 'internal error', {}, DOMAIN), 500);
  });
  app.notFound((c) =>
    c.json(apiError(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, {}, DOMAIN), 404),
  );

  // ── devnet controls (never faulted, never counted) ─────────────────────────────────────────────
  app.post('/_devnet/fault', async (c) => {
    const parsed = FaultSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(apiError(400, 'INVALID_FAULT', parsed.error.message, {}, DOMAIN), 400);
    fault = parsed.data;
    flakyFailures.clear();
    return c.json({ fault });
  });
  app.get('/_devnet/fault', (c) => c.json({ fault }));
  app.get('/_devnet/stats', (c) => c.json({ requests: Object.fromEntries(stats), fault }));
  app.post('/_devnet/stats/reset', (c) => {
    stats.clear();
    return c.json({ requests: {} });
  });

  // ── faults, applied to every API route ─────────────────────────────────────────────────────────
  app.use('/v1/*', async (c, next) => {
    if (fault.mode === 'down') {
      return c.json(
        apiError(503, 'UNAVAILABLE', `${options.name} is down (devnet fault)`, {}, 'global'),
        503,
      );
    }
    if (
      fault.mode === 'slow' ||
      (fault.mode === 'slow-slivers' && c.req.method === 'GET' && /\/slivers\/\d+\/\w+$/.test(c.req.path)) ||
      (fault.mode === 'slow-status' &&
        c.req.method === 'GET' &&
        /^\/v1\/blobs\/[^/]+\/status$/.test(c.req.path))
    ) {
      await delay(fault.delayMs, c.req.raw.signal);
      // The client gave up while we stalled: do no work and count nothing for it.
      if (c.req.raw.signal.aborted) return c.body(null, 499 as 400);
    }
    await next();
  });

  // Counts the request; a flaky node counts it too, then fails it (so retries show in the stats).
  const count = (route: RouteName) => {
    stats.set(route, (stats.get(route) ?? 0) + 1);
    if (fault.mode !== 'flaky') return;
    const failed = flakyFailures.get(route) ?? 0;
    if (failed < fault.count) {
      flakyFailures.set(route, failed + 1);
      throw new NodeError(503, 'UNAVAILABLE', `${options.name} is flaky (devnet fault)`);
    }
  };

  // ── reads ──────────────────────────────────────────────────────────────────────────────────────
  app.get('/v1/blobs/:blobId/metadata', async (c) => {
    count('metadata');
    const { blobId, bytes } = requireBlob(c);
    rejectIfBlocked();
    const metadata = await readLiveMetadata(blobId);
    const withId = concat(bytes, metadata);
    return octets(c, fault.mode === 'corrupt-metadata' ? corruptMetadata(withId) : withId);
  });

  app.get('/v1/blobs/:blobId/metadata/status', async (c) => {
    count('metadata-status');
    const { blobId } = requireBlob(c);
    const stored = isLive(blobId) && (await store.hasMetadata(blobId));
    return c.json(apiSuccess(stored ? 'Stored' : 'Nonexistent'));
  });

  app.get('/v1/blobs/:blobId/slivers/:pair/:type', async (c) => {
    count('sliver');
    const { blobId, bytes } = requireBlob(c);
    const { pair, type } = requireOwnSliver(c, bytes);
    rejectIfBlocked();
    if (!isLive(blobId))
      throw new NodeError(404, 'SLIVER_NOT_FOUND', 'blob is not registered or has expired');
    const sliver = await store.readSliver(blobId, pair, type);
    if (!sliver) throw new NodeError(404, 'SLIVER_NOT_FOUND', `sliver ${type} ${pair} is not stored here`);
    return octets(c, fault.mode === 'corrupt-slivers' ? corruptSliver(sliver) : sliver);
  });

  app.get('/v1/blobs/:blobId/slivers/:pair/:type/status', async (c) => {
    count('sliver-status');
    const { blobId, bytes } = requireBlob(c);
    const { pair, type } = requireOwnSliver(c, bytes);
    const stored = isLive(blobId) && (await store.hasSliver(blobId, pair, type));
    return c.json(apiSuccess(stored ? 'Stored' : 'Nonexistent'));
  });

  app.get('/v1/blobs/:blobId/status', (c) => {
    count('blob-status');
    const { blobId } = requireBlob(c);
    return c.json(apiSuccess(chain.blobStatus(blobId)));
  });

  app.get('/v1/health', (c) => {
    count('health');
    return c.json(
      apiSuccess({
        uptime: { secs: Math.floor((Date.now() - startedAt) / 1000), nanos: 0 },
        epoch: chain.epoch,
        publicKey: bytesToBase64(options.publicKey),
        nodeStatus: 'Active',
        eventProgress: { persisted: 0, pending: 0, highestFinishedEventIndex: null },
        shardSummary: { owned: shards.size, ownedShardStatus: { ready: shards.size } },
      }),
    );
  });

  // ── writes ─────────────────────────────────────────────────────────────────────────────────────
  app.put('/v1/blobs/:blobId/metadata', async (c) => {
    count('store-metadata');
    const { blobId, bytes } = requireBlob(c);
    requireRegistered(blobId);
    if (await store.hasMetadata(blobId)) return c.json(apiSuccess('metadata was already stored'), 200);
    const body = new Uint8Array(await c.req.arrayBuffer());
    let parsed;
    try {
      parsed = parseMetadata(body);
    } catch (error) {
      if (error instanceof InvalidMetadataError) throw new NodeError(400, 'INVALID_METADATA', error.message);
      throw error;
    }
    if (!metadataMatchesBlobId(parsed, bytes, nShards)) {
      throw new NodeError(400, 'INVALID_METADATA', 'metadata does not derive to the blob ID');
    }
    await store.writeMetadata(blobId, body);
    metadataCache.set(blobId, parsed);
    return c.json(apiSuccess('metadata successfully stored', 201), 201);
  });

  app.put('/v1/blobs/:blobId/slivers/:pair/:type', async (c) => {
    count('store-sliver');
    const { blobId, bytes } = requireBlob(c);
    const { pair, type } = requireOwnSliver(c, bytes);
    requireRegistered(blobId);
    const metadata = await parsedMetadata(blobId);
    const length = metadata.unencodedLength;
    const body = new Uint8Array(await c.req.arrayBuffer());
    let sliver;
    try {
      sliver = SliverData.parse(body);
    } catch {
      throw new NodeError(400, 'INVALID_SLIVER', 'sliver is not valid BCS SliverData');
    }
    const expected = sliverLengths(length, nShards);
    if (sliver.index !== sliverIndex(pair, type, nShards)) {
      throw new NodeError(
        400,
        'SLIVER_INDEX_MISMATCH',
        `a ${type} sliver of pair ${pair} has index ${sliverIndex(pair, type, nShards)}`,
      );
    }
    if (sliver.symbols.symbol_size !== expected.symbolSize || sliver.symbols.data.length !== expected[type]) {
      throw new NodeError(
        400,
        'INVALID_SLIVER',
        `expected ${expected[type]} bytes in symbols of ${expected.symbolSize}`,
      );
    }
    // Like a real node: a sliver must hash (RS-expanded, Merkle root) to its entry in the metadata.
    const hashes = metadata.hashes[pair]!;
    if (!verifySliver(sliver.symbols.data, expected.symbolSize, type, nShards, hashes[type])) {
      throw new NodeError(
        400,
        'INVALID_SLIVER',
        `the ${type} sliver of pair ${pair} does not match the blob's metadata`,
      );
    }
    if (await store.hasSliver(blobId, pair, type))
      return c.json(apiSuccess('sliver was already stored'), 200);
    await store.writeSliver(blobId, pair, type, body);
    return c.json(apiSuccess('sliver stored successfully', 201), 201);
  });

  app.get('/v1/blobs/:blobId/confirmation/permanent', async (c) => {
    count('confirmation');
    if (fault.mode === 'no-confirm') return hangUntilClientLeaves(c);
    const { blobId, bytes } = requireBlob(c);
    const status = chain.blobStatus(blobId);
    if (status === 'nonexistent' || !('permanent' in status)) {
      throw new NodeError(400, 'NOT_REGISTERED', 'no permanent blob object is registered for this blob ID');
    }
    await requireAllSlivers(blobId, bytes);
    return c.json(apiSuccess({ signed: sign(bytes, { kind: 'permanent' }) }));
  });

  app.get('/v1/blobs/:blobId/confirmation/deletable/:objectId', async (c) => {
    count('confirmation');
    if (fault.mode === 'no-confirm') return hangUntilClientLeaves(c);
    const { blobId, bytes } = requireBlob(c);
    const objectId = c.req.param('objectId').toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(objectId))
      throw new NodeError(400, 'INVALID_OBJECT_ID', 'object ID must be 0x + 64 hex');
    let blob: BlobObject | undefined;
    try {
      blob = chain.getBlob(objectId);
    } catch {
      blob = undefined;
    }
    if (
      !blob ||
      blob.deleted ||
      !blob.deletable ||
      blob.blobId !== blobId ||
      blob.storage.endEpoch <= chain.epoch
    ) {
      throw new NodeError(
        400,
        'NOT_REGISTERED',
        'no live deletable blob object with this ID stores this blob',
      );
    }
    await requireAllSlivers(blobId, bytes);
    return c.json(apiSuccess({ signed: sign(bytes, { kind: 'deletable', objectId: hexToBytes(objectId) }) }));
  });

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────
  function requireBlob(c: Context): { blobId: string; bytes: Uint8Array } {
    const blobId = c.req.param('blobId') ?? '';
    return { blobId, bytes: parseBlobId(blobId) };
  }

  function requireOwnSliver(c: Context, blobIdBytes: Uint8Array): { pair: number; type: SliverType } {
    const type = c.req.param('type');
    const pairText = c.req.param('pair') ?? '';
    if (type !== 'primary' && type !== 'secondary')
      throw new NodeError(400, 'INVALID_SLIVER_TYPE', 'sliver type is primary or secondary');
    const pair = /^\d{1,5}$/.test(pairText) ? Number(pairText) : NaN;
    if (!(pair < nShards))
      throw new NodeError(400, 'INDEX_OUT_OF_RANGE', `sliver pair index must be 0..${nShards - 1}`);
    if (!shards.has(shardForPair(pair, blobIdBytes, nShards))) {
      throw new NodeError(
        400,
        'SHARD_NOT_ASSIGNED',
        `the shard of sliver pair ${pair} is not assigned to ${options.name}`,
      );
    }
    return { pair, type };
  }

  function rejectIfBlocked(): void {
    if (fault.mode === 'blocked')
      throw new NodeError(451, 'FORBIDDEN_BLOB', 'the blob is blocked on this node');
  }

  function isLive(blobId: string): boolean {
    return chain.blobStatus(blobId) !== 'nonexistent';
  }

  function requireRegistered(blobId: string): void {
    if (!isLive(blobId))
      throw new NodeError(400, 'NOT_REGISTERED', 'the blob has not been registered or has already expired');
  }

  async function readLiveMetadata(blobId: string): Promise<Uint8Array> {
    const metadata = isLive(blobId) ? await store.readMetadata(blobId) : undefined;
    if (!metadata)
      throw new NodeError(404, 'METADATA_NOT_FOUND', 'the metadata is not stored here, or the blob expired');
    return metadata;
  }

  async function parsedMetadata(blobId: string): Promise<ParsedMetadata> {
    const known = metadataCache.get(blobId);
    if (known) return known;
    const metadata = await store.readMetadata(blobId);
    if (!metadata)
      throw new NodeError(400, 'METADATA_NOT_FOUND', 'store the blob metadata before its slivers');
    const parsed = parseMetadata(metadata);
    metadataCache.set(blobId, parsed);
    return parsed;
  }

  async function requireAllSlivers(blobId: string, blobIdBytes: Uint8Array): Promise<void> {
    if (complete.has(blobId)) return;
    const missing: string[] = [];
    for (const shard of shards) {
      const pair = pairForShard(shard, blobIdBytes, nShards);
      for (const type of ['primary', 'secondary'] as const) {
        if (!(await store.hasSliver(blobId, pair, type))) missing.push(`${type} ${pair}`);
      }
    }
    if (missing.length > 0) {
      throw new NodeError(
        400,
        'MISSING_SLIVERS',
        `${missing.length} slivers of this node's shards are missing (e.g. ${missing[0]})`,
      );
    }
    complete.add(blobId);
  }

  function sign(blobIdBytes: Uint8Array, persistence: Persistence) {
    const message = confirmationMessage(chain.epoch, blobIdBytes, persistence);
    const key =
      fault.mode === 'corrupt-confirmation'
        ? (impostorKey ??= generateBlsKeyPair().secretKey)
        : options.secretKey;
    return {
      serializedMessage: bytesToBase64(message),
      signature: bytesToBase64(blsSign(message, key)),
    };
  }

  return app;
}

function octets(c: Context, bytes: Uint8Array): Response {
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/octet-stream' });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** A node that never confirms: no answer until the client gives up (or the devnet closes the socket). */
async function hangUntilClientLeaves(c: Context): Promise<Response> {
  const signal = c.req.raw.signal;
  if (!signal.aborted)
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  return c.body(null, 499 as 400);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
