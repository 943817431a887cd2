// Node transport: one undici Pool per storage node, kept alive across requests, HTTP/2 when the node
// offers it over TLS. A reader talks to hundreds of nodes thousands of times a minute; new TCP and TLS
// handshakes per sliver would dominate its latency.
import { Agent } from './undici-package.ts';
import { TransportError, type NodeTransport } from './node-transport.ts';
import { pinnedTlsConnector, type PinLookup } from './pinned-tls.ts';

export interface UndiciTransportOptions {
  /** Connections per node. */
  connectionsPerNode?: number;
  /**
   * Network public keys of nodes whose certificates may be self-signed (DESIGN §2), by `host:port`.
   * With it, a node is trusted if its certificate is CA-valid for its host, or else carries the pinned
   * key (see pinned-tls.ts); without it, only CA-valid certificates are.
   */
  pins?: PinLookup;
  /** Extra connect/TLS options (timeout, CA certificates, ...), or a whole connector without `pins`. */
  connect?: Agent.Options['connect'];
}

export function undiciTransport(options: UndiciTransportOptions = {}): NodeTransport {
  let connect = options.connect;
  if (options.pins) {
    if (typeof connect === 'function')
      throw new TypeError('undiciTransport: pins and a connect function exclude each other');
    connect = pinnedTlsConnector({ pins: options.pins, connect });
  }
  const agent = new Agent({
    connections: options.connectionsPerNode ?? 32,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    allowH2: true,
    connect,
  });
  return {
    async request({ method, url, body, headers, signal, timeoutMs }) {
      // One controller and a timer cleared on the way out, rather than AbortSignal.timeout + .any: an
      // upload makes thousands of requests, and each of those timers would otherwise fire (building a
      // DOMException) long after its request was done, and .any's bookkeeping showed in CPU profiles.
      const aborted = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        aborted.abort();
      }, timeoutMs);
      const onAbort = () => aborted.abort(signal?.reason);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      const target = new URL(url);
      try {
        const response = await agent.request({
          origin: target.origin,
          path: target.pathname + target.search,
          method,
          body: body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined,
          headers,
          signal: aborted.signal,
        });
        const bytes = new Uint8Array(await response.body.arrayBuffer());
        return { status: response.statusCode, body: bytes };
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        if (timedOut) throw new TransportError('timeout', `${method} ${url} timed out after ${timeoutMs} ms`);
        throw new TransportError('unreachable', `${method} ${url}: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    },
    close: () => agent.close(),
  };
}
