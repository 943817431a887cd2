// The publisher's book of registrations on disk: what is recorded is found again by blob ID (newest
// first) after the edge restarts, forgotten objects stay forgotten, a line torn by a crash costs only
// that line, entries past their end epoch are dropped, and the log is compacted when it is opened.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileRegistrationBook, type Registration } from '../../src/publish/registration-book.ts';
import { tempDir } from '../support/devnet.ts';

const dir = tempDir('registration-book');
afterAll(() => dir.remove());

const entry = (objectId: string, blobId: string, endEpoch = 10): Registration => ({
  blobId,
  objectId,
  owner: '0x' + '1'.repeat(64),
  deletable: true,
  endEpoch,
  certified: false,
});

describe('the registration book', () => {
  it('finds what was recorded after a reopen, newest first, without what was forgotten', () => {
    const path = join(dir.path, 'a.jsonl');
    const book = fileRegistrationBook(path, () => 1);
    book.record(entry('0xa', 'blob-1'));
    book.record(entry('0xb', 'blob-1'));
    book.record(entry('0xc', 'blob-2'));
    book.forget('0xc');
    book.record({ ...entry('0xa', 'blob-1'), certified: true });
    const reopened = fileRegistrationBook(path, () => 1);
    expect(reopened.find('blob-1').map((r) => [r.objectId, r.certified])).toEqual([
      ['0xa', true],
      ['0xb', false],
    ]);
    expect(reopened.find('blob-2')).toEqual([]);
    // Compacted on opening: one line per live entry.
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('skips a line torn by a crash and drops entries whose end epoch has passed', () => {
    const path = join(dir.path, 'b.jsonl');
    const book = fileRegistrationBook(path, () => 1);
    book.record(entry('0xd', 'blob-3', 5));
    book.record(entry('0xe', 'blob-3', 20));
    appendFileSync(path, '{"record":{"blobId":"blob-3","objectId":"0xf"');
    const later = fileRegistrationBook(path, () => 5);
    expect(later.find('blob-3').map((r) => r.objectId)).toEqual(['0xe']);
  });
});
