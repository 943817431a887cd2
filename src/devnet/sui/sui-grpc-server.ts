// The devnet's Sui endpoint: Sui's gRPC API over grpc-web on HTTP/1.1, what `SuiGrpcClient({ baseUrl })`
// sends. A request to `/${service.typeName}/${method.name}` is decoded with the SDK's own protobuf-ts
// MessageType for that method, answered by its handler (sui-rpcs.ts) and encoded back. A method Sui has
// but this server does not serve answers UNIMPLEMENTED, an unknown one too; a malformed frame or message
// INVALID_ARGUMENT. Nothing a client sends ends the process.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GrpcTypes } from '@mysten/sui/grpc';
import {
  contentTypeOf,
  GrpcError,
  GrpcStatusCode,
  grpcWebFormat,
  requestMessage,
  responseBody,
  trailersOnlyHeaders,
  type GrpcWebFormat,
} from './grpc-web.ts';
import type { RpcHandler } from './sui-rpcs.ts';

/** What the server needs of a protobuf-ts MethodInfo. */
interface MethodInfo {
  name: string;
  serverStreaming: boolean;
  clientStreaming: boolean;
  I: { fromBinary(bytes: Uint8Array): object };
  O: { toBinary(message: object): Uint8Array };
}

interface ServiceInfo {
  typeName: string;
  methods: readonly MethodInfo[];
}

/** Every gRPC method the SDK knows, by `service/method` (no leading slash). */
function knownMethods(): Map<string, MethodInfo> {
  const methods = new Map<string, MethodInfo>();
  for (const value of Object.values(GrpcTypes)) {
    const service = value as Partial<ServiceInfo>;
    if (typeof service?.typeName !== 'string' || !Array.isArray(service.methods)) continue;
    for (const method of service.methods) methods.set(`${service.typeName}/${method.name}`, method);
  }
  return methods;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'grpc-status, grpc-message, grpc-status-details-bin',
};

/** Requests larger than this are refused (a real full node caps them too). */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export interface SuiGrpcHandlerOptions {
  /** What the next missing piece is called in UNIMPLEMENTED messages, e.g. why transactions are absent. */
  unimplementedHint?: (path: string) => string | undefined;
}

/** A node:http request handler serving the given RPC handlers over grpc-web. */
export function suiGrpcHandler(
  handlers: ReadonlyMap<string, RpcHandler>,
  options: SuiGrpcHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const methods = knownMethods();
  for (const path of handlers.keys()) {
    if (!methods.has(path)) throw new Error(`a handler for ${path}, which is no Sui gRPC method`);
  }
  return (request, response) => {
    serve(request, response).catch((error: unknown) => {
      // The response may be half written: all that can be done is to end it.
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`internal error: ${(error as Error).message}`);
      } else response.destroy();
    });
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Any web page may call it (a dapp in development, as with a public full node): CORS for all.
    for (const [name, value] of Object.entries(CORS)) response.setHeader(name, value);
    if (request.method === 'OPTIONS') {
      request.resume();
      const asked = request.headers['access-control-request-headers'];
      response.writeHead(204, {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': asked ?? 'content-type, x-grpc-web, x-user-agent, grpc-timeout',
        'access-control-max-age': '86400',
      });
      response.end();
      return;
    }
    const format = grpcWebFormat(request.headers['content-type']);
    if (request.method !== 'POST' || !format) {
      request.resume();
      const status = request.method !== 'POST' ? 405 : 415;
      response.writeHead(status, {
        'content-type': 'text/plain',
        'grpc-status': String(
          request.method !== 'POST' ? GrpcStatusCode.UNIMPLEMENTED : GrpcStatusCode.INVALID_ARGUMENT,
        ),
        'grpc-message': 'this is a Sui gRPC endpoint: POST grpc-web (application/grpc-web[-text][+proto])',
        ...(status === 405 ? { allow: 'POST' } : {}),
      });
      response.end('this is a Sui gRPC endpoint (grpc-web): POST application/grpc-web-text or +proto\n');
      return;
    }
    const fail = (error: GrpcError) => {
      response.writeHead(200, trailersOnlyHeaders(error, format));
      response.end();
    };
    const path = (request.url ?? '/').split('?')[0]!.replace(/^\/+/, '');
    const method = methods.get(path);
    const handler = handlers.get(path);
    if (!method || !handler) {
      request.resume();
      const hint = options.unimplementedHint?.(path);
      return fail(
        new GrpcError(
          GrpcStatusCode.UNIMPLEMENTED,
          method
            ? `${path} is not served by the walrus-edge devnet's Sui endpoint${hint ? `: ${hint}` : ''}`
            : `unknown method ${path}`,
        ),
      );
    }
    if (method.clientStreaming) {
      request.resume();
      return fail(
        new GrpcError(GrpcStatusCode.UNIMPLEMENTED, `${path} streams from the client; grpc-web cannot`),
      );
    }
    const body = await readBody(request);
    if (body === undefined) {
      return fail(
        new GrpcError(GrpcStatusCode.RESOURCE_EXHAUSTED, `request larger than ${MAX_REQUEST_BYTES} bytes`),
      );
    }
    let messages: object[];
    try {
      const bytes = requestMessage(body, format);
      let input: object;
      try {
        input = method.I.fromBinary(bytes);
      } catch (error) {
        throw new GrpcError(
          GrpcStatusCode.INVALID_ARGUMENT,
          `the request is no ${path} request message: ${(error as Error).message}`,
        );
      }
      const output = await handler(input);
      messages = Array.isArray(output) ? output : [output];
      if (!method.serverStreaming && messages.length !== 1) {
        throw new GrpcError(GrpcStatusCode.INTERNAL, `${path} answered ${messages.length} messages`);
      }
    } catch (error) {
      return fail(
        error instanceof GrpcError
          ? error
          : new GrpcError(GrpcStatusCode.INTERNAL, `${path} failed: ${(error as Error).message}`),
      );
    }
    send(
      response,
      format,
      messages.map((message) => method.O.toBinary(message)),
    );
  }
}

function send(response: ServerResponse, format: GrpcWebFormat, messages: Uint8Array[]): void {
  const body = responseBody(messages, format);
  response.writeHead(200, { 'content-type': contentTypeOf(format), 'content-length': body.length });
  response.end(body);
}

/** The whole body, or undefined (and the rest discarded) once it exceeds the limit. */
async function readBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      request.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
