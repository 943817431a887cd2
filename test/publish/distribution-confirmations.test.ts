// The confirmation tally on its own, with real BLS keys and signatures: which confirmations make the
// certificate when some nodes are byzantine (a forged or malformed signature, another message, the
// same node twice). The certificate is checked with the committee's keys, as the chain checks it.
import { describe, expect, it } from 'vitest';
import type { Committee } from '../../src/network/committee.ts';
import { bytesToBase64, base64ToBytes } from '../../src/protocol/base64.ts';
import { blsSign, blsVerifyAggregate, generateBlsKeyPair } from '../../src/protocol/bls.ts';
import { confirmationMessage } from '../../src/protocol/confirmation.ts';
import { ConfirmationTally, type NodeConfirmation } from '../../src/publish/distribution-confirmations.ts';

// 10 shards, 4 nodes with weights 4, 3, 2, 1: f = 3, a quorum is 7 shards.
const weights = [4, 3, 2, 1];
const keys = weights.map((_, i) => generateBlsKeyPair(new Uint8Array(48).fill(i + 1)));
let next = 0;
const committee: Committee = {
  nShards: 10,
  epoch: 1,
  nodes: weights.map((weight, i) => ({
    name: `node-${i}`,
    url: `http://127.0.0.1:${9000 + i}`,
    blsPublicKey: bytesToBase64(keys[i]!.publicKey),
    shards: Array.from({ length: weight }, () => next++),
    nodeId: '0x' + String(i).repeat(64),
  })),
};
const blobId = new Uint8Array(32).fill(9);
const message = confirmationMessage(1, blobId, { kind: 'permanent' });
const signed = (index: number, by = index, signedMessage = message): NodeConfirmation => ({
  index,
  serializedMessage: signedMessage,
  signature: blsSign(signedMessage, keys[by]!.secretKey),
});
const verifiesOnChain = (signers: number[], signature: Uint8Array) =>
  blsVerifyAggregate(
    signature,
    message,
    signers.map((i) => base64ToBytes(committee.nodes[i]!.blsPublicKey)),
  );

function tally(...confirmations: NodeConfirmation[]): ConfirmationTally {
  const t = new ConfirmationTally(committee);
  for (const c of confirmations) t.add(c);
  return t;
}

describe('ConfirmationTally', () => {
  it('certifies honest confirmations covering a quorum by weight, not by node count', () => {
    const result = tally(signed(0), signed(1)).check();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.confirmedShards).toBe(7);
    expect(result.certificate.signers).toEqual([0, 1]);
    expect(verifiesOnChain([0, 1], result.certificate.signature)).toBe(true);
    // Three nodes of the lightest weights are fewer shards than a quorum.
    const light = tally(signed(1), signed(2), signed(3)).check();
    expect(light).toMatchObject({ ok: false, confirmedShards: 6, signers: [1, 2, 3] });
  });

  it('drops a signature made with another key, and a malformed one, and certifies with the rest', () => {
    const forged = signed(1, 3);
    const malformed = { ...signed(2), signature: new Uint8Array(96).fill(0xab) };
    const t = tally(signed(0), forged, malformed, signed(3));
    // Counted optimistically until checked...
    expect(t.optimisticShards).toBe(10);
    const result = t.check();
    // ...then only 0 and 3 are valid: 5 shards, not a quorum.
    expect(result).toMatchObject({ ok: false, confirmedShards: 5, signers: [0, 3] });
    expect(t.optimisticShards).toBe(5);
    // A node is heard once: the forger sending an honest signature afterwards changes nothing.
    t.add(signed(1));
    expect(t.check()).toMatchObject({ ok: false, confirmedShards: 5 });

    const certified = tally(signed(0), forged, signed(2), signed(3)).check();
    expect(certified.ok).toBe(true);
    if (!certified.ok) return;
    expect(certified.certificate.signers).toEqual([0, 2, 3]);
    expect(verifiesOnChain([0, 2, 3], certified.certificate.signature)).toBe(true);
    const despiteGarbage = tally(signed(0), signed(1), malformed).check();
    expect(despiteGarbage.ok && despiteGarbage.certificate.signers).toEqual([0, 1]);
  });

  it('groups by message: a node signing another message neither counts nor spoils the certificate', () => {
    const otherEpoch = confirmationMessage(2, blobId, { kind: 'permanent' });
    const t = tally(signed(0), signed(1, 1, otherEpoch), signed(2), signed(3));
    const result = t.check();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.certificate.signers).toEqual([0, 2, 3]);
    expect(result.certificate.serializedMessage).toEqual(message);
    expect(verifiesOnChain([0, 2, 3], result.certificate.signature)).toBe(true);
  });

  it('grows the certificate with late confirmations, leaving a late forged one out', () => {
    const t = tally(signed(0), signed(1));
    expect(t.check().ok).toBe(true);
    t.add(signed(2));
    t.add(signed(3, 0)); // forged, late
    const result = t.check();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.certificate.signers).toEqual([0, 1, 2]);
    expect(result.confirmedShards).toBe(9);
    expect(verifiesOnChain([0, 1, 2], result.certificate.signature)).toBe(true);
  });
});
