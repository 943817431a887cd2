// The dashboards against a real Prometheus (Debian's, test/ops/prometheus-server.ts) scraping a real
// edge every second: an edge publishing on a devnet, with its ledger in PostgreSQL, a Redis tier and
// a small memory tier, put under a little load — a paid upload (one node slow, one flaky), a refused
// one, reads that miss, hit memory, hit Redis, wait on each other, meet a corrupt node, a node down
// and every node down, bad requests, the ledger's database gone, and Sui out of reach. Then every
// query of every dashboard panel and variable, with Grafana's variables replaced, goes through
// Prometheus's HTTP API and must return data; and every metric a panel or an alerting rule names
// must be one Prometheus scraped (its /api/v1/label/__name__/values), so a typo or a metric the edge
// does not export fails here by name rather than showing "No data" to an operator. The panels must
// also show what the load did, and the shipped alerting rules, loaded into the same Prometheus, must
// evaluate without errors and fire on the corrupt node's slivers (and not on what stayed up).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDevnet } from '../../src/devnet/devnet.ts';
import { nodeIndexByShard, type CommitteeNode } from '../../src/network/committee.ts';
import { parseBlobId } from '../../src/protocol/blob-id.ts';
import { shardForPair } from '../../src/protocol/sliver-layout.ts';
import type { RunningEdge } from '../../src/main.ts';
import { randomBytes } from '../protocol/oracle.ts';
import { postFault, startTestDevnet, storeOnDevnet, tempDir } from '../support/devnet.ts';
import { openPaidAccount, paidPut } from '../support/paid-publishing.ts';
import { testSchema } from '../support/postgres-schema.ts';
import { putBlob, startPublishingEdge } from '../support/publishing.ts';
import { startTcpRelay, type TcpRelay } from '../support/tcp-relay.ts';
import { metricNames, panelQueries, queryVariables, substitute } from './dashboard-queries.ts';
import { freePort } from '../support/free-port.ts';
import { startPrometheus, type PrometheusServer } from './prometheus-server.ts';

const ADMIN = 'admin-token-for-the-dashboard-tests';
const REDIS_URL = 'redis://127.0.0.1:6379';
const REDIS_PREFIX = `walrus-edge-test-dashboards-${crypto.randomUUID()}:`;
const schema = testSchema('dashboards');
const dir = tempDir('dashboards-prometheus');
/** The devnet as the edge reaches it: its committee.json, with Sui behind `suiRelay`. */
const reached = tempDir('dashboards-devnet-via-relay');
let devnet: RunningDevnet | undefined;
let suiRelay: TcpRelay | undefined;
let edge: RunningEdge | undefined;
let prometheus: PrometheusServer | undefined;
/** When the load began (ms since 1970): queries look back to it. */
let loadStarted = 0;

/** The dashboards' time range as an operator would pick it, for $__range and $__rate_interval: the load. */
const loadWindow = () => `${Math.ceil((Date.now() - loadStarted) / 1000) + 5}s`;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface Target {
  health: string;
  lastScrape: string;
}

