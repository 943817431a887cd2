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
  /** The line, newline included; every character is one byte. */
  return (line: AccessLogLine, time = Date.now()): string => {
    // A method is an HTTP token (node:http refuses others), so it and the status never need quoting.
    const plainUrl = PLAIN.test(line.url);
    const url = plainUrl ? `"${line.url}"` : quoted(line.url);
    const message = `${line.method} ${line.url} ${line.status}`;
    const bytes = line.bytes === undefined ? '' : `,"bytes":${line.bytes}`;
    return (
      `{"level":${INFO},"time":${time}${base}${quoted(line.requestId)},"method":"${line.method}",` +
      `"url":${url},"status":${line.status}${bytes},"ms":${line.ms},"completed":${line.completed}},` +
      `"msg":${plainUrl ? `"${message}"` : quoted(message)}}\n`
    );
  };
}
