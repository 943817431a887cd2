// grpc-web framing, server side (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md), as
// @protobuf-ts/grpcweb-transport (SuiGrpcClient's transport) speaks it: a frame is a flag byte (0x00
// DATA, 0x80 TRAILER), a 4-byte big-endian length and the payload; `application/grpc-web-text` bodies
// are base64 of the frames, `application/grpc-web[+proto]` bodies the raw bytes. Pure: no I/O.
import { GrpcStatusCode } from '@mysten/sui/grpc';
import { base64ToBytes, bytesToBase64 } from '../../protocol/base64.ts';
import { concatBytes } from '../../protocol/bytes.ts';

export { GrpcStatusCode };

export type GrpcWebFormat = 'binary' | 'text';

/** A call that ends with a non-OK status: its code and a message for the caller. */
export class GrpcError extends Error {
  readonly code: GrpcStatusCode;
  constructor(code: GrpcStatusCode, message: string) {
    super(message);
    this.name = 'GrpcError';
    this.code = code;
  }
}

const DATA = 0x00;
const TRAILER = 0x80;

/** The format a Content-Type names, or undefined when it is not grpc-web (+proto or no suffix). */
export function grpcWebFormat(contentType: string | undefined): GrpcWebFormat | undefined {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  switch (type) {
    case 'application/grpc-web':
    case 'application/grpc-web+proto':
      return 'binary';
    case 'application/grpc-web-text':
    case 'application/grpc-web-text+proto':
      return 'text';
    default:
      return undefined;
  }
}

export function contentTypeOf(format: GrpcWebFormat): string {
  return format === 'text' ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto';
}

/** A text body may be several separately padded base64 chunks, one per frame. */
function decodeText(body: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(body).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/=]*$/.test(text)) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'grpc-web-text body is not base64');
  }
  const chunks = text.match(/[A-Za-z0-9+/]*(?:={1,2}|$)/g)!.filter((chunk) => chunk !== '');
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (chunk.replace(/=+$/, '').length % 4 === 1) {
      throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, 'grpc-web-text body is truncated base64');
    }
    parts.push(base64ToBytes(chunk));
  }
  return concatBytes(parts);
}

/** The one message of a unary (or server-streaming) request body; INVALID_ARGUMENT if malformed. */
export function requestMessage(body: Uint8Array, format: GrpcWebFormat): Uint8Array {
  const bytes = format === 'text' ? decodeText(body) : body;
  const messages: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 5) {
      throw new GrpcError(
        GrpcStatusCode.INVALID_ARGUMENT,
        `grpc-web frame header cut short at byte ${offset}`,
      );
    }
    const flag = bytes[offset]!;
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 4).getUint32(0);
    const end = offset + 5 + length;
    if (end > bytes.length) {
      throw new GrpcError(
        GrpcStatusCode.INVALID_ARGUMENT,
        `grpc-web frame at byte ${offset} announces ${length} bytes, ${bytes.length - offset - 5} follow`,
      );
    }
    if (flag === DATA) messages.push(bytes.subarray(offset + 5, end));
    else if (flag !== TRAILER) {
      // Bit 0 set = a compressed message: nothing here negotiates compression.
      throw new GrpcError(
        GrpcStatusCode.INVALID_ARGUMENT,
        `unsupported grpc-web frame flag 0x${flag.toString(16)}`,
      );
    }
    offset = end;
  }
  if (messages.length !== 1) {
    throw new GrpcError(
      GrpcStatusCode.INVALID_ARGUMENT,
      `a grpc-web request carries exactly one message, this one ${messages.length}`,
    );
  }
  return messages[0]!;
}

function frame(flag: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/** gRPC status messages travel percent-encoded (the grpc spec; SuiGrpcClient decodes them). */
export function encodeStatusMessage(message: string): string {
  return encodeURIComponent(message.replace(/[\r\n]+/g, ' '));
}

/** A successful response body: the messages as DATA frames, then a TRAILER frame with status OK. */
export function responseBody(messages: Uint8Array[], format: GrpcWebFormat, end?: GrpcError): Uint8Array {
  const status = end ? end.code : GrpcStatusCode.OK;
  const trailer = `grpc-status:${status}\r\ngrpc-message:${end ? encodeStatusMessage(end.message) : ''}\r\n`;
  const bytes = concatBytes([
    ...messages.map((m) => frame(DATA, m)),
    frame(TRAILER, new TextEncoder().encode(trailer)),
  ]);
  return format === 'text' ? new TextEncoder().encode(bytesToBase64(bytes)) : bytes;
}

/** Headers of a trailers-only response: the status in the HTTP headers and an empty body. */
export function trailersOnlyHeaders(error: GrpcError, format: GrpcWebFormat): Record<string, string> {
  return {
    'content-type': contentTypeOf(format),
    'grpc-status': String(error.code),
    'grpc-message': encodeStatusMessage(error.message),
  };
}
