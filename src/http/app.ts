// The edge's Hono app. Web-standard APIs only, so the same app can run on Node and on Workers; what is
// Node-specific (metrics registry, devnet, worker pools) is handed in by the composition root.
import { Hono, type MiddlewareHandler } from 'hono';
import type { BlobCache } from '../cache/blob-cache.ts';
import type { Committee } from '../network/committee.ts';
import type { SuiHealth } from '../network/sui/sui-client.ts';
import type { SponsorStatus } from '../publish/sponsor/sponsor.ts';
import type { Blocklist } from '../read/blocklist.ts';
import type { AggregatorDeps } from './aggregator-deps.ts';
import { corsMiddleware } from './cors.ts';
import { errorResponse } from './errors.ts';
import type { HttpMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { blobRoutes } from './routes/blob-routes.ts';
import { concatRoute } from './routes/concat-route.ts';
import { publishRoutes, type PublishDeps } from './routes/publish-routes.ts';
import { accountRoutes, type AccountRouteDeps } from './routes/account-routes.ts';
import { uploadRelayRoutes, type UploadRelayRouteDeps } from './routes/upload-relay-routes.ts';
import { quiltRoutes } from './routes/quilt-routes.ts';

/** Where the edge reads Sui, which Walrus objects, and how that goes (testnet/mainnet only). */
export interface SuiStatus extends SuiHealth {
  systemObjectId: string;
  stakingObjectId: string;
  /** When the committee in use was read (ISO 8601); null while none is known. */
  committeeLoadedAt: string | null;
}

export interface EdgeAppDeps {
  version: string;
  network: string;
  /** The current committee (re-read on each call: it changes with epochs); undefined while loading. */
  /** The current committee (it changes with epochs); undefined while none is known. Answers at once. */
  committee: () => Promise<Committee | undefined>;
  /** Sui as the edge sees it (/status, /readyz); absent on a devnet. */
  sui?: () => SuiStatus;
  metrics?: HttpMetrics;
  /** false: /metrics is served on a port of its own (METRICS_PORT), not here. Default true. */
  metricsRoute?: boolean;
  /** Counts the requests the edge refuses (rejection-metrics.ts): it reads each error answer's reason. */
  rejections?: MiddlewareHandler;
  aggregator?: AggregatorDeps;
  /** The official publisher API (PUT /v1/blobs, /v1/quilts); absent = the edge does not publish. */
  publish?: PublishDeps;
  /** Paid publishing's accounts, quotes and top-ups (PUBLISHER_AUTH=api-key); absent = none. */
  accounts?: AccountRouteDeps;
  /**
   * The publisher's sponsored account as last read (/status, /readyz); absent when not publishing,
   * undefined while not known (a worker showing another's publisher: src/cluster/publisher-view.ts).
   */
  sponsor?: () => SponsorStatus | undefined;
  /** Whether paid publishing's ledger answers (/readyz); absent or undefined when there is none. */
  ledgerAnswers?: () => Promise<boolean | undefined>;
  /**
   * The official upload relay (GET /v1/tip-config, POST /v1/blob-upload-relay); absent = none. Its
   * work comes in as a function: it encodes and checks BLS signatures in walrus-wasm, which the
   * Web-standard app (and its Workers build) must not load.
   */
  uploadRelay?: UploadRelayRouteDeps;
  /** The blocklist behind the read stack's blocked layer, for the admin API. */
  blocklist?: Blocklist;
  /** The blob cache behind the read stack's cached layer (admin API, /readyz); absent = no cache. */
  cache?: BlobCache;
  /** Reconstructions running and queued now (/status). */
  reconstructions?: { readonly active: number; readonly queued: number };
  /** Origins allowed by CORS: '*' or a list. */
  corsOrigins?: '*' | string[];
  adminToken?: string;
}

export function createEdgeApp(deps: EdgeAppDeps): Hono {
  const app = new Hono();
  const startedAt = Date.now();
  if (deps.metrics) app.use('*', deps.metrics.middleware);
  if (deps.rejections) app.use('*', deps.rejections);
  app.use('*', corsMiddleware(deps.corsOrigins ?? '*'));

  app.onError((_error, c) => errorResponse(c, 500, 'INTERNAL', 'internal error'));
  app.notFound((c) => errorResponse(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));

  app.get('/status', async (c) => {
    const committee = await deps.committee();
    return c.json({
      service: 'walrus-edge',
      version: deps.version,
      network: deps.network,
      epoch: committee?.epoch ?? null,
      nShards: committee?.nShards ?? null,
      storageNodes: committee?.nodes.length ?? null,
      chainUrl: committee?.chainUrl ?? null,
      sui: deps.sui?.() ?? null,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
      reconstructions: deps.reconstructions
        ? { active: deps.reconstructions.active, queued: deps.reconstructions.queued }
        : undefined,
      publisher: deps.sponsor?.() ?? null,
    });
  });
  app.get('/v1/api', (c) => c.json(openApiDocument(deps.version)));
  // Readiness: the committee is known (reads can work). Redis is reported, not required: without it
  // the edge still serves from memory and the storage nodes. On Sui, a committee read earlier keeps
  // the edge ready while Sui fails, and `degraded` says what it is serving with.
  app.get('/readyz', async (c) => {
    const committee = await deps.committee();
    const redis = deps.cache?.stats().redis;
    const sui = deps.sui?.();
    const sponsor = deps.sponsor?.();
    const lowBalance = sponsor?.lowBalance;
    const ledgerUp = deps.ledgerAnswers ? await deps.ledgerAnswers() : undefined;
    const failing =
      sui?.lastError && (sui.lastSuccessAt === null || sui.lastError.at >= sui.lastSuccessAt)
        ? sui.lastError
        : undefined;
    const body = {
      ready: committee !== undefined,
      committee: committee ? { epoch: committee.epoch, nodes: committee.nodes.length } : null,
      redis: redis ? (redis.available ? 'up' : 'down') : 'not configured',
      ...(sui ? { sui } : {}),
      // A low main wallet does not make the edge unready (reads work), but it is said here.
      ...(sponsor ? { publisher: { lowBalance: lowBalance ?? null } } : {}),
      ...(ledgerUp === undefined ? {} : { ledger: ledgerUp ? 'up' : 'down' }),
      ...(lowBalance && !failing ? { degraded: `publishing: ${lowBalance}` } : {}),
      ...(ledgerUp === false && !failing && !lowBalance
        ? { degraded: 'paid publishing: the ledger is not answering; paid uploads are refused' }
        : {}),
      ...(failing
        ? {
            degraded: committee
              ? `Sui is failing (${failing.message}, at ${failing.at}); serving the committee of epoch ` +
                `${committee.epoch} read at ${sui!.committeeLoadedAt} and cached blobs`
              : `the storage committee is not known yet: ${failing.message}`,
          }
        : {}),
    };
    return c.json(body, committee ? 200 : 503, { 'cache-control': 'no-store' });
  });
  app.get('/healthz', (c) => c.json({ ok: true }, 200, { 'cache-control': 'no-store' }));

  if (deps.metrics && deps.metricsRoute !== false) {
    const registry = deps.metrics.registry;
    app.get('/metrics', async (c) =>
      c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }),
    );
  }

  if (deps.aggregator) {
    blobRoutes(app, deps.aggregator);
    quiltRoutes(app, deps.aggregator);
    concatRoute(app, deps.aggregator);
    if (deps.blocklist)
      adminRoutes(app, {
        adminToken: deps.adminToken,
        blocklist: deps.blocklist,
        cache: deps.cache,
        blobs: deps.aggregator.blobs,
      });
  }
  if (deps.publish) publishRoutes(app, deps.publish);
  if (deps.accounts) accountRoutes(app, deps.accounts);
  if (deps.uploadRelay) uploadRelayRoutes(app, deps.uploadRelay);
  return app;
}
