// Sui for NETWORK=testnet|mainnet: a `SuiGrpcClient` (grpc-web over HTTP) at the network's public full
// node or at SUI_RPC_URL, and a wrapper that gives every call a deadline, turns every failure into one
// line naming the endpoint and its cause, and remembers the last failure for /status and /readyz.
// Everything the edge reads on Sui goes through `core.getObjects` and `core.listEvents`, which the gRPC
// client serves (LedgerService BatchGetObjects and ListEvents).
import { GrpcWebFetchTransport, SuiGrpcClient } from '@mysten/sui/grpc';
import type { SuiEventReader } from '../blob-lifetimes.ts';
import type { SuiObjectReader } from '../committees/sui-committee.ts';
import { raceAbort } from '../race-abort.ts';
import { observedSuiTransport, type SuiCallObserver } from './observed-transport.ts';

/**
 * The public full nodes of Sui Foundation, which serve Sui's gRPC API (grpc-web) on port 443.
 *
 * Checked on 2026-12-01: the SDK's documentation (sdk.mystenlabs.com/sui/clients/grpc) builds
 * `new SuiGrpcClient({ network: 'testnet', baseUrl: 'https://fullnode.testnet.sui.io:443' })`, and
 * mainnet is served at the same pattern (DESIGN §2; migration notes of SDK users from July 2026).
 * The installed @mysten/sui (2.33.1) exports no helper for default gRPC URLs: its only one,
 * `getJsonRpcFullnodeUrl` in `@mysten/sui/jsonRpc`, names the same hosts but belongs to the JSON-RPC
 * client, which these nodes no longer serve (mainnet since the week of 27 July 2026, testnet earlier).
 * These hosts cannot be reached from the project's machines; nothing here was tried against them.
 */
export const SUI_FULLNODE_GRPC_URLS = {
  mainnet: 'https://fullnode.mainnet.sui.io:443',
  testnet: 'https://fullnode.testnet.sui.io:443',
} as const;

/** What the edge reads from Sui: objects (committee, blob objects) and events (lifetimes). */
export type SuiReader = SuiObjectReader & SuiEventReader;

/**
 * A gRPC client of Sui at `baseUrl` (grpc-web, as `new SuiGrpcClient({ baseUrl })` builds it), whose
 * calls an observer may watch (observed-transport.ts: failures by RPC, gas of executed transactions).
 */
export function suiGrpcClient(options: {
  baseUrl: string;
  network: SuiGrpcClient['network'];
  fetch?: typeof fetch;
  observer?: SuiCallObserver;
}): SuiGrpcClient {
  const transport = new GrpcWebFetchTransport({ baseUrl: options.baseUrl, fetch: options.fetch });
  return new SuiGrpcClient({
    network: options.network,
    transport: options.observer ? observedSuiTransport(transport, options.observer) : transport,
  });
}

/**
 * The gRPC client of the edge's configuration: `SUI_RPC_URL`, else the public full node of `NETWORK`.
 * `fetch` replaces the global one (tests). A failed fetch keeps its cause in the message
 * (`fetch failed: getaddrinfo ENOTFOUND …`), which grpc-web alone would drop.
 */
export function suiClientFor(
  config: { NETWORK: 'mainnet' | 'testnet'; SUI_RPC_URL?: string | undefined },
  options: { fetch?: typeof fetch; observer?: SuiCallObserver } = {},
): { client: SuiGrpcClient; url: string } {
  const url = config.SUI_RPC_URL ?? SUI_FULLNODE_GRPC_URLS[config.NETWORK];
  const inner = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const describingFetch: typeof fetch = async (input, init) => {
    try {
      return await inner(input, init);
    } catch (error) {
      if (init?.signal?.aborted) throw error; // an abort stays an abort (the SDK codes it so)
      throw new Error(oneLineMessage(error), { cause: error });
    }
  };
  return {
    // `satisfies`: the gRPC client's core API is what the committee, blob-object and event readers ask.
    client: suiGrpcClient({
      network: config.NETWORK,
      baseUrl: url,
      fetch: describingFetch,
      observer: options.observer,
    }) satisfies SuiReader,
    url,
  };
}

/**
 * An error's message and its causes' (`fetch failed: connect ECONNREFUSED 127.0.0.1:9`), on one line,
 * without repeats. For logs and answers: no stack.
 */
export function oneLineMessage(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    let text: string;
    if (current instanceof Error || (typeof current === 'object' && 'message' in current)) {
      const { message, code } = current as { message?: unknown; code?: unknown };
      text = typeof message === 'string' && message ? message : typeof code === 'string' ? code : '';
    } else {
      text = String(current);
    }
    text = text.replace(/\s+/g, ' ').trim();
    if (text && !parts.some((part) => part.includes(text))) parts.push(text);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(': ') || 'unknown error';
}

/**
 * The endpoint as it may be shown (in errors, logs and the public /status): scheme, host and port.
 * A path and query may hold an access token (some providers put one there), so they are elided, and
 * so are credentials.
 */
export function displayedSuiUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const rest = parsed.pathname !== '/' || parsed.search ? '/…' : '';
    return `${parsed.origin}${rest}`;
  } catch {
    return url;
  }
}

/** Sui could not be asked: unreachable, too slow, or it answered with an error. */
export class SuiUnavailableError extends Error {
  override name = 'SuiUnavailableError';
}

export interface SuiHealth {
  /** The endpoint, as displayedSuiUrl shows it. */
  url: string;
  /** When Sui last answered a call (ISO 8601), null if never. */
  lastSuccessAt: string | null;
  /** The last failure (of a call, or of reading the committee from what Sui answered), null if none. */
  lastError: { message: string; at: string } | null;
}

export interface WatchedSui {
  client: SuiReader;
  /** The endpoint, as displayedSuiUrl shows it. */
  url: string;
  health(): SuiHealth;
  /** Records a failure found in what Sui answered (an unreadable committee, say). */
  noteError(message: string): void;
}

/**
 * `client` with a deadline on every call (`timeoutMs`, on top of the caller's signal) and failures
 * rethrown as `SuiUnavailableError("Sui at <url>: <cause>")`. A caller's own abort is passed through
 * as it is, and is not Sui's failure.
 */
export function watchedSuiClient(client: SuiReader, options: { url: string; timeoutMs: number }): WatchedSui {
  const url = displayedSuiUrl(options.url);
  const { timeoutMs } = options;
  let lastSuccessAt: number | undefined;
  let lastError: { message: string; at: number } | undefined;

  const call = async <T>(signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      // Raced as well as signalled: a client that ignores its signal cannot hold the caller either.
      const result = await raceAbort(
        Promise.resolve().then(() => run(combined)),
        combined,
      );
      lastSuccessAt = Date.now();
      return result;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      const cause = deadline.aborted ? `no answer within ${timeoutMs} ms` : oneLineMessage(error);
      const failure = new SuiUnavailableError(`Sui at ${url}: ${cause}`, { cause: error });
      lastError = { message: failure.message, at: Date.now() };
      throw failure;
    }
  };

  const watched: SuiReader = {
    core: {
      getObjects: (request) =>
        call(request.signal, (signal) => client.core.getObjects({ ...request, signal })),
      listEvents: (request) =>
        call(request.signal, (signal) => client.core.listEvents({ ...request, signal })),
    },
  };
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    client: watched,
    url,
    health: () => ({
      url,
      lastSuccessAt: iso(lastSuccessAt),
      lastError: lastError ? { message: lastError.message, at: iso(lastError.at)! } : null,
    }),
    noteError(message) {
      lastError = { message, at: Date.now() };
    },
  };
}
