// The read side's metrics, each against a witness that is not the edge: what each devnet storage node
// counted (GET /_devnet/stats), a fault set on one node, a memory tier smaller than the blobs read
// (what is still a hit afterwards), concurrent identical misses (what the nodes served), the answers
// the client got (429s, 413s, 403s), the chain's epoch, and promtool's verdict on the exposition.
// Metrics are scraped from METRICS_PORT, which also takes /metrics off the main port.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevnetChainClient } from '../../src/network/devnet-chain-client.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, storeOnDevnet } from '../support/devnet.ts';
import { countedDuring, designParams, rowsCovering, sliverHolder } from '../support/node-stats.ts';
import { grew, scrape, type Scrape } from '../support/metrics-text.ts';
import { call, expectError, faultAll, startTestEdge, waitFor, type TestEdge } from './http-helpers.ts';

const N = 100;
const BLOB_BYTES = 60_000;
/** Two blobs fit in memory, a third evicts one. */
const MEMORY_BYTES = 150_000;

let edge: TestEdge;
const blobs = new Map<string, { blobId: string; bytes: Uint8Array }>();
const blob = (name: string) => blobs.get(name)!;
const metrics = () => scrape(`${edge.edge.metricsUrl}/metrics`);

beforeAll(async () => {
  edge = await startTestEdge({
    // No hedges: each request is one the plan needed, so the nodes' counts are exact.
    HEDGE_DELAY_MS: '5000',
    CACHE_MEMORY_BYTES: String(MEMORY_BYTES),
    MAX_CONCURRENT_RECONSTRUCTIONS: '2',
    MAX_QUEUED_RECONSTRUCTIONS: '0',
    PUBLISH_MAX_BLOB_BYTES: '100000',
    MAX_BLOB_SIZE: '200000',
    METRICS_PORT: '0',
  });
  // Few blobs (storing one takes seconds on a busy machine); the shed test reuses evicted ones.
  const names = ['a', 'corrupt', 'd1', 'd2', 'd3', 'joined'];
  const sized: [string, number][] = [...names.map((name) => [name, BLOB_BYTES] as [string, number])];
  sized.push(['huge', 250_000]);
  await Promise.all(
    sized.map(async ([name, size], index) => {
      const bytes = randomBytes(size, 1000 + index);
      const { blobId } = await storeOnDevnet(edge.devnet, bytes);
      blobs.set(name, { blobId, bytes });
    }),
  );
}, 120_000);

afterAll(async () => {
  await edge?.stop();
});

const committee = () => edge.devnet.committee;

async function get(name: string) {
  const answer = await call(edge.url, `/v1/blobs/${blob(name).blobId}`);
  return answer;
}

/** Reads `names` one after the other (each must come back whole); returns the scrapes around it. */
async function readAll(names: string[]) {
  const before = await metrics();
  const { counted } = await countedDuring(committee(), async () => {
    for (const name of names) {
      const answer = await get(name);
      expect(answer.status).toBe(200);
      expect(Buffer.from(answer.body).equals(Buffer.from(blob(name).bytes))).toBe(true);
    }
  });
  return { before, after: await metrics(), counted };
}

