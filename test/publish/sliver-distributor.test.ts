// The publisher's sliver distribution against a real devnet (13 nodes, 100 shards: quorum 67 shards),
// with nodes that are down, never confirm, fail transiently, sign as someone else, or stall. Witnesses:
// the nodes' own request counters (GET /_devnet/stats) and the devnet chain certifying the certificate
// (it checks the signers' shard weight and the aggregate BLS signature against the committee's keys).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeBlob, type EncodedBlob } from '../../src/codec/blob-encoder.ts';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import type { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { StorageNodeClient } from '../../src/network/storage-node-client.ts';
import { blsVerifyAggregate } from '../../src/protocol/bls.ts';
import { base64ToBytes } from '../../src/protocol/base64.ts';
import { formatBlobId } from '../../src/protocol/blob-id.ts';
import { backgroundTasks } from '../../src/publish/distribution-background.ts';
import { quorumFirstRanks, sharedUploadSlots } from '../../src/publish/distribution-slots.ts';
import {
  aggregateConfirmations,
  distributeBlob,
  type DistributeInput,
  type DistributeOutcome,
  type DistributionObserver,
  type NodeOutcome,
} from '../../src/publish/sliver-distributor.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { fundedAccount, postFault, startTestDevnet } from '../support/devnet.ts';

const NODES = 13;
const SHARDS = 100;
const QUORUM = 67;

let devnet: RunningDevnet;
let chain: DevnetChainClient;
let sender: string;
let seed = 4100;

beforeAll(async () => {
  devnet = await startTestDevnet({ nodes: NODES, shards: SHARDS });
  ({ chain, sender } = await fundedAccount(devnet));
});
afterAll(async () => {
  await devnet?.stop();
});
afterEach(async () => {
  await Promise.all(devnet.committee.nodes.map((node) => postFault(node.url, 'ok')));
});

const node = (index: number) => devnet.committee.nodes[index]!;
const weight = (indices: number[]) => indices.reduce((sum, i) => sum + node(i).shards.length, 0);

/** A fresh blob, encoded and registered on the devnet chain so the nodes accept its slivers. */
async function registeredBlob(
  size = 20_000,
  { resetStats = true } = {},
): Promise<{ encoded: EncodedBlob; blobId: string; objectId: string }> {
  const encoded = encodeBlob(randomBytes(size, seed++), SHARDS);
  const blobId = formatBlobId(encoded.blobId);
  const blob = await chain.registerBlob({
    sender,
    rootHash: encoded.rootHash,
    size,
    epochs: 2,
    deletable: false,
  });
  expect(blob.blobId).toBe(blobId);
  // Counters from here on belong to this blob only.
  if (resetStats)
    await Promise.all(
      devnet.committee.nodes.map((n) => fetch(`${n.url}/_devnet/stats/reset`, { method: 'POST' })),
    );
  return { encoded, blobId, objectId: blob.id };
}

function distribute(blob: { encoded: EncodedBlob; blobId: string }, options: Partial<DistributeInput> = {}) {
  return distributeBlob({
    encoded: blob.encoded,
    blobId: blob.blobId,
    committee: devnet.committee,
    persistence: { kind: 'permanent' },
    // Fast retries keep the file quick; the policy's table is the same whatever the backoff.
    retry: { backoffMs: 50, maxBackoffMs: 200 },
    ...options,
  });
}

async function stats(index: number): Promise<Record<string, number>> {
  const body = (await (await fetch(`${node(index).url}/_devnet/stats`)).json()) as {
    requests: Record<string, number>;
  };
  return body.requests;
}

async function setFault(index: number, fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${node(index).url}/_devnet/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  expect(response.status).toBe(200);
}

function expectCertified(
  outcome: DistributeOutcome,
): asserts outcome is Extract<DistributeOutcome, { ok: true }> {
  if (!outcome.ok) throw new Error(`expected a certificate: ${outcome.message}`);
}

