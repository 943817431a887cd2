// One reconstruction for every request of a blob while it runs, streamed to each from its first byte
// (a tee that keeps the bytes): SharedFill on its own, then through HTTP, where the witnesses are the
// storage nodes' counters and the order in which answers arrive — never a clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { SharedFill } from '../../src/cache/shared-fill.ts';
import { isFailure } from '../../src/read/blob-source.ts';
import { readAllBytes } from '../../src/protocol/bytes.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, storeOnDevnet } from '../support/devnet.ts';
import { designParams, designRowBytes, sliverHolder } from '../support/node-stats.ts';
import { nodeRequests, startTestEdge, type TestEdge } from '../http/http-helpers.ts';

const bytes = (...values: number[]) => new Uint8Array(values);
const never = () => new AbortController().signal;

describe('SharedFill', () => {
  it('gives every joiner the whole body from byte 0, however late it joins', async () => {
    const fill = new SharedFill();
    const early = fill.join(never());
    fill.push(bytes(1, 2));
    const first = await early;
    if (isFailure(first)) throw new Error(first.message);
    fill.push(bytes(3));
    const late = await fill.join(never());
    if (isFailure(late)) throw new Error(late.message);
    fill.push(bytes(4, 5));
    fill.finish();
    expect(await readAllBytes(first)).toEqual(bytes(1, 2, 3, 4, 5));
    expect(await readAllBytes(late)).toEqual(bytes(1, 2, 3, 4, 5));
    expect(fill.bytes).toEqual(bytes(1, 2, 3, 4, 5));
    // Joining after the end still yields everything.
    const after = await fill.join(never());
    if (isFailure(after)) throw new Error(after.message);
    expect(await readAllBytes(after)).toEqual(bytes(1, 2, 3, 4, 5));
  });

  it('hands a failure before the first byte to every joiner as a value, and breaks streams after it', async () => {
    const before = new SharedFill();
    const joiners = [before.join(never()), before.join(never())];
    before.fail({ kind: 'unavailable', message: 'no slivers' });
    for (const joined of await Promise.all(joiners))
      expect(joined).toEqual({ kind: 'unavailable', message: 'no slivers' });
    expect(before.outcome).toEqual({ kind: 'unavailable', message: 'no slivers' });

    const after = new SharedFill();
    const joined = after.join(never());
    after.push(bytes(1));
    const stream = await joined;
    if (isFailure(stream)) throw new Error(stream.message);
    after.fail({ kind: 'unavailable', message: 'part-way' });
    await expect(readAllBytes(stream)).rejects.toThrow('part-way');
  });

  it('cancels the work when the last joiner leaves before the end, not while one stays', async () => {
    const fill = new SharedFill();
    const a = new AbortController();
    const b = new AbortController();
    const joinedA = fill.join(a.signal);
    const joinedB = fill.join(b.signal);
    fill.push(bytes(1));
    const [streamA, streamB] = await Promise.all([joinedA, joinedB]);
    if (isFailure(streamA) || isFailure(streamB)) throw new Error('failed');
    await streamA.cancel();
    expect(fill.signal.aborted).toBe(false);
    await streamB.cancel();
    expect(fill.signal.aborted).toBe(true);
  });

  it('keeps running for a holder (a background fill) when every request has gone', async () => {
    const fill = new SharedFill();
    const release = fill.hold();
    const controller = new AbortController();
    const joined = fill.join(controller.signal);
    controller.abort();
    expect(await joined).toMatchObject({ kind: 'unavailable' });
    expect(fill.signal.aborted).toBe(false);
    release();
    expect(fill.signal.aborted).toBe(true);
  });
});

describe('a cold whole-blob miss through HTTP', () => {
  const N = 100;
  let t: TestEdge;

  beforeAll(async () => {
    // Spares only after 20 s, and a request times out only after 10 s: the slow node's rows (2 s late)
    // are waited for, not replaced.
    t = await startTestEdge({
      HEDGE_DELAY_MS: '20000',
      READ_DEADLINE_MS: '30000',
      NODE_REQUEST_TIMEOUT_MS: '10000',
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('streams its first bytes to the first request and to one that joins, before the last row is in, from one reconstruction', async () => {
    const committee = t.devnet.committee;
    const { P } = designParams(N);
    // 60 000 bytes: 32 rows. Pick data whose last row's node does not also hold row 0.
    let seed = 1200;
    let stored;
    let slow;
    for (;;) {
      const data = randomBytes(60_000, seed++);
      const candidate = { ...(await storeOnDevnet(t.devnet, data, { epochs: 3 })), data };
      const id = parseBlobId(candidate.blobId);
      const rows = Math.ceil(data.length / designRowBytes(data.length, N));
      const last = sliverHolder(committee, id, rows - 1, 'primary');
      if (last.name !== sliverHolder(committee, id, 0, 'primary').name) {
        stored = { ...candidate, rows };
        slow = last;
        break;
      }
    }
    expect(stored.rows).toBeLessThan(P);
    const slivers = () => nodeRequests(t.devnet, 'sliver');
    const before = await slivers();
    // Only sliver reads stall (metadata answers at once, so a second request that opens the blob anew
    // never waits on this node for it): long enough that a loaded CI machine (two cores, other suites
    // running) still gets both first bytes out within it.
    await postFault(slow.url, 'slow-slivers', 8000);
    try {
      // The marker: a sliver read of our own to the slow node, sent before the edge's, answered when its
      // stall ends — so the edge's last row cannot be in before it.
      const probe = fetch(`${slow.url}/v1/blobs/${stored.blobId}/slivers/0/primary`).then(
        () => 'probe' as const,
      );
      const rest = async (reader: ReadableStreamDefaultReader<Uint8Array>, head: Uint8Array) => {
        const parts = [head];
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return Buffer.concat(parts);
          parts.push(value);
        }
      };
      const first = (await fetch(`${t.url}/v1/blobs/${stored.blobId}`)).body!.getReader();
      const firstChunk = first.read();
      expect(await Promise.race([firstChunk.then(() => 'first bytes' as const), probe])).toBe('first bytes');
      // A second request while the first is still waiting for the slow node joins the same fill.
      const second = (await fetch(`${t.url}/v1/blobs/${stored.blobId}`)).body!.getReader();
      const secondChunk = second.read();
      expect(await Promise.race([secondChunk.then(() => 'first bytes' as const), probe])).toBe('first bytes');
      // Each has the blob from its first byte on, whole.
      const [firstBody, secondBody] = await Promise.all([
        rest(first, (await firstChunk).value!),
        rest(second, (await secondChunk).value!),
      ]);
      expect(firstBody.equals(Buffer.from(stored.data))).toBe(true);
      expect(secondBody.equals(Buffer.from(stored.data))).toBe(true);
    } finally {
      await postFault(slow.url, 'ok');
    }
    // Both requests together cost the nodes the blob's rows once (one reconstruction), plus our probe.
    expect((await slivers()) - before).toBe(stored.rows + 1);
  });
});