describe('storage nodes', () => {
  it('counts every request per node as the node itself counts it, and times every sliver', async () => {
    const { before, after, counted } = await readAll(['a']);
    let slivers = 0;
    for (const node of committee().nodes) {
      for (const kind of ['metadata', 'sliver']) {
        const byNode = counted.perNode(kind)[node.name]!;
        expect(
          grew(before, after, 'walrus_edge_node_requests_total', { node: node.name, kind }),
          `${node.name} ${kind}`,
        ).toBe(byNode);
        expect(
          grew(before, after, 'walrus_edge_node_requests_total', { node: node.name, kind, outcome: 'ok' }),
        ).toBe(byNode);
      }
      const sliverCount = counted.perNode('sliver')[node.name]!;
      expect(grew(before, after, 'walrus_edge_node_sliver_fetch_seconds_count', { node: node.name })).toBe(
        sliverCount,
      );
      slivers += sliverCount;
    }
    // A cold blob: one metadata fetch, and exactly the rows that hold its bytes.
    expect(counted.total('metadata')).toBe(1);
    expect(slivers).toBe(rowsCovering(BLOB_BYTES, N).length);
    // Every sliver is checked once in the codec pool; nothing needed decoding.
    expect(grew(before, after, 'walrus_edge_codec_tasks_total', { kind: 'verify' })).toBe(slivers);
    expect(grew(before, after, 'walrus_edge_verify_seconds_count')).toBe(slivers);
    expect(grew(before, after, 'walrus_edge_decode_seconds_count')).toBe(0);
    expect(after.sum('walrus_edge_codec_queue_depth')).toBe(0);
  });

  it('shows a node serving corrupt slivers as invalid answers, a low score, and the decode it caused', async () => {
    const { blobId } = blob('corrupt');
    const bad = sliverHolder(committee(), parseBlobId(blobId), 0, 'primary');
    expect((await postFault(bad.url, 'corrupt-slivers')).status).toBe(200);
    let read: Awaited<ReturnType<typeof readAll>>;
    try {
      read = await readAll(['corrupt']);
    } finally {
      expect((await postFault(bad.url, 'ok')).status).toBe(200);
    }
    const { before, after, counted } = read;
    const served = counted.perNode('sliver')[bad.name]!;
    expect(served).toBeGreaterThan(0);
    const badRequests = { node: bad.name, kind: 'sliver' };
    // Every sliver the bad node served was corrupt, and was seen to be.
    expect(
      grew(before, after, 'walrus_edge_node_requests_total', { ...badRequests, outcome: 'invalid' }),
    ).toBe(served);
    expect(grew(before, after, 'walrus_edge_node_requests_total', { ...badRequests, outcome: 'ok' })).toBe(0);
    for (const node of committee().nodes.filter((other) => other.name !== bad.name))
      expect(
        grew(before, after, 'walrus_edge_node_requests_total', { node: node.name, outcome: 'invalid' }),
      ).toBe(0);
    const scores = committee().nodes.map((node) => after.sum('walrus_edge_node_score', { node: node.name }));
    const badScore = after.sum('walrus_edge_node_score', { node: bad.name });
    expect(badScore).toBeLessThan(0.05);
    expect(badScore * 5).toBeLessThan(Math.min(...scores.filter((score) => score !== badScore)));
    // A bad systematic row is recovered by decoding: the nodes served at least P primary slivers.
    expect(counted.total('sliver')).toBeGreaterThanOrEqual(designParams(N).P);
    expect(grew(before, after, 'walrus_edge_decode_seconds_count')).toBe(1);
  });
});

describe('the cache', () => {
  it('counts memory evictions: what is no longer a hit afterwards', async () => {
    const before = await metrics();
    const heldBefore = before.sum('walrus_edge_cache_memory_entries');
    expect(heldBefore).toBe(Math.floor(MEMORY_BYTES / BLOB_BYTES));
    const read = ['d1', 'd2', 'd3'];
    await readAll(read);
    const after = await metrics();
    // Witness: read again, newest first, blobs the nodes are not asked for are still held.
    let retained = 0;
    for (const name of [...read].reverse()) {
      const { result, counted } = await countedDuring(committee(), () => get(name));
      expect(result.status).toBe(200);
      if (counted.total('metadata') + counted.total('sliver') > 0) break;
      expect(result.headers.get('x-cache')).toBe('HIT-MEMORY');
      retained++;
    }
    expect(retained).toBe(heldBefore);
    expect(grew(before, after, 'walrus_edge_cache_evictions_total', { tier: 'memory' })).toBe(
      heldBefore + read.length - retained,
    );
  });

  it('counts the requests that joined one open and one fill, which the nodes served once', async () => {
    const requests = 5;
    const { blobId, bytes } = blob('joined');
    const before = await metrics();
    await faultAll(edge.devnet, 'slow', 400);
    let counted;
    try {
      ({ counted } = await countedDuring(committee(), async () => {
        const answers = await Promise.all(
          Array.from({ length: requests }, () => call(edge.url, `/v1/blobs/${blobId}`)),
        );
        for (const answer of answers) {
          expect(answer.status).toBe(200);
          expect(Buffer.from(answer.body).equals(Buffer.from(bytes))).toBe(true);
        }
      }));
    } finally {
      await faultAll(edge.devnet, 'ok');
    }
    const after = await metrics();
    const openJoins = grew(before, after, 'walrus_edge_single_flight_joins_total', { layer: 'open' });
    expect(openJoins).toBe(requests - 1);
    // Every request that did not join an open cost one metadata fetch: one in all.
    expect(counted.total('metadata')).toBe(requests - openJoins);
    expect(grew(before, after, 'walrus_edge_single_flight_joins_total', { layer: 'fill' })).toBe(
      requests - 1,
    );
    expect(grew(before, after, 'walrus_edge_cache_fills_total')).toBe(1);
    expect(counted.total('sliver')).toBe(rowsCovering(bytes.length, N).length);
  });
});

