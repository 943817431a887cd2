// How the reader reports its requests to storage nodes (ReadObserver.nodeRequestEnded, for metrics): what
// was asked and how it ended, in the terms the node scores use.
import type { CommitteeNode } from '../network/committee.ts';
import type { AttemptResult } from './attempt-policy.ts';

/** Reports one request's end to the observer (the fetchers call it; see ReadObserver.nodeRequestEnded). */
export type RequestEnded = (node: CommitteeNode, result: AttemptResult, ms: number) => void;

/** What a request to a storage node asked for: a blob's metadata, or one sliver (primary or secondary). */
export type NodeRequestKind = 'metadata' | 'sliver';

/**
 * How a request to a storage node ended, as the node scores read it: ok (an answer; for metadata a 404
 * or 451 too, which are answers toward a quorum), invalid (bytes that do not verify), timeout, failed
 * (anything else: refused, unreachable, an error status; for a sliver a 404 too, since the metadata
 * says the blob exists), cancelled (called off by the reader: the read was done or decoded without it).
 */
export type NodeRequestOutcome = 'ok' | 'failed' | 'invalid' | 'timeout' | 'cancelled';

/** The outcome of an attempt (attempt-policy.ts) as nodeRequestEnded reports it. */
export function nodeRequestOutcome(kind: NodeRequestKind, result: AttemptResult): NodeRequestOutcome {
  switch (result.kind) {
    case 'ok':
    case 'invalid':
    case 'timeout':
    case 'cancelled':
      return result.kind;
    case 'unreachable':
      return 'failed';
    case 'status':
      return kind === 'metadata' && (result.status === 404 || result.status === 451) ? 'ok' : 'failed';
  }
}
