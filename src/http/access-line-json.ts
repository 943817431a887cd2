// One access line as the JSON line pino writes for `log.info({ access }, 'GET /url 200')` — the same
// keys, in the same order, with pino's base fields (level, time, pid, hostname) — but built as one
// template string, all ASCII (anything else is escaped, as JSON allows), so it is copied into the
// log's buffer byte for byte. On a 64 KiB memory hit pino's serialization of that record cost 5 µs of
// CPU (its nested-object path); this costs under 1 µs (bench/fast-path-cost.ts, "… + access log").
// Log shippers read the same record: test/http/access-line-json.test.ts parses both.
import type { AccessLogLine } from './request-log.ts';

/** pino's number for info. */
const INFO = 30;

/** Printable ASCII but `"` and `\`: what JSON quotes as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NOT_ASCII = /[\u007f-\uffff]/g;
const escaped = (unit: string) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
/** A JSON string of ASCII only. */
const quoted = (text: string) =>
  PLAIN.test(text) ? `"${text}"` : JSON.stringify(text).replace(NOT_ASCII, escaped);

/** Lines of the process `pid` on `host`: pino's base fields (os.hostname()), as pino writes them. */
export function accessLineFormat(pid: number, host: string) {
  const base = `,"pid":${pid},"hostname":${quoted(host)},"access":{"requestId":`;
  // What a line says of the request and its answer (method, URL, status, bytes, completed) repeats
  // from line to line while a blob is hot; only the time, the request ID and ms change. The text of
  // the last one is kept and built again when it differs: a line costs half as much so (0.6 against
  // 0.3 µs with its copy into the log's buffer, a scratch loop of 64 KiB hits' lines, 2026-12-03).
  let last: AccessLogLine | undefined;
  let middle = '';
  let end = '';
  /** The line, newline included; every character is one byte. */
  return (line: AccessLogLine, time = Date.now()): string => {
    if (!last || !sameAnswer(line, last)) {
      // A method is an HTTP token (node:http refuses others), so it and the status never need quoting.
      const plainUrl = PLAIN.test(line.url);
      const url = plainUrl ? `"${line.url}"` : quoted(line.url);
      const message = `${line.method} ${line.url} ${line.status}`;
      const bytes = line.bytes === undefined ? '' : `,"bytes":${line.bytes}`;
      middle = `,"method":"${line.method}","url":${url},"status":${line.status}${bytes},"ms":`;
      end = `,"completed":${line.completed}},"msg":${plainUrl ? `"${message}"` : quoted(message)}}\n`;
      last = line;
    }
    return `{"level":${INFO},"time":${time}${base}${quoted(line.requestId)}${middle}${line.ms}${end}`;
  };
}

const sameAnswer = (a: AccessLogLine, b: AccessLogLine) =>
  a.url === b.url &&
  a.method === b.method &&
  a.status === b.status &&
  a.bytes === b.bytes &&
  a.completed === b.completed;
