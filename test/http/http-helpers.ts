// Shared by the aggregator HTTP tests: an edge on an embedded devnet, a fetch that keeps the body as
// bytes, an AIP-193 checker, a multipart/byteranges parser, and the devnet nodes' fault and stats knobs.
import { expect } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { formatBlobId } from '../../src/protocol/blob-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault } from '../support/devnet.ts';
import { startTestEdge as startGenericTestEdge, type TestEdge } from '../support/edge.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export type { TestEdge } from '../support/edge.ts';
export { nodeRequests } from '../support/devnet.ts';

/** The aggregator tests' edge: admin enabled, short deadlines so failures come back quickly. */
export function startTestEdge(env: Record<string, string> = {}): Promise<TestEdge> {
  return startGenericTestEdge({
    ADMIN_TOKEN,
    READ_DEADLINE_MS: '10000',
    NODE_REQUEST_TIMEOUT_MS: '4000',
    ...env,
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The body parsed as JSON (throws if it is not). */
  json(): unknown;
  text(): string;
}

export async function call(
  base: string,
  path: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<Answer> {
  const { timeoutMs = 15_000, ...rest } = init;
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs), ...rest });
  const body = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    body,
    json: () => JSON.parse(new TextDecoder().decode(body)),
    text: () => new TextDecoder().decode(body),
  };
}

/** The problems of an AIP-193 error body (DESIGN §5), or [] when it is well-formed for `httpStatus`. */
export function aip193Problems(value: unknown, httpStatus: number): string[] {
  const problems: string[] = [];
  const error = (value as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  if (typeof error !== 'object' || error === null) return ['no error object'];
  if (error.code !== httpStatus) problems.push(`code ${String(error.code)} ≠ HTTP ${httpStatus}`);
  if (typeof error.status !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(error.status))
    problems.push(`status ${String(error.status)} is not UPPER_SNAKE_CASE`);
  if (typeof error.message !== 'string' || error.message.length === 0) problems.push('no message');
  if (!Array.isArray(error.details)) return [...problems, 'details is not an array'];
  const info = error.details.find(
    (d: unknown) =>
      typeof d === 'object' && d !== null && (d as Record<string, unknown>)['@type'] === 'ErrorInfo',
  ) as Record<string, unknown> | undefined;
  if (!info) return [...problems, 'details has no ErrorInfo'];
  if (typeof info.reason !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(info.reason))
    problems.push(`reason ${String(info.reason)} is not UPPER_SNAKE_CASE`);
  if (typeof info.domain !== 'string' || info.domain.length === 0) problems.push('no domain');
  if (typeof info.metadata !== 'object' || info.metadata === null) problems.push('no metadata object');
  return problems;
}

/** Asserts an AIP-193 JSON error with this status (and reason, when given); returns the reason. */
export function expectError(answer: Answer, status: number, reason?: string): string {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  const body = answer.json() as { error: { details: { reason: string }[] } };
  expect(aip193Problems(body, status)).toEqual([]);
  const actual = body.error.details[0]!.reason;
  if (reason) expect(actual).toBe(reason);
  return actual;
}

export interface Part {
  contentType: string;
  start: number;
  /** Inclusive, as Content-Range says. */
  last: number;
  size: number;
  bytes: Uint8Array;
}

/**
 * Parses a multipart/byteranges body strictly (RFC 9110 §14.6 / RFC 2046): every part must start with
 * the boundary, carry a Content-Range, and hold exactly the bytes it announces; the closing delimiter
 * must end the body.
 */
export function parseByteranges(contentType: string, body: Uint8Array): Part[] {
  const boundary = /^multipart\/byteranges;\s*boundary=("?)([^";]+)\1$/i.exec(contentType)?.[2];
  if (!boundary) throw new Error(`not multipart/byteranges: ${contentType}`);
  const latin1 = (from: number, to: number) => String.fromCharCode(...body.subarray(from, to));
  const parts: Part[] = [];
  let at = 0;
  for (;;) {
    const delimiter = `${parts.length === 0 ? '' : '\r\n'}--${boundary}`;
    if (latin1(at, at + delimiter.length) !== delimiter) throw new Error(`expected a delimiter at ${at}`);
    at += delimiter.length;
    if (latin1(at, at + 4) === '--\r\n') {
      if (at + 4 !== body.length) throw new Error('bytes after the closing delimiter');
      return parts;
    }
    if (latin1(at, at + 2) !== '\r\n') throw new Error(`expected CRLF after the delimiter at ${at}`);
    at += 2;
    const headers = new Map<string, string>();
    for (;;) {
      const end = body.indexOf(0x0a, at);
      if (end < 0 || body[end - 1] !== 0x0d) throw new Error('unterminated part header');
      const line = latin1(at, end - 1);
      at = end + 1;
      if (line === '') break;
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headers.get('content-range') ?? '');
    if (!range) throw new Error(`part without a Content-Range: ${headers.get('content-range')}`);
    const [start, last, size] = [Number(range[1]), Number(range[2]), Number(range[3])];
    parts.push({
      contentType: headers.get('content-type') ?? '',
      start,
      last,
      size,
      bytes: body.slice(at, at + last - start + 1),
    });
    at += last - start + 1;
  }
}

/** Sets every storage node of the devnet to a fault mode ('ok' to heal). */
export async function faultAll(devnet: RunningDevnet, mode: string, delayMs?: number): Promise<void> {
  await Promise.all(
    devnet.committee.nodes.map(async (node) => {
      const response = await postFault(node.url, mode, delayMs);
      expect(response.status).toBe(200);
    }),
  );
}

export async function resetNodeStats(devnet: RunningDevnet): Promise<void> {
  await Promise.all(
    devnet.committee.nodes.map((node) => fetch(`${node.url}/_devnet/stats/reset`, { method: 'POST' })),
  );
}

/** A well-formed blob ID that nothing was stored under. */
export function unknownBlobId(seed: number): string {
  return formatBlobId(randomBytes(32, seed));
}

/** A well-formed object ID that no object has. */
export function unknownObjectId(seed: number): string {
  return `0x${Array.from(randomBytes(32, seed), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}
