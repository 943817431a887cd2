// The moment between a fill's last byte and the blob being kept: the edge asks the storage nodes how
// long the blob lives (its blob status: the end epoch) before it keeps the bytes, and when they are
// slow to say, that answer comes after the first reader has the whole blob. A reader in that moment
// is served the bytes the fill holds — the nodes, whose own counters are the witness, see no second
// metadata or sliver request — and once the answer is in, the blob is in memory as usual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../protocol/oracle.ts';
import { nodeRequests, postFault, storeOnDevnet } from '../support/devnet.ts';
import { startTestEdge, type TestEdge } from '../support/edge.ts';

let t: TestEdge;

beforeAll(async () => {
  t = await startTestEdge();
});
afterAll(async () => {
  await t?.stop();
});

const nodeReads = async () =>
  (await nodeRequests(t.devnet, 'metadata')) + (await nodeRequests(t.devnet, 'sliver'));
// Under the edge's status timeout (3 s), so the answer comes and the blob is kept.
const STATUS_DELAY_MS = 1_500;

describe('a blob read whole while the nodes have not said how long it lives', () => {
  it('is served again from the finished fill, with no request to the nodes, and kept once they answer', async () => {
    const data = randomBytes(30_000, 1501);
    const { blobId } = await storeOnDevnet(t.devnet, data);
    const nodes = t.devnet.committee.nodes;
    await Promise.all(nodes.map((node) => postFault(node.url, 'slow-status', STATUS_DELAY_MS)));
    try {
      const statusBefore = await nodeRequests(t.devnet, 'blob-status');
      const first = await fetch(`${t.url}/v1/blobs/${blobId}`);
      expect(Buffer.from(await first.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
      const answeredAt = performance.now();

      const before = await nodeReads();
      const again = await fetch(`${t.url}/v1/blobs/${blobId}`);
      expect(again.status).toBe(200);
      expect(Buffer.from(await again.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
      expect(again.headers.get('x-cache')).toBe('HIT-MEMORY');
      expect(await nodeReads()).toBe(before);
      // It was the moment meant: the nodes had not answered the status yet (each waits its delay).
      expect(performance.now() - answeredAt).toBeLessThan(STATUS_DELAY_MS);
      expect(await nodeRequests(t.devnet, 'blob-status')).toBe(statusBefore);

      // The nodes answer and the fill ends: the blob was kept, so a read later (the fill gone) still
      // costs them nothing.
      await new Promise((resume) => setTimeout(resume, STATUS_DELAY_MS + 1_000));
      const later = await fetch(`${t.url}/v1/blobs/${blobId}`);
      expect(Buffer.from(await later.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
      expect(later.headers.get('x-cache')).toBe('HIT-MEMORY');
      expect(await nodeReads()).toBe(before);
    } finally {
      await Promise.all(nodes.map((node) => postFault(node.url, 'ok')));
    }
  });
});
