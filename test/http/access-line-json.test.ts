// The access line built by hand (src/http/access-line-json.ts) is the record pino writes for the same
// line: a log shipper parsing either sees the same keys, values and order — for plain URLs and for
// those JSON must escape (quotes, backslashes, control characters, non-ASCII), one line after another.
import { Writable } from 'node:stream';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { accessLineFormat } from '../../src/http/access-line-json.ts';
import { accessLogTo, type AccessLogLine } from '../../src/http/request-log.ts';

/** What pino itself writes for `lines`, each with the time it gave it. */
function pinoLines(lines: AccessLogLine[]): string[] {
  const written: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = accessLogTo(pino({ level: 'info' }, sink));
  for (const line of lines) log(line);
  return written;
}

const line = (url: string, extra: Partial<AccessLogLine> = {}): AccessLogLine => ({
  requestId: '6f1c2c9e-7a9b-4b1e-9d55-0e9a1c3f5b21',
  method: 'GET',
  url,
  status: 200,
  bytes: 65536,
  ms: 0.12,
  completed: true,
  ...extra,
});

const HOT = '/v1/blobs/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';
const LINES = [
  line(HOT),
  // The formatter keeps the text of the last answer (access-line-json.ts): lines that differ from the
  // one before only in the moment, or in one thing said of the answer, each come out as pino's.
  line(HOT, { requestId: 'client-trace-1', ms: 0.07 }),
  line(HOT, { status: 206 }),
  line(HOT, { status: 206, bytes: 1024 }),
  line(HOT, { status: 206, bytes: 1024, completed: false }),
  line(HOT, { status: 206, bytes: 1024, completed: false, method: 'HEAD' }),
  line(`${HOT}?x`, { status: 206, bytes: 1024, completed: false, method: 'HEAD' }),
  line('/v1/blobs/x?w=256&format=webp', { status: 304, bytes: undefined, ms: 12.5, completed: false }),
  line('/a"quote\\back', { requestId: 'client-"id"\\x', method: 'HEAD' }),
  line('/tab\there\u0001\u007f', { status: 404, bytes: 0 }),
  // node:http hands over a URL's bytes as Latin-1; wider characters come from other callers.
  line('/caf\u00e9/\u00ff/\u732b/\u{1f600}', { method: 'PUT', status: 413, ms: 1234.56 }),
];

describe('the access line, without pino', () => {
  it('is the record pino writes for the same line, key for key and in the same order', () => {
    const format = accessLineFormat(process.pid, hostname());
    const fromPino = pinoLines(LINES);
    LINES.forEach((entry, index) => {
      const theirs = JSON.parse(fromPino[index]!) as { time: number; access: object };
      const ours = format(entry, theirs.time);
      expect(ours.endsWith('\n')).toBe(true);
      expect(JSON.parse(ours)).toEqual(theirs);
      expect(Object.keys(JSON.parse(ours))).toEqual(Object.keys(theirs));
      expect(Object.keys(JSON.parse(ours).access)).toEqual(Object.keys(theirs.access));
    });
    expect(JSON.parse(format(LINES[0]!)).hostname).toBe(hostname());
  });

  it('is all ASCII, so the buffer takes it a character a byte', () => {
    const format = accessLineFormat(process.pid, hostname());
    for (const entry of LINES) expect(format(entry)).toMatch(/^[\x20-\x7e]*\n$/);
  });
});