/** An observer that records what the distributor reports (checked against the nodes, never alone). */
function recorder() {
  const nodes = new Map<string, NodeOutcome>();
  const events = { retries: 0, bytes: 0, quorumMs: undefined as number | undefined, finished: '' };
  const observer: DistributionObserver = {
    nodeFinished: (outcome, n) => nodes.set(n.name, outcome),
    requestRetried: () => events.retries++,
    bytesSent: (bytes) => (events.bytes += bytes),
    quorumReached: (ms) => (events.quorumMs = ms),
    distributionFinished: (outcome) => (events.finished = outcome),
  };
  return { observer, nodes, events };
}

describe('distributeBlob on a 13-node devnet', () => {
  it('certifies without a node that is down: its shards are not among the signers, the chain accepts the weight', async () => {
    const blob = await registeredBlob();
    const down = 3;
    await postFault(node(down).url, 'down');
    const { observer, nodes } = recorder();

    const outcome = await distribute(blob, { observer });
    expectCertified(outcome);

    const others = devnet.committee.nodes.map((_, i) => i).filter((i) => i !== down);
    expect(outcome.certificate.signers).not.toContain(down);
    expect(outcome.confirmedShards).toBe(weight(outcome.certificate.signers));
    expect(outcome.confirmedShards).toBeGreaterThanOrEqual(QUORUM);
    // Every other node stored all of its slivers and was asked to confirm, by its own count.
    for (const i of others) {
      const counted = await stats(i);
      expect(counted['store-sliver']).toBe(2 * node(i).shards.length);
      expect(counted['confirmation']).toBe(1);
    }
    expect((await stats(down))['store-sliver'] ?? 0).toBe(0);
    expect(nodes.get(node(down).name)).toMatch(/failed|not-needed/);

    const certified = await chain.certifyBlob(blob.objectId, outcome.certificate);
    expect(certified.certifiedEpoch).not.toBeNull();
  });

  it('returns a grace after the quorum when a node stores its slivers but never confirms, not at the deadline', async () => {
    const blob = await registeredBlob();
    const silent = 5;
    await postFault(node(silent).url, 'no-confirm');
    const { observer, events, nodes } = recorder();
    const graceMs = 300;

    const started = performance.now();
    const outcome = await distribute(blob, { observer, graceMs, graceFactor: 0, deadlineMs: 30_000 });
    const tookMs = performance.now() - started;
    expectCertified(outcome);

    expect(outcome.certificate.signers).not.toContain(silent);
    expect(events.quorumMs).toBeDefined();
    expect(tookMs).toBeGreaterThanOrEqual(events.quorumMs! + graceMs - 5);
    // A margin for the final signature check and a busy machine (the devnet runs in this process).
    expect(tookMs).toBeLessThan(events.quorumMs! + graceMs + 1_000);
    expect(tookMs).toBeLessThan(5_000);
    // The silent node did get its slivers and was asked; it just never answered.
    const counted = await stats(silent);
    expect(counted['store-sliver']).toBe(2 * node(silent).shards.length);
    expect(counted['confirmation']).toBe(1);
    expect(nodes.get(node(silent).name)).toBe('not-needed');
    expect((await chain.certifyBlob(blob.objectId, outcome.certificate)).certifiedEpoch).not.toBeNull();
  });

  it('waits no grace after the quorum by default when a background carries the stragglers on', async () => {
    const blob = await registeredBlob();
    const silent = 6;
    await postFault(node(silent).url, 'no-confirm');
    const background = backgroundTasks();
    const { observer, events } = recorder();

    const started = performance.now();
    const outcome = await distribute(blob, { observer, background, deadlineMs: 30_000 });
    const tookMs = performance.now() - started;
    expectCertified(outcome);

    // The official grace would be at least 500 ms past the quorum; here only the last check's time.
    expect(tookMs).toBeLessThan(events.quorumMs! + 400);
    // The silent node is left to the background, which ends its confirmation wait on shutdown.
    expect(outcome.certificate.signers).not.toContain(silent);
    await background.close();
    expect((await chain.certifyBlob(blob.objectId, outcome.certificate)).certifiedEpoch).not.toBeNull();
  });

  it('retries a flaky node (transient 503s) on the same node until it stores everything and signs', async () => {
    const blob = await registeredBlob();
    const flaky = 2;
    await setFault(flaky, { mode: 'flaky', count: 2 });
    const { observer, events } = recorder();

    // A long grace: the certificate waits for the flaky node, whose retries take a few backoffs.
    const outcome = await distribute(blob, { observer, graceMs: 10_000 });
    expectCertified(outcome);

    expect(outcome.certificate.signers).toContain(flaky);
    // Its own counters: each route's first two requests failed and were sent again.
    const counted = await stats(flaky);
    expect(counted['store-metadata']).toBe(1 + 2);
    expect(counted['store-sliver']).toBe(2 * node(flaky).shards.length + 2);
    expect(counted['confirmation']).toBe(1 + 2);
    expect(events.retries).toBe(6);
    // The healthy ones were asked once each.
    expect((await stats(0))['store-sliver']).toBe(2 * node(0).shards.length);
    expect((await chain.certifyBlob(blob.objectId, outcome.certificate)).certifiedEpoch).not.toBeNull();
  });

  it('answers insufficient-confirmations as soon as too many nodes are down, long before the deadline', async () => {
    const blob = await registeredBlob();
    const down = [0, 1, 2, 3, 4];
    expect(100 - weight(down)).toBeLessThan(QUORUM);
    await Promise.all(down.map((i) => postFault(node(i).url, 'down')));

    const started = performance.now();
    const outcome = await distribute(blob, { deadlineMs: 60_000 });
    const tookMs = performance.now() - started;

    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.kind).toBe('insufficient-confirmations');
    expect(outcome.nShards).toBe(SHARDS);
    // Answered once the down nodes had failed, maybe before every node up was through: the weight it
    // reports as confirmed is backed by nodes that were asked for a confirmation (by their counts).
    const up = devnet.committee.nodes.map((_, i) => i).filter((i) => !down.includes(i));
    const asked = [];
    for (const i of up) if ((await stats(i))['confirmation'] === 1) asked.push(i);
    expect(outcome.confirmedShards).toBeLessThanOrEqual(weight(asked));
    expect(outcome.message).toContain(`${outcome.confirmedShards} of ${SHARDS} shards`);
    // Only the down nodes' retries (a few short backoffs) were waited for.
    expect(tookMs).toBeLessThan(5_000);
    // The blob stays registered, uncertified: it can be retried.
    expect((await chain.blob(blob.objectId)).certifiedEpoch).toBeNull();
  });

  it('answers insufficient-confirmations at the deadline when too many nodes stall', async () => {
    const blob = await registeredBlob();
    const stalled = [6, 7, 8, 9, 10];
    await Promise.all(stalled.map((i) => postFault(node(i).url, 'slow', 60_000)));

    const started = performance.now();
    // Long enough for the healthy nodes to confirm on a busy machine.
    const outcome = await distribute(blob, { deadlineMs: 2_500 });
    const tookMs = performance.now() - started;

    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const up = devnet.committee.nodes.map((_, i) => i).filter((i) => !stalled.includes(i));
    expect(outcome.confirmedShards).toBe(weight(up));
    expect(tookMs).toBeGreaterThanOrEqual(2_490);
    expect(tookMs).toBeLessThan(4_000);
    // The stalled nodes counted nothing: the client gave up on them at the deadline.
    for (const i of stalled) expect((await stats(i))['store-metadata'] ?? 0).toBe(0);
  });

  it('gives up on stalled nodes after their per-request timeouts, not at the deadline', async () => {
    const blob = await registeredBlob();
    const stalled = [1, 3, 5, 7, 9];
    await Promise.all(stalled.map((i) => postFault(node(i).url, 'slow', 60_000)));
    const { observer, nodes } = recorder();

    const started = performance.now();
    const outcome = await distribute(blob, {
      observer,
      requestTimeoutMs: 300,
      retry: { attemptsPerRequest: 2, backoffMs: 50 },
      deadlineMs: 30_000,
    });
    const tookMs = performance.now() - started;

    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    // Once the stalled nodes are out the quorum is out of reach: the answer comes then, whatever the
    // healthy nodes have confirmed so far.
    const up = devnet.committee.nodes.map((_, i) => i).filter((i) => !stalled.includes(i));
    expect(outcome.confirmedShards).toBeLessThanOrEqual(weight(up));
    // Two timed-out attempts and a backoff each.
    expect(tookMs).toBeGreaterThanOrEqual(600);
    expect(tookMs).toBeLessThan(5_000);
    for (const i of stalled) expect(nodes.get(node(i).name)).toBe('timed-out');
    expect(outcome.message).toContain('5 timed-out');
  });

  it('takes a caller signal that times out (AbortSignal.timeout) as the deadline: an answer, not a rejection', async () => {
    const blob = await registeredBlob();
    const stalled = [0, 2, 4, 6, 8];
    await Promise.all(stalled.map((i) => postFault(node(i).url, 'slow', 60_000)));

    const outcome = await distribute(blob, { signal: AbortSignal.timeout(2_500) });

    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const up = devnet.committee.nodes.map((_, i) => i).filter((i) => !stalled.includes(i));
    expect(outcome.confirmedShards).toBe(weight(up));
    for (const i of up) expect((await stats(i))['confirmation']).toBe(1);
  });

  it('leaves out a node that signs with the wrong key; the certificate still verifies', async () => {
    const blob = await registeredBlob();
    const impostor = 1;
    await postFault(node(impostor).url, 'corrupt-confirmation');
    const { observer, events, nodes } = recorder();

    // All nodes answer, so the result comes when the last one has.
    const outcome = await distribute(blob, { observer, graceMs: 10_000 });
    expectCertified(outcome);

    expect((await stats(impostor))['confirmation']).toBe(1);
    expect(outcome.certificate.signers).not.toContain(impostor);
    expect(outcome.certificate.signers).toHaveLength(NODES - 1);
    expect(nodes.get(node(impostor).name)).toBe('invalid-confirmation');
    expect(events.finished).toBe('certified');
    // Every byte sent was stored once: 13 metadata uploads and every sliver of every pair.
    const sliverBytes = [...blob.encoded.primary, ...blob.encoded.secondary].reduce(
      (s, b) => s + b.length,
      0,
    );
    expect(events.bytes).toBe(NODES * blob.encoded.metadata.length + sliverBytes);
    expect((await chain.certifyBlob(blob.objectId, outcome.certificate)).certifiedEpoch).not.toBeNull();
  });

  it('aggregateConfirmations drops a tampered signature and still certifies with the rest', async () => {
    const blob = await registeredBlob();
    const outcome = await distribute(blob);
    expectCertified(outcome);
    // Real confirmations, fetched again from each node; node 4's signature swapped for node 5's.
    const confirmations = await Promise.all(
      devnet.committee.nodes.map(async (n, index) => ({
        index,
        ...(await new StorageNodeClient(n.url).getConfirmation(blob.blobId, { kind: 'permanent' })),
      })),
    );
    confirmations[4] = { ...confirmations[4]!, signature: confirmations[5]!.signature };
    const aggregated = aggregateConfirmations(devnet.committee, confirmations);
    expectCertified(aggregated);
    expect(aggregated.certificate.signers).not.toContain(4);
    expect(aggregated.certificate.signers).toContain(5);
    const keys = aggregated.certificate.signers.map((i) => base64ToBytes(node(i).blsPublicKey));
    expect(
      blsVerifyAggregate(aggregated.certificate.signature, aggregated.certificate.serializedMessage, keys),
    ).toBe(true);
    expect((await chain.certifyBlob(blob.objectId, aggregated.certificate)).certifiedEpoch).not.toBeNull();
  });

  it('stops promptly when the caller aborts, and sends nothing more afterwards', async () => {
    const blob = await registeredBlob();
    // Every node stalls, so the distribution is in flight when the abort comes.
    await Promise.all(devnet.committee.nodes.map((n) => postFault(n.url, 'slow', 10_000)));
    const controller = new AbortController();
    const { observer, events } = recorder();
    const started = performance.now();
    const pending = distribute(blob, { signal: controller.signal, observer });
    setTimeout(() => controller.abort(new DOMException('client left', 'AbortError')), 100);

    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'client left' });
    expect(performance.now() - started).toBeLessThan(600);
    expect(events.finished).toBe('cancelled');
    // Nodes healthy again: nothing arrives from the aborted distribution (no retry, no sliver).
    await Promise.all(devnet.committee.nodes.map((n) => postFault(n.url, 'ok')));
    await new Promise((resolve) => setTimeout(resolve, 700));
    for (let i = 0; i < NODES; i++) {
      const counted = await stats(i);
      expect(counted['store-metadata'] ?? 0).toBe(0);
      expect(counted['store-sliver'] ?? 0).toBe(0);
    }
  });

  it('keeps uploading to a slow node in the background after the certificate, until it holds its slivers', async () => {
    const blob = await registeredBlob();
    const slow = 11;
    // Each request to it stalls 700 ms: metadata, then its slivers in two rounds of 8.
    await postFault(node(slow).url, 'slow', 700);
    const background = backgroundTasks();
    const finished = new Map<string, string>();

    const outcome = await distribute(blob, {
      background,
      graceMs: 100,
      graceFactor: 0,
      observer: { stragglerFinished: (outcome, n) => finished.set(n.name, outcome) },
    });
    expectCertified(outcome);
    expect(outcome.certificate.signers).not.toContain(slow);
    expect(background.pending).toBe(1);
    // Returned while the slow node still lacked slivers, by its own count.
    expect((await stats(slow))['store-sliver'] ?? 0).toBeLessThan(2 * node(slow).shards.length);

    // Its uploads went on after the return: the node ends up holding every sliver of its shards,
    // and was never asked to confirm (the certificate needed nothing more from it).
    await until(() => background.pending === 0, 8_000);
    const counted = await stats(slow);
    expect(counted['store-sliver']).toBe(2 * node(slow).shards.length);
    expect(counted['confirmation'] ?? 0).toBe(0);
    expect(finished.get(node(slow).name)).toBe('stored');
    await background.close();
  });

  it('stops the background uploads when their owner shuts down', async () => {
    const blob = await registeredBlob();
    const slow = 12;
    await postFault(node(slow).url, 'slow', 20_000);
    const background = backgroundTasks();
    const finished = new Map<string, string>();

    const outcome = await distribute(blob, {
      background,
      graceMs: 100,
      graceFactor: 0,
      observer: { stragglerFinished: (outcome, n) => finished.set(n.name, outcome) },
    });
    expectCertified(outcome);
    expect(background.pending).toBe(1);

    const closing = performance.now();
    await background.close();
    expect(performance.now() - closing).toBeLessThan(500);
    expect(finished.get(node(slow).name)).toBe('cancelled');
    // The node gave up stalling when the client left: it stored nothing from this blob.
    expect((await stats(slow))['store-metadata'] ?? 0).toBe(0);
  });
});