describe('rejected requests', () => {
  async function rejectedDuring(action: () => Promise<void>): Promise<{ before: Scrape; after: Scrape }> {
    const before = await metrics();
    await action();
    return { before, after: await metrics() };
  }

  it('counts reads shed by a full reconstruction queue as the client saw them', async () => {
    let shed = 0;
    const { before, after } = await rejectedDuring(async () => {
      await faultAll(edge.devnet, 'slow', 300);
      try {
        // Blobs read earlier and evicted since (memory holds d1 and joined now): misses, all three.
        const answers = await Promise.all(['a', 'corrupt', 'd3'].map((name) => get(name)));
        for (const answer of answers) {
          if (answer.status === 200) continue;
          expectError(answer, 429, 'TOO_MANY_RECONSTRUCTIONS');
          shed++;
        }
      } finally {
        await faultAll(edge.devnet, 'ok');
      }
    });
    expect(shed).toBeGreaterThan(0);
    expect(grew(before, after, 'walrus_edge_requests_rejected_total', { reason: 'shed' })).toBe(shed);
  });

  it('counts bodies over the publisher limit and blobs over MAX_BLOB_SIZE', async () => {
    const { before, after } = await rejectedDuring(async () => {
      const upload = await call(edge.url, '/v1/blobs', {
        method: 'PUT',
        body: randomBytes(100_001, 7) as Uint8Array<ArrayBuffer>,
      });
      expectError(upload, 413, 'PAYLOAD_TOO_LARGE');
      expectError(await get('huge'), 403, 'BLOB_TOO_LARGE');
    });
    expect(grew(before, after, 'walrus_edge_requests_rejected_total', { reason: 'body_too_large' })).toBe(1);
    expect(grew(before, after, 'walrus_edge_requests_rejected_total', { reason: 'blob_too_large' })).toBe(1);
    expect(grew(before, after, 'walrus_edge_requests_rejected_total', { reason: 'shed' })).toBe(0);
  });
});

describe('the committee', () => {
  it("follows the chain's epoch, and says how long ago Sui confirmed it", async () => {
    const first = await metrics();
    expect(first.sum('walrus_edge_committee_epoch')).toBe(edge.devnet.committee.epoch);
    // The devnet edge checks every 2 s.
    expect(first.sum('walrus_edge_committee_age_seconds')).toBeLessThan(5);
    const { epoch } = await new DevnetChainClient(edge.devnet.chainUrl).advanceEpoch();
    expect(
      await waitFor(async () => (await metrics()).sum('walrus_edge_committee_epoch') === epoch, 15_000),
    ).toBe(true);
  });
});

describe('the exposition', () => {
  it('names no blob in any label', async () => {
    const all = await metrics();
    const ids = new Set([...blobs.values()].map(({ blobId }) => blobId));
    const values = all.samples.flatMap((sample) => Object.values(sample.labels));
    expect(values.length).toBeGreaterThan(100);
    for (const value of values) {
      expect(ids.has(value), value).toBe(false);
      expect(value, 'a value shaped like a blob ID').not.toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const id of ids) expect(value.includes(id), value).toBe(false);
    }
  });

  it("passes promtool's lint, and is served on METRICS_PORT only", async () => {
    const text = await (await fetch(`${edge.edge.metricsUrl}/metrics`)).text();
    // Ours only: prom-client's default Node metrics have names promtool's lint dislikes
    // (nodejs_active_handles_total is a gauge).
    const ours = text
      .split('\n')
      .filter((line) => /^(# (HELP|TYPE) )?walrus_edge_/.test(line))
      .join('\n');
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: `${ours}\n`, encoding: 'utf8' });
    expect(checked.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    expect(checked.status, `${checked.stdout}${checked.stderr}`).toBe(0);
    expectError(await call(edge.url, '/metrics'), 404, 'NOT_FOUND');
    expectError(await call(edge.edge.metricsUrl!, '/v1/blobs/x'), 404, 'NOT_FOUND');
  });
});
