// grpc-web framing, checked against the client's own parser (@protobuf-ts/grpcweb-transport, what
// SuiGrpcClient reads responses with) rather than against our encoder.
import {
  GrpcWebFrame,
  readGrpcWebResponseBody,
  readGrpcWebResponseHeader,
  readGrpcWebResponseTrailer,
} from '@protobuf-ts/grpcweb-transport';
import { describe, expect, it } from 'vitest';
import {
  GrpcError,
  GrpcStatusCode,
  grpcWebFormat,
  requestMessage,
  responseBody,
  trailersOnlyHeaders,
} from '../../../src/devnet/sui/grpc-web.ts';
import { bytesToBase64 } from '../../../src/protocol/base64.ts';

function frame(payload: Uint8Array, flag = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

async function parsed(body: Uint8Array, contentType: string) {
  const frames: { type: GrpcWebFrame; data: Uint8Array }[] = [];
  // Fed in 3-byte pieces, as a network might deliver it.
  const pieces = Array.from({ length: Math.ceil(body.length / 3) }, (_, i) =>
    body.subarray(i * 3, i * 3 + 3),
  );
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  await readGrpcWebResponseBody(stream, contentType, (type, data) =>
    frames.push({ type, data: data.slice() }),
  );
  return frames;
}

describe('grpc-web framing', () => {
  it('knows the grpc-web content types and no others', () => {
    expect(grpcWebFormat('application/grpc-web-text')).toBe('text');
    expect(grpcWebFormat('application/grpc-web-text+proto; charset=utf-8')).toBe('text');
    expect(grpcWebFormat('application/grpc-web')).toBe('binary');
    expect(grpcWebFormat('application/grpc-web+proto')).toBe('binary');
    expect(grpcWebFormat('application/grpc-web+json')).toBeUndefined();
    expect(grpcWebFormat('application/grpc')).toBeUndefined();
    expect(grpcWebFormat(undefined)).toBeUndefined();
  });

  it('takes the one message of a request, in binary and in (chunked) base64', () => {
    const message = new Uint8Array([1, 2, 3, 4, 5]);
    expect(requestMessage(frame(message), 'binary')).toEqual(message);
    expect(requestMessage(frame(new Uint8Array(0)), 'binary')).toEqual(new Uint8Array(0));
    // A trailer frame after the message is allowed (and ignored).
    const withTrailer = new Uint8Array([...frame(message), ...frame(new Uint8Array(0), 0x80)]);
    expect(requestMessage(withTrailer, 'binary')).toEqual(message);
    const text = new TextEncoder().encode(
      bytesToBase64(frame(message)) + bytesToBase64(frame(new Uint8Array(0), 0x80)),
    );
    expect(requestMessage(text, 'text')).toEqual(message);
  });

  it('refuses malformed requests with INVALID_ARGUMENT', () => {
    const invalid = (body: Uint8Array, format: 'binary' | 'text' = 'binary') => {
      try {
        requestMessage(body, format);
      } catch (error) {
        return error instanceof GrpcError && error.code === GrpcStatusCode.INVALID_ARGUMENT;
      }
      return false;
    };
    expect(invalid(new Uint8Array(0))).toBe(true);
    expect(invalid(new Uint8Array([0, 0, 0, 0]))).toBe(true);
    expect(invalid(frame(new Uint8Array(9)).subarray(0, 10))).toBe(true);
    expect(invalid(new Uint8Array([...frame(new Uint8Array(1)), ...frame(new Uint8Array(1))]))).toBe(true);
    expect(invalid(frame(new Uint8Array(1), 0x01))).toBe(true);
    expect(invalid(new TextEncoder().encode('@@@@'), 'text')).toBe(true);
    expect(invalid(new TextEncoder().encode('AAAAA'), 'text')).toBe(true);
  });

  for (const format of ['binary', 'text'] as const) {
    const contentType = format === 'text' ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto';
    it(`writes responses the client parses (${format}): DATA frames, then an OK trailer`, async () => {
      const messages = [new Uint8Array([7, 8, 9]), new Uint8Array(0), new Uint8Array(7_000).fill(3)];
      const frames = await parsed(responseBody(messages, format), contentType);
      expect(frames.map((f) => f.type)).toEqual([0, 0, 0, 0x80]);
      expect(frames.slice(0, 3).map((f) => f.data)).toEqual(messages);
      expect(readGrpcWebResponseTrailer(frames[3]!.data)[0]).toBe(GrpcStatusCode.OK);
    });
  }

  it('says errors in the headers of a trailers-only response, the message percent-encoded', () => {
    const error = new GrpcError(GrpcStatusCode.UNIMPLEMENTED, 'no such method: a/b, 100%\nreally');
    const headers = trailersOnlyHeaders(error, 'text');
    const [code, message] = readGrpcWebResponseHeader(headers, 200, 'OK');
    expect(code).toBe(GrpcStatusCode.UNIMPLEMENTED);
    expect(decodeURIComponent(message!)).toBe('no such method: a/b, 100% really');
    expect(headers['content-type']).toBe('application/grpc-web-text+proto');
  });
});