/** Resolves once Prometheus has scraped the edge successfully after `since` (ms since 1970). */
async function scrapedAfter(since: number): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const { activeTargets } = await prometheus!.api<{ activeTargets: Target[] }>('targets');
    const target = activeTargets[0];
    if (target?.health === 'up' && Date.parse(target.lastScrape) > since) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Prometheus did not scrape the edge: ${JSON.stringify(await prometheus!.api('targets'))}`);
}

const get = (path: string, init?: RequestInit) =>
  fetch(`${edge!.url}${path}`, init).then(async (response) => {
    await response.arrayBuffer();
    return response.status;
  });

const BLOBS = ['first', 'second', 'third', 'joined', 'corrupt', 'down', 'allDown', 'allDownAgain'] as const;
type Blobs = Record<(typeof BLOBS)[number], string>;

/** Blobs stored on the devnet straight through its nodes and chain: the edge has never seen them. */
async function storeBlobs(): Promise<Blobs> {
  const stored = BLOBS.map(async (name, seed) => {
    const { blobId } = await storeOnDevnet(devnet!, randomBytes(30_000, seed));
    return [name, blobId] as const;
  });
  return Object.fromEntries(await Promise.all(stored)) as Blobs;
}

/** The storage node holding a blob's first primary sliver, which every read of the blob asks for. */
function firstSliverHolder(blobId: string): CommitteeNode {
  const { committee } = devnet!;
  const shard = shardForPair(0, parseBlobId(blobId), committee.nShards);
  return committee.nodes[nodeIndexByShard(committee)[shard]!]!;
}

/** What an operator's edge meets in a day, in a few seconds. */
async function putUnderLoad(blobs: Blobs): Promise<void> {
  const [slow, flaky] = devnet!.committee.nodes;
  // Paying: one upload charged while one node is slow (left as a straggler) and one flaky (retried);
  // one refused for the client's balance; one without a key.
  const payer = await openPaidAccount(edge!, ADMIN, 10n ** 12n);
  const broke = await openPaidAccount(edge!, ADMIN, 0n);
  await postFault(slow!.url, 'slow', 1_500);
  await postFault(flaky!.url, 'flaky');
  expect((await paidPut(edge!, payer.apiKey, randomBytes(20_000, 11), { epochs: 1 })).status).toBe(200);
  await postFault(flaky!.url, 'ok');
  expect((await paidPut(edge!, broke.apiKey, randomBytes(20_000, 12), { epochs: 1 })).status).toBe(402);
  expect((await putBlob(edge!, '?epochs=1', randomBytes(1_000, 13))).status).toBe(401);
  await postFault(slow!.url, 'ok');

  // Reading: a miss then hits; four readers of one blob at once (one reconstruction, three joins); a
  // small memory tier that evicts the first blobs, read again from Redis.
  expect(await get(`/v1/blobs/${blobs.first}`)).toBe(200);
  expect(await get(`/v1/blobs/${blobs.first}`)).toBe(200);
  expect(await get(`/v1/blobs/${blobs.first}`, { headers: { range: 'bytes=0-99' } })).toBe(206);
  const together = await Promise.all([1, 2, 3, 4].map(() => get(`/v1/blobs/${blobs.joined}`)));
  expect(together).toEqual([200, 200, 200, 200]);
  expect(await get(`/v1/blobs/${blobs.second}`)).toBe(200);
  expect(await get(`/v1/blobs/${blobs.third}`)).toBe(200);
  expect(await get(`/v1/blobs/${blobs.first}`)).toBe(200);

  // Media: an image variant made, then served from memory; a JSON blob's brotli copy made, then sent again.
  const photo = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();
  const { blobId: imageId } = await storeOnDevnet(devnet!, new Uint8Array(photo));
  const listing = JSON.stringify(Array.from({ length: 500 }, (_, id) => ({ id, name: `token ${id}` })));
  const { blobId: jsonId } = await storeOnDevnet(devnet!, new TextEncoder().encode(listing));
  for (let i = 0; i < 2; i++) expect(await get(`/v1/blobs/${imageId}?w=64&format=webp`)).toBe(200);
  expect(await get(`/v1/blobs/${jsonId}`)).toBe(200);
  for (let i = 0; i < 2; i++)
    expect(await get(`/v1/blobs/${jsonId}`, { headers: { 'accept-encoding': 'br' } })).toBe(200);

  // Storage nodes misbehaving: corrupt slivers (rejected, read elsewhere), a node down, then all down.
  // First a scrape, so that Prometheus has seen the sliver counters the reads above started at 0.
  await scrapedAfter(Date.now());
  const corrupt = firstSliverHolder(blobs.corrupt);
  await postFault(corrupt.url, 'corrupt-slivers');
  expect(await get(`/v1/blobs/${blobs.corrupt}`)).toBe(200);
  await postFault(corrupt.url, 'ok');
  const down = firstSliverHolder(blobs.down);
  await postFault(down.url, 'down');
  expect(await get(`/v1/blobs/${blobs.down}`)).toBe(200);
  await postFault(down.url, 'ok');
  const nodes = devnet!.committee.nodes;
  await Promise.all(nodes.map((node) => postFault(node.url, 'down')));
  expect(await get(`/v1/blobs/${blobs.allDown}`)).toBe(503);
  // A series starts at its first count, which rate() cannot see: the 5xx panels need a second one.
  await scrapedAfter(Date.now());
  expect(await get(`/v1/blobs/${blobs.allDownAgain}`)).toBe(503);
  await Promise.all(nodes.map((node) => postFault(node.url, 'ok')));

  // Bad requests: not a blob ID, a blob nobody stored, a relay request without its parameters.
  expect(await get('/v1/blobs/not-a-blob-id')).toBe(400);
  expect(await get(`/v1/blobs/${Buffer.from(randomBytes(32, 14)).toString('base64url')}`)).toBe(404);
  expect(await get('/v1/blob-upload-relay', { method: 'POST', body: 'x' })).toBe(400);

  // The ledger's database loses its schema under the running edge: its operations fail.
  await schema.drop();
  const account = () => get('/v1/account', { headers: { authorization: `Bearer ${payer.apiKey}` } });
  expect(await account()).toBe(503);
  // Again a scrape later: the error counter's series begins at the first failure, unseen by increase().
  await scrapedAfter(Date.now());
  expect(await account()).toBe(503);

  // Sui becomes unreachable: the edge's committee checks and event polls (every 2 s here) fail. Wait
  // until Prometheus has seen those failures grow, or give up after a while and let the panels say so.
  suiRelay!.cut();
  for (let tries = 0; tries < 10; tries++) {
    await scrapedAfter(Date.now());
    const query = 'increase(walrus_edge_sui_errors_total[1m]) > 0';
    if ((await prometheus!.api<{ result: Sample[] }>('query', { query })).result.length > 0) break;
  }
}

beforeAll(async () => {
  await schema.create();
  devnet = await startTestDevnet({ nodes: 4, shards: 10 });
  const sui = new URL(devnet.suiUrl);
  suiRelay = await startTcpRelay({ host: sui.hostname, port: Number(sui.port) });
  const committee = JSON.parse(readFileSync(join(devnet.dir, 'committee.json'), 'utf8')) as object;
  const suiUrl = devnet.suiUrl.replace(sui.host, `127.0.0.1:${suiRelay.port}`);
  writeFileSync(join(reached.path, 'committee.json'), JSON.stringify({ ...committee, suiUrl }));
  // The edge, Prometheus and the blobs the edge will read come up side by side: Prometheus is told
  // the edge's port before it listens (and learns its targets only every 5 s, so it starts first).
  const port = await freePort();
  const [started, scraping, blobs] = await Promise.all([
    startPublishingEdge(devnet, dir.path, {
      PORT: String(port),
      DEVNET_DIR: reached.path,
      PUBLISHER_AUTH: 'api-key',
      ADMIN_TOKEN: ADMIN,
      DATABASE_URL: schema.url(),
      API_KEY_PEPPER: 'a pepper for the dashboard tests, long enough',
      PUBLISHER_SUB_WALLETS: '1',
      REDIS_URL,
      REDIS_PREFIX,
      CACHE_MEMORY_BYTES: String(80_000),
    }),
    startPrometheus(`127.0.0.1:${port}`),
    storeBlobs(),
  ]);
  edge = started;
  prometheus = scraping;
  loadStarted = Date.now();
  await scrapedAfter(loadStarted); // so every series the load starts is seen from zero
  await putUnderLoad(blobs);
  // Two scrapes after the load: a series it began must have two samples for rate() to see it.
  await scrapedAfter(Date.now() + 1_000);
}, 120_000);

afterAll(async () => {
  suiRelay?.restore();
  await prometheus?.stop();
  await edge?.stop();
  await suiRelay?.close();
  await devnet?.stop();
  reached.remove();
  await schema.drop();
  dir.remove();
  // Leave the shared Redis as we found it.
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${REDIS_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** The dashboards' variables as Grafana would set them here: "All" where allowed, else the first value. */
async function variableValues(): Promise<{ values: Record<string, string>; problems: string[] }> {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const variable of queryVariables()) {
    const call = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.query);
    if (!call) {
      problems.push(`${variable.where}: not a label_values(selector, label) query: ${variable.query}`);
      continue;
    }
    const selector = substitute(call[1]!, '1m', values);
    const found = await prometheus!.api<string[]>(`label/${call[2]}/values`, { 'match[]': selector });
    if (found.length === 0) problems.push(`${variable.where}: ${variable.query} finds no values`);
    values[variable.name] ??= variable.allValue ?? found.sort()[0] ?? '';
  }
  return { values, problems };
}

describe('the Grafana dashboards on a real Prometheus scraping an edge under load', () => {
  it('find values for every dashboard variable', async () => {
    expect((await variableValues()).problems).toEqual([]);
  });

  it('get data from every panel query, and name only metrics the edge exports', async () => {
    const { values } = await variableValues();
    const window = loadWindow();
    const exported = new Set(await prometheus!.api<string[]>('label/__name__/values'));
    /** Metric names no scrape has seen, each with the panels that name it. */
    const notExported = new Map<string, string[]>();
    const noData: string[] = [];
    for (const { where, expr } of panelQueries()) {
      const query = substitute(expr, window, values);
      const { names, errors } = metricNames(query);
      expect(errors, where).toEqual([]);
      expect(names.length, `${where} names no metric: ${expr}`).toBeGreaterThan(0);
      const unknown = names.filter((name) => !exported.has(name));
      for (const name of unknown) notExported.set(name, [...(notExported.get(name) ?? []), where]);
      // A query on a metric nobody exports has no data either: that is said once, above.
      if (unknown.length > 0) continue;
      const { result } = await prometheus!.api<{ result: Sample[] | [number, string] }>('query', { query });
      if (result.length === 0) noData.push(`${where}: ${query}`);
    }
    expect({
      notExported: [...notExported].map(([name, wheres]) => `${name} (${wheres.join('; ')})`).sort(),
      noData,
    }).toEqual({ notExported: [], noData: [] });
  });

  it('show what the load did', async () => {
    const { values } = await variableValues();
    const window = loadWindow();
    /** The series a panel's query returns now, as Grafana would ask for them. */
    const series = async (file: string, title: string, refId = 'A'): Promise<Sample[]> => {
      const panel = panelQueries().find((q) => q.file === file && q.title === title && q.refId === refId);
      if (!panel) throw new Error(`no panel "${title}" with a query ${refId} in ${file}`);
      const query = substitute(panel.expr, window, values);
      return (await prometheus!.api<{ result: Sample[] }>('query', { query })).result;
    };
    const labels = async (file: string, title: string, label: string) =>
      (await series(file, title)).map((sample) => sample.metric[label]);

    expect((await series('overview.json', 'Edges up'))[0]?.value[1]).toBe('1');
    // Every status the load's requests were answered with (putUnderLoad checked each answer).
    expect(await labels('overview.json', 'Requests by status', 'status')).toEqual(
      expect.arrayContaining(['200', '206', '400', '401', '402', '404', '503']),
    );
    expect(Number((await series('overview.json', '5xx ratio'))[0]?.value[1])).toBeGreaterThan(0);
    // The corrupt node's sliver did not verify, the downed node's did not come (these series start at
    // 0 with the first read, so their rates say it), and reads decoded around them.
    const slivers = await series('storage-nodes.json', 'Primary sliver requests by result');
    for (const result of ['ok', 'failed', 'invalid']) {
      const sample = slivers.find((s) => s.metric.result === result);
      expect(Number(sample?.value[1]), `sliver requests ${result}`).toBeGreaterThan(0);
    }
    expect(await labels('reads-and-cache.json', 'Reconstructions by outcome and path', 'path')).toEqual(
      expect.arrayContaining(['systematic', 'decoded']),
    );
    expect(await labels('publisher-and-money.json', 'Paid uploads by outcome', 'outcome')).toEqual(
      expect.arrayContaining(['newly-created', 'insufficient-balance']),
    );
    expect(await labels('publisher-and-money.json', 'Uploads by route and outcome', 'outcome')).toEqual(
      expect.arrayContaining(['newly-created']),
    );
    expect(
      (await labels('publisher-and-money.json', 'Ledger errors by operation', 'operation')).length,
    ).toBeGreaterThan(0);
    // With Sui cut off, the committee checks fail.
    expect(await labels('publisher-and-money.json', 'Sui errors by operation', 'operation')).toContain(
      'batch_get_objects',
    );
    // Reads answered from memory, from Redis (after the small memory tier evicted them) and rebuilt.
    expect(await labels('overview.json', 'Bytes served by cache result', 'cache')).toEqual(
      expect.arrayContaining(['memory', 'redis', 'miss']),
    );
    const evictions = await series('reads-and-cache.json', 'Evictions');
    expect(Number(evictions[0]?.value[1]), 'memory evictions').toBeGreaterThan(0);
    // Four readers of one blob at once: one reconstruction, the others joined it.
    const joins = await series('reads-and-cache.json', 'Fills and single-flight joins', 'B');
    expect(
      joins.reduce((sum, sample) => sum + Number(sample.value[1]), 0),
      'joins',
    ).toBeGreaterThan(0);
    const hitRatio = Number((await series('overview.json', 'Memory hit ratio'))[0]?.value[1]);
    expect(hitRatio > 0 && hitRatio < 1, `memory hit ratio ${hitRatio}`).toBe(true);
  });
});

describe('the shipped alerting rules in that Prometheus', () => {
  interface Rule {
    name: string;
    query: string;
    health: string;
    lastError?: string;
  }

  it('load, evaluate without errors and name only metrics the edge exports', async () => {
    const { groups } = await prometheus!.api<{ groups: { name: string; rules: Rule[] }[] }>('rules');
    const rules = groups.flatMap((group) => group.rules);
    expect(rules.length).toBeGreaterThan(0);
    const exported = new Set(await prometheus!.api<string[]>('label/__name__/values'));
    const problems = rules.flatMap((rule) => [
      ...(rule.health === 'ok' ? [] : [`${rule.name}: ${rule.health} ${rule.lastError ?? ''}`]),
      ...metricNames(rule.query)
        .names.filter((name) => !exported.has(name))
        .map((name) => `${rule.name}: ${name}`),
    ]);
    expect(problems).toEqual([]);
  });

  it('fire on what the load broke, and only on that', async () => {
    // Its rules evaluate every second; the corrupt node's slivers were rejected well before now.
    const { alerts } = await prometheus!.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
      'alerts',
    );
    const firing = alerts.filter((alert) => alert.state === 'firing').map((alert) => alert.labels.alertname);
    expect(firing).toContain('WalrusEdgeInvalidSlivers');
    // The ledger's errors raise theirs at once; it fires after a minute of them (pending until then).
    const raised = alerts.map((alert) => alert.labels.alertname);
    expect(raised).toContain('WalrusEdgeLedgerErrors');
    // The edge stayed up and so did Redis: those must be quiet, pending included.
    expect(raised).not.toContain('WalrusEdgeDown');
    expect(raised).not.toContain('WalrusEdgeRedisDown');
  });
});
