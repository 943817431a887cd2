// The Blob objects the publisher registered, kept in one JSON file under the data directory, so that
// what was paid for is never paid for twice: an upload that registered but could not certify (too few
// confirmations) leaves its registration here, and the next upload of the same bytes certifies that
// object instead of buying new storage; a certified deletable blob of ours answers a repeated upload
// as `alreadyCertified` (deletable blobs have no end epoch in the nodes' blob status). The chain stays
// the authority: every entry is checked against the object as Sui holds it before it is used.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

/** Entries whose end epoch has passed are dropped when the file is written. */
export function fileRegistrationBook(path: string, currentEpoch: () => number | undefined): RegistrationBook {
  let entries: Registration[] = [];
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { registrations?: Registration[] };
    entries = Array.isArray(saved.registrations) ? saved.registrations : [];
  } catch {
    // No book yet (or a file cut short by a crash): the chain still has the objects; nothing is lost
    // but the chance to reuse them.
  }
  const save = () => {
    const epoch = currentEpoch();
    if (epoch !== undefined) entries = entries.filter((entry) => entry.endEpoch > epoch);
    mkdirSync(dirname(path), { recursive: true });
    // Written whole to a temporary file and renamed: a crash leaves the old book or the new one.
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ registrations: entries }) + '\n', { mode: 0o600 });
    renameSync(temporary, path);
  };
  return {
    find: (blobId) => entries.filter((entry) => entry.blobId === blobId).reverse(),
    record(registration) {
      entries = [...entries.filter((entry) => entry.objectId !== registration.objectId), registration];
      save();
    },
    forget(objectId) {
      const before = entries.length;
      entries = entries.filter((entry) => entry.objectId !== objectId);
      if (entries.length !== before) save();
    },
  };
}
