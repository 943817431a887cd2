// IDs this edge refuses to serve (451 FORBIDDEN_BLOB): blob IDs, quilt IDs, patch IDs or object IDs.
// The Node composition root backs it with a file it re-reads on change (src/http/blocklist-file.ts).

/** What a blocklist may name: a blob or quilt ID, a quilt patch ID, or a Sui object ID. */
export const BLOCKABLE_ID = /^([A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{50}|0x[0-9a-f]{64})$/;

export interface Blocklist {
  has(id: string): boolean;
  add(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  list(): string[];
}

/** One ID per line; blank lines and `#` comments ignored. */
export function parseBlocklist(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.length > 0);
}