describe('distributeBlob sends quorum-first', () => {
  it('sends the heaviest nodes their slivers first: at the return the nodes holding all of theirs cover a quorum and outweigh those that got none', async () => {
    const blob = await registeredBlob(60_000);
    // Two shared slots: the order the slots are granted in is all that decides who is served.
    const outcome = await distribute(blob, { maxRequests: 2, graceMs: 0, graceFactor: 0 });
    expectCertified(outcome);

    const received = await Promise.all(
      devnet.committee.nodes.map(async (_, i) => (await stats(i))['store-sliver'] ?? 0),
    );
    const indices = devnet.committee.nodes.map((_, i) => i);
    const complete = indices.filter((i) => received[i] === 2 * node(i).shards.length);
    const none = indices.filter((i) => received[i] === 0);
    // By the nodes' own counts: a quorum's worth of nodes got everything, the rest (all but the two
    // requests in flight at the return) were not sent a sliver yet — an all-at-once send would have
    // every node part-way through.
    expect(weight(complete)).toBeGreaterThanOrEqual(QUORUM);
    expect(none.length).toBeGreaterThanOrEqual(2);
    expect(complete.length + none.length).toBeGreaterThanOrEqual(NODES - 2);
    const lightestServed = Math.min(...complete.map((i) => node(i).shards.length));
    const heaviestUnserved = Math.max(...none.map((i) => node(i).shards.length));
    expect(lightestServed).toBeGreaterThanOrEqual(heaviestUnserved);
    // Every node still got its metadata (sent to all first), so a later promotion costs no extra step.
    for (const i of indices) expect((await stats(i))['store-metadata']).toBe(1);
    expect((await chain.certifyBlob(blob.objectId, outcome.certificate)).certifiedEpoch).not.toBeNull();
  });

  it('with shared slots, the older of two concurrent distributions reaches its quorum before the other sends its metadata', async () => {
    const first = await registeredBlob(20_000, { resetStats: false });
    const second = await registeredBlob(20_000);
    // Every request takes ≥ 20 ms at the node: with two shared slots, little can slip by while the
    // counters are read.
    await Promise.all(devnet.committee.nodes.map((n) => postFault(n.url, 'slow', 20)));
    const shared = sharedUploadSlots(2);
    const options = { shared, graceMs: 0, graceFactor: 0 };

    const older = distribute(first, options);
    const newer = distribute(second, options);
    expectCertified(await older);
    const metadataAtFirstQuorum = await Promise.all(
      devnet.committee.nodes.map(async (_, i) => (await stats(i))['store-metadata'] ?? 0),
    );
    expectCertified(await newer);

    // By the nodes' counts: when the older one was certified the newer had sent (almost) none of its
    // 13 metadata, though it started at the same time; each distribution alone would have sent them
    // first thing (metadata goes before slivers).
    const sum = metadataAtFirstQuorum.reduce((a, b) => a + b, 0);
    expect(sum).toBeGreaterThanOrEqual(NODES);
    expect(sum).toBeLessThanOrEqual(NODES + 4);
    for (const i of devnet.committee.nodes.map((_, i) => i))
      expect((await stats(i))['store-metadata']).toBe(2);
  });

  it('promotes the next nodes at once when the first in line stall', async () => {
    const blob = await registeredBlob(60_000);
    const ranks = quorumFirstRanks(
      devnet.committee.nodes.map((n) => n.shards.length),
      blob.encoded.blobId[0],
    );
    const firstInLine = ranks.flatMap((rank, i) => (rank < 3 ? [i] : []));
    await Promise.all(firstInLine.map((i) => postFault(node(i).url, 'slow', 20_000)));

    const started = performance.now();
    const outcome = await distribute(blob, { maxRequests: 8, graceMs: 0, graceFactor: 0 });
    const tookMs = performance.now() - started;
    expectCertified(outcome);

    // Certified long before the stalled nodes answer even their metadata, without them.
    expect(tookMs).toBeLessThan(10_000);
    for (const i of firstInLine) {
      expect(outcome.certificate.signers).not.toContain(i);
      expect((await stats(i))['store-metadata'] ?? 0).toBe(0);
    }
    expect((await chain.certifyBlob(blob.objectId, outcome.certificate)).certifiedEpoch).not.toBeNull();
  });
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
