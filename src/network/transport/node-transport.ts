// How bytes travel to and from storage nodes. The storage-node client speaks through this interface so
// the same client runs on Node (undici pools: keep-alive, HTTP/2, pinned TLS) and on Workers (fetch).

export interface TransportRequest {
  method: 'GET' | 'PUT' | 'POST';
  url: string;
  body?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Whole-request deadline, head and body. */
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  body: Uint8Array;
}

/** Network-level failure (refused, reset, timed out): the node said nothing. */
export class TransportError extends Error {
  override name = 'TransportError';
  readonly kind: 'timeout' | 'unreachable';
  constructor(kind: 'timeout' | 'unreachable', message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface NodeTransport {
  request(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

/** Web-standard transport: runs anywhere fetch does (Workers, browsers, Node). */
export function fetchTransport(fetchImpl: typeof fetch = fetch): NodeTransport {
  return {
    async request({ method, url, body, headers, signal, timeoutMs }) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        const response = await fetchImpl(url, {
          method,
          body: body as Uint8Array<ArrayBuffer> | undefined,
          headers,
          signal: combined,
        });
        return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        if (timeout.aborted)
          throw new TransportError('timeout', `${method} ${url} timed out after ${timeoutMs} ms`);
        throw new TransportError('unreachable', `${method} ${url}: ${(error as Error).message}`);
      }
    },
    async close() {},
  };
}
