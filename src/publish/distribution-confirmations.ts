// The confirmations a distribution has collected so far, and the certificate they make. Grouped by the
// message signed (honest nodes of one epoch sign byte-identical messages), counted by shard weight, and
// checked optimistically: one aggregate verification of the signatures not yet verified per check, each
// on its own only when that fails — so honest nodes cost one pairing check per check, and one byzantine
// signature cannot spoil the certificate (it is found, dropped, and never checked again).
import { base64ToBytes } from '../protocol/base64.ts';
import { isQuorum } from '../protocol/confirmation.ts';
import type { Committee } from '../network/committee.ts';
import { aggregateSignatures, verifiesAggregate } from './distribution-bls.ts';

/** The certificate a blob is certified with: the signers' committee indices, the message, one signature. */
export interface BlobCertificate {
  signers: number[];
  serializedMessage: Uint8Array;
  signature: Uint8Array;
}

export interface NodeConfirmation {
  /** The node's index in the committee. */
  index: number;
  serializedMessage: Uint8Array;
  signature: Uint8Array;
}

export type TallyCheck =
  | { ok: true; certificate: BlobCertificate; confirmedShards: number }
  /** signers: the heaviest group's nodes whose signatures verified, too few for a quorum. */
  | { ok: false; confirmedShards: number; signers: number[] };

/** Confirmations of one message; `aggregate` combines the signatures already verified. */
interface Group {
  members: NodeConfirmation[];
  aggregate?: Uint8Array;
}

export class ConfirmationTally {
  readonly #committee: Committee;
  /** Message (as a map key) → its confirmations not found invalid. */
  readonly #groups = new Map<string, Group>();
  /** Confirmations whose signature is known to verify (alone or within a verified aggregate). */
  readonly #verified = new Set<NodeConfirmation>();
  /** Nodes heard from: a node counts once, whatever it sends again. */
  readonly #seen = new Set<number>();

  constructor(committee: Committee) {
    this.#committee = committee;
  }

  add(confirmation: NodeConfirmation): void {
    if (this.#seen.has(confirmation.index)) return;
    this.#seen.add(confirmation.index);
    const key = confirmation.serializedMessage.join(',');
    const group = this.#groups.get(key) ?? { members: [] };
    group.members.push(confirmation);
    this.#groups.set(key, group);
  }

  /** The heaviest group's weight with unchecked signatures counted as valid: what a check can at most find. */
  get optimisticShards(): number {
    return Math.max(0, ...[...this.#groups.values()].map((group) => this.#weight(group.members)));
  }

  /**
   * Verifies the heaviest group until all its signatures are known good, and answers what it makes.
   * Only signatures not yet verified are checked (one aggregate for all of them), so checking again as
   * more confirmations arrive costs one verification, not one per confirmation so far.
   */
  check(): TallyCheck {
    for (;;) {
      const best = this.#heaviest();
      if (!best) return { ok: false, confirmedShards: 0, signers: [] };
      const message = best.members[0]!.serializedMessage;
      const unverified = best.members.filter((c) => !this.#verified.has(c));
      if (unverified.length > 0 && !this.#verifies(unverified, message)) {
        for (const c of unverified) {
          if (this.#verifies([c], message)) this.#accept(best, [c]);
          else this.#reject(best, c);
        }
        // Rejections may have made another group the heaviest: look again.
        continue;
      }
      if (unverified.length > 0) this.#accept(best, unverified);
      const confirmedShards = this.#weight(best.members);
      const signers = best.members.map((c) => c.index).sort((a, b) => a - b);
      if (!isQuorum(confirmedShards, this.#committee.nShards)) return { ok: false, confirmedShards, signers };
      return {
        ok: true,
        confirmedShards,
        certificate: { signers, serializedMessage: message, signature: best.aggregate! },
      };
    }
  }

  #heaviest(): Group | undefined {
    let best: Group | undefined;
    for (const group of this.#groups.values()) {
      if (group.members.length === 0) continue;
      if (!best || this.#weight(group.members) > this.#weight(best.members)) best = group;
    }
    return best;
  }

  #verifies(confirmations: NodeConfirmation[], message: Uint8Array): boolean {
    let signature;
    try {
      signature = aggregateSignatures(confirmations.map((c) => c.signature));
    } catch {
      // A signature that is not a curve point makes the aggregate fail; the one-by-one pass finds it.
      return false;
    }
    const keys = confirmations.map((c) => base64ToBytes(this.#committee.nodes[c.index]!.blsPublicKey));
    return verifiesAggregate(signature, message, keys);
  }

  #accept(group: Group, confirmations: NodeConfirmation[]): void {
    const signatures = confirmations.map((c) => c.signature);
    group.aggregate = aggregateSignatures(group.aggregate ? [group.aggregate, ...signatures] : signatures);
    for (const c of confirmations) this.#verified.add(c);
  }

  /** Out of the tally for good: a node's one confirmation is never checked twice. */
  #reject(group: Group, confirmation: NodeConfirmation): void {
    group.members = group.members.filter((c) => c !== confirmation);
  }

  #weight(members: NodeConfirmation[]): number {
    return members.reduce((sum, c) => sum + this.#committee.nodes[c.index]!.shards.length, 0);
  }
}
