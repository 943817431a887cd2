// The Blob objects the publisher registered, kept in a file under the data directory, so that what
// was paid for is never paid for twice: an upload that registered but could not certify (too few
// confirmations) leaves its registration here, and the next upload of the same bytes certifies that
// object instead of buying new storage; a certified deletable blob of ours answers a repeated upload
// as `alreadyCertified` (deletable blobs have no end epoch in the nodes' blob status). The chain stays
// the authority: every entry is checked against the object as Sui holds it before it is used.
//
// The file is a log, one JSON line per change (`record` or `forget`), so an upload costs one append
// however many entries there are; it is rewritten compactly when the edge starts, dropping entries
// whose end epoch has passed. A line cut short by a crash is skipped: at worst one registration is
// not reused (the chain still has it, and the signer's objects lead back to it).
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Registration {
  blobId: string;
  objectId: string;
  /** The address that owns (and can certify) the object. */
  owner: string;
  deletable: boolean;
  /** Exclusive. */
  endEpoch: number;
  certified: boolean;
}

export interface RegistrationBook {
  /** Registrations of this blob ID, newest first. */
  find(blobId: string): Registration[];
  /** Adds or replaces (by object ID) a registration. */
  record(registration: Registration): void;
  /** Forgets an object (it is gone, given away, or no longer usable). */
  forget(objectId: string): void;
}

type LogLine = { record: Registration } | { forget: string };

/** `currentEpoch`: entries that ended before it are dropped when the book is opened (undefined: none). */
export function fileRegistrationBook(path: string, currentEpoch: () => number | undefined): RegistrationBook {
  /** By object ID, in the order recorded (a Map keeps insertion order: newest last). */
  const entries = new Map<string, Registration>();
  const byBlobId = new Map<string, Set<string>>();
  const add = (registration: Registration) => {
    remove(registration.objectId);
    entries.set(registration.objectId, registration);
    const ids = byBlobId.get(registration.blobId) ?? new Set<string>();
    byBlobId.set(registration.blobId, ids.add(registration.objectId));
  };
  const remove = (objectId: string) => {
    const known = entries.get(objectId);
    if (!known) return false;
    entries.delete(objectId);
    byBlobId.get(known.blobId)?.delete(objectId);
    if (byBlobId.get(known.blobId)?.size === 0) byBlobId.delete(known.blobId);
    return true;
  };

  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // No book yet.
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const change = JSON.parse(line) as LogLine;
      if ('record' in change) add(change.record);
      else remove(change.forget);
    } catch {
      // A line cut short by a crash.
    }
  }
  const epoch = currentEpoch();
  if (epoch !== undefined)
    for (const entry of [...entries.values()]) if (entry.endEpoch <= epoch) remove(entry.objectId);
  mkdirSync(dirname(path), { recursive: true });
  // Rewritten whole to a temporary file and renamed: a crash leaves the old log or the new one.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(
    temporary,
    [...entries.values()].map((record) => JSON.stringify({ record }) + '\n').join(''),
    { mode: 0o600 },
  );
  renameSync(temporary, path);
  const append = (change: LogLine) => appendFileSync(path, JSON.stringify(change) + '\n', { mode: 0o600 });

  return {
    find: (blobId) => [...(byBlobId.get(blobId) ?? [])].map((objectId) => entries.get(objectId)!).reverse(),
    record(registration) {
      add(registration);
      append({ record: registration });
    },
    forget(objectId) {
      if (remove(objectId)) append({ forget: objectId });
    },
  };
}
