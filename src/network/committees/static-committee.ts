// A committee that never changes: given as an object, or read once from a committee.json-shaped file
// (DESIGN §4). For fixed test networks and for pinning a committee by hand; it follows no epochs.
import { readFile } from 'node:fs/promises';
import type { Committee } from '../committee.ts';
import {
  InvalidCommitteeError,
  parseCommittee,
  type CommitteeSource,
  type CommitteeView,
} from '../committee-source.ts';

/**
 * Reads and validates a committee.json-shaped file. Throws `InvalidCommitteeError` naming the file
 * and what is wrong with it: missing, not JSON, or not a committee (with the offending field).
 */
export async function readCommitteeFile(path: string): Promise<Committee> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidCommitteeError(`cannot read committee file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidCommitteeError(`committee file ${path} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseCommittee(json, `committee file ${path}`);
}

/** A source that always answers with `committee` (validated here; throws `InvalidCommitteeError`). */
export function staticCommitteeSource(committee: unknown, origin = 'static committee'): CommitteeSource {
  const parsed = parseCommittee(committee, origin);
  const view: CommitteeView = {
    epoch: parsed.epoch,
    committee: parsed,
    epochChangeInProgress: false,
    loadedAt: Date.now(),
  };
  let closed = false;
  return {
    current: async () => {
      if (closed) throw new Error('committee source is closed');
      return view;
    },
    refresh: async () => {},
    close: () => {
      closed = true;
    },
  };
}

/** `staticCommitteeSource` over the file at `path`, read once now. */
export async function staticCommitteeSourceFromFile(path: string): Promise<CommitteeSource> {
  return staticCommitteeSource(await readCommitteeFile(path), `committee file ${path}`);
}
