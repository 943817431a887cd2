// Committee sources: the Sui reader against the Sui stand-in (BCS-encoded objects), its epoch changes and
// transient failures; the static source's validation; the devnet source following a real devnet.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { p256 } from '@noble/curves/nist.js';
import { ObjectError } from '@mysten/sui/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSuiStandIn, type SuiStandIn } from '../../src/devnet/sui-standin.ts';
import { CommitteeSchema, type Committee } from '../../src/network/committee.ts';
import {
  committeeForBlob,
  earliestEpochStart,
  InvalidCommitteeError,
  type CommitteeSource,
  type CommitteeView,
} from '../../src/network/committee-source.ts';
import {
  readCommitteeFile,
  staticCommitteeSource,
  staticCommitteeSourceFromFile,
} from '../../src/network/committees/static-committee.ts';
import {
  readSuiCommittee,
  suiCommitteeSource,
  WALRUS_MAINNET,
  WALRUS_TESTNET,
  type SuiCommitteeOptions,
  type SuiObjectReader,
} from '../../src/network/committees/sui-committee.ts';
import { base64ToBytes, bytesToBase64, bytesToHex } from '../../src/protocol/base64.ts';
import { tempDir } from '../support/devnet.ts';

const N_SHARDS = 100;

function randomNodeId(): string {
  return `0x${bytesToHex(crypto.getRandomValues(new Uint8Array(32)))}`;
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

type NodeSpec = { name: string; nodeId: string; blsPublicKey: string; port: number };

function newNode(name: string, port: number): NodeSpec {
  const { publicKey } = bls12_381.longSignatures.keygen();
  return {
    name,
    nodeId: randomNodeId(),
    blsPublicKey: bytesToBase64(publicKey.toBytes(true)),
    port,
  };
}

/** A committee of `specs`, holding shuffled shards in the given (uneven) counts, which sum to N_SHARDS. */
function committeeOf(epoch: number, specs: NodeSpec[], counts: number[]): Committee {
  expect(counts.reduce((a, b) => a + b, 0)).toBe(N_SHARDS);
  const shards = shuffled(Array.from({ length: N_SHARDS }, (_, i) => i));
  let next = 0;
  return CommitteeSchema.parse({
    nShards: N_SHARDS,
    epoch,
    nodes: specs.map((spec, i) => {
      next += counts[i]!;
      return {
        name: spec.name,
        url: `http://127.0.0.1:${spec.port}`,
        blsPublicKey: spec.blsPublicKey,
        shards: shards.slice(next - counts[i]!, next),
        nodeId: spec.nodeId,
      };
    }),
  });
}

const SPECS = Array.from({ length: 7 }, (_, i) => newNode(`node-${i}`, 9100 + i));
// Epoch 8: node-6 left, node-7 joined, shards reshuffled; node order differs too.
const NEXT_SPECS = [...SPECS.slice(0, 6).reverse(), newNode('node-7', 9107)];
const COMMITTEE_7 = committeeOf(7, SPECS, [5, 9, 11, 13, 17, 20, 25]);
const COMMITTEE_8 = committeeOf(8, NEXT_SPECS, [30, 3, 12, 12, 14, 14, 15]);

/** A Sui client whose answers come from whichever stand-in is `active`, and which fails on demand. */
class SwitchableClient implements SuiObjectReader {
  active: SuiStandIn;
  /** Reject this many more getObjects calls. */
  failNext = 0;
  /** Never answer (ignoring the abort signal, like a wedged connection) while set. */
  hang = false;
  /** Every call's object IDs, in order. */
  calls: string[][] = [];
  /** Object IDs answered with an ObjectError, as for objects that do not exist. */
  missing = new Set<string>();

  constructor(active: SuiStandIn) {
    this.active = active;
  }

  core = {
    getObjects: async (options: {
      objectIds: string[];
      include: { content: true };
      signal?: AbortSignal;
    }) => {
      this.calls.push(options.objectIds);
      if (this.hang) return new Promise<never>(() => {});
      if (this.failNext > 0) {
        this.failNext -= 1;
        throw new Error('503 Service Unavailable (transient)');
      }
      const response = await this.active.client.core.getObjects(options);
      return {
        objects: response.objects.map((object, i) =>
          this.missing.has(options.objectIds[i]!)
            ? new ObjectError('notExists', `Object ${options.objectIds[i]} does not exist`)
            : object,
        ),
      };
    },
  };
}

function expectCommittee(actual: Committee, expected: Committee) {
  expect(actual.epoch).toBe(expected.epoch);
  expect(actual.nShards).toBe(expected.nShards);
  // Exactly the fields a reader uses, in node order: names, node IDs, URLs, keys, shards.
  expect(
    actual.nodes.map(({ name, url, blsPublicKey, shards, nodeId }) => ({
      name,
      url,
      blsPublicKey,
      shards,
      nodeId,
    })),
  ).toEqual(expected.nodes);
}

describe('Sui committee source over the Sui stand-in', () => {
  const sources: CommitteeSource[] = [];
  function source(client: SuiObjectReader, standIn: SuiStandIn, extra: Partial<SuiCommitteeOptions> = {}) {
    const created = suiCommitteeSource({
      client,
      systemObjectId: standIn.systemObjectId,
      stakingObjectId: standIn.stakingPoolId,
      urlScheme: 'http',
      pollIntervalMs: 0,
      ...extra,
    });
    sources.push(created);
    return created;
  }
  afterEach(() => {
    for (const s of sources.splice(0)) s.close();
  });

  it('reads nodes, shards, compressed BLS keys, URLs and network keys from the BCS objects', async () => {
    const before = Date.now();
    const standIn = createSuiStandIn(COMMITTEE_7);
    const view = await source(standIn.client, standIn).current();
    expect(view.epoch).toBe(7);
    // Staking's timetable (the stand-in starts its first epoch when it is made; epochs last a day).
    expect(view.schedule?.epochDurationMs).toBe(24 * 3600 * 1000);
    expect(view.schedule!.firstEpochStartMs).toBeGreaterThanOrEqual(before);
    expect(view.schedule!.firstEpochStartMs).toBeLessThanOrEqual(Date.now());
    expect(earliestEpochStart(view, 9)).toBe(view.schedule!.firstEpochStartMs + 8 * 24 * 3600 * 1000);
    expect(view.epochChangeInProgress).toBe(false);
    expect(view.previous).toBeUndefined();
    expectCommittee(view.committee, COMMITTEE_7);
    for (const node of view.committee.nodes) {
      // The chain stores 96-byte uncompressed keys; readers get the 48-byte compressed form.
      expect(base64ToBytes(node.blsPublicKey)).toHaveLength(48);
      // The TLS-pinning key: a valid compressed P-256 point, one per node.
      expect(base64ToBytes(node.networkPublicKey!)).toHaveLength(33);
      expect(() => p256.Point.fromBytes(base64ToBytes(node.networkPublicKey!))).not.toThrow();
    }
    const networkKeys = new Set(view.committee.nodes.map((n) => n.networkPublicKey!));
    expect(networkKeys.size).toBe(SPECS.length);
  });

  it('puts https:// before the on-chain host:port unless told otherwise', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const view = await readSuiCommittee({
      client: standIn.client,
      systemObjectId: standIn.systemObjectId,
      stakingObjectId: standIn.stakingPoolId,
    });
    expect(view.committee.nodes.map((n) => n.url)).toEqual(SPECS.map((s) => `https://127.0.0.1:${s.port}`));
  });

  it('exports the mainnet and testnet object IDs of DESIGN §2', () => {
    for (const ids of [WALRUS_MAINNET, WALRUS_TESTNET]) {
      expect(ids.systemObjectId).toMatch(/^0x[0-9a-f]{64}$/);
      expect(ids.stakingObjectId).toMatch(/^0x[0-9a-f]{64}$/);
    }
    expect(WALRUS_MAINNET.systemObjectId).toBe(
      '0x2134d52768ea07e8c43570ef975eb3e4c27a39fa6396bef985b5abc58d03ddd2',
    );
    expect(WALRUS_TESTNET.stakingObjectId).toBe(
      '0xbe46180321c30aab2f8b3501e24048377287fa708018a5b7c2792b35fe339ee3',
    );
  });

  it('loads once: concurrent first calls share one read, later calls answer from the cache', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(standIn);
    const committees = source(client, standIn);
    const views = await Promise.all([committees.current(), committees.current(), committees.current()]);
    expect(new Set(views).size).toBe(1);
    // System+Staking, their inner states, the pools.
    expect(client.calls).toHaveLength(3);
    expect(client.calls[2]!.toSorted()).toEqual(SPECS.map((s) => s.nodeId).toSorted());
    await committees.current();
    expect(client.calls).toHaveLength(3);
  });

  it('follows an epoch change on refresh(): new epoch, new nodes, new shards', async () => {
    const before = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(before);
    const committees = source(client, before);
    expectCommittee((await committees.current()).committee, COMMITTEE_7);

    client.active = createSuiStandIn(COMMITTEE_8);
    // Still cached until told or polled.
    expect((await committees.current()).epoch).toBe(7);
    await committees.refresh();
    const view = await committees.current();
    expect(view.epoch).toBe(8);
    expectCommittee(view.committee, COMMITTEE_8);
  });

  it('polls the Staking state alone while nothing changes, and reloads when the epoch moves', async () => {
    const before = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(before);
    const committees = source(client, before, { pollIntervalMs: 15 });
    await committees.current();
    await vi.waitFor(() => expect(client.calls.length).toBeGreaterThanOrEqual(6));
    // Each poll reads one object: the Staking inner state, not the pools.
    for (const call of client.calls.slice(3, 6)) expect(call).toHaveLength(1);
    expect((await committees.current()).epoch).toBe(7);

    client.active = createSuiStandIn(COMMITTEE_8);
    await vi.waitFor(async () => expect((await committees.current()).epoch).toBe(8));
    expectCommittee((await committees.current()).committee, COMMITTEE_8);
  });

  it('rejects a failed first load, and tries again on the next call', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(standIn);
    client.failNext = 2;
    const errors: unknown[] = [];
    const committees = source(client, standIn, { minRetryMs: 60_000, onError: (e) => errors.push(e) });
    await expect(committees.current()).rejects.toThrow(/transient/);
    await expect(committees.current()).rejects.toThrow(/transient/);
    expect(errors).toHaveLength(2);
    expectCommittee((await committees.current()).committee, COMMITTEE_7);
  });

  it('retries a failed first load in the background, with nobody asking', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(standIn);
    client.failNext = 3;
    const committees = source(client, standIn, { minRetryMs: 5, maxRetryMs: 20 });
    await expect(committees.current()).rejects.toThrow(/transient/);
    // Failures 2 and 3 and the successful load (3 calls) happen on their own.
    await vi.waitFor(() => expect(client.calls.length).toBe(6));
    const calls = client.calls.length;
    expect((await committees.current()).epoch).toBe(7);
    expect(client.calls.length).toBe(calls);
  });

  it('keeps the last good committee while refreshes fail, and retries with backoff until one succeeds', async () => {
    const before = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(before);
    const errors: unknown[] = [];
    const committees = source(client, before, {
      minRetryMs: 10,
      maxRetryMs: 40,
      onError: (e) => errors.push(e),
    });
    await committees.current();

    client.active = createSuiStandIn(COMMITTEE_8);
    client.failNext = 4;
    await expect(committees.refresh()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    const stale = await committees.current();
    expect(stale.epoch).toBe(7);
    expectCommittee(stale.committee, COMMITTEE_7);

    // No poll interval: only the backoff retries can get it there.
    await vi.waitFor(async () => expect((await committees.current()).epoch).toBe(8), { timeout: 5000 });
    expect(errors).toHaveLength(4);
  });

  it('gives up on a hung read at the deadline, and the next call reads afresh', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(standIn);
    client.hang = true;
    const committees = source(client, standIn, { timeoutMs: 50, minRetryMs: 60_000 });
    await expect(committees.current()).rejects.toThrow(/timed out after 50 ms/);
    client.hang = false;
    expectCommittee((await committees.current()).committee, COMMITTEE_7);
  });

  it("lets one caller's abort end its own wait without failing the shared load", async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const committees = source(standIn.client, standIn);
    const controller = new AbortController();
    const abandoned = committees.current(controller.signal);
    const patient = committees.current();
    controller.abort(new Error('client went away'));
    await expect(abandoned).rejects.toThrow(/client went away/);
    expect((await patient).epoch).toBe(7);
  });

  it('names a missing StakingPool in the error, and recovers once it is there', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const client = new SwitchableClient(standIn);
    const lost = SPECS[3]!.nodeId;
    client.missing.add(lost);
    const committees = source(client, standIn, { minRetryMs: 60_000 });
    await expect(committees.current()).rejects.toThrow(new RegExp(`Sui object ${lost}`));
    client.missing.clear();
    expect((await committees.current()).committee.nodes).toHaveLength(SPECS.length);
  });

  it('makes an unusable on-chain address fail that node only', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    // The stand-in refuses such URLs, so rewrite one pool's address in its BCS bytes instead: same
    // length, so the rest of the struct still lines up.
    const pool = SPECS[2]!.nodeId;
    const client: SuiObjectReader = {
      core: {
        getObjects: async (options) => {
          const response = await standIn.client.core.getObjects(options);
          return {
            objects: response.objects.map((object) => {
              if (object instanceof Error || object.objectId !== pool) return object;
              const text = new TextEncoder().encode('127.0.0.1:9102');
              const content = object.content.slice();
              const at = Buffer.from(content).indexOf(Buffer.from(text));
              content.set(new TextEncoder().encode('127.0.0.1/9102'), at);
              return { ...object, content };
            }),
          };
        },
      },
    };
    const view = await source(client, standIn).current();
    expect(view.committee.nodes[2]!.url).toBe('http://unusable-network-address.invalid');
    expect(view.committee.nodes[2]!.shards).toEqual(COMMITTEE_7.nodes[2]!.shards);
    expect(view.committee.nodes[1]!.url).toBe('http://127.0.0.1:9101');
  });

  describe('during an epoch change (EpochChangeSync)', () => {
    let syncing: SuiStandIn;
    let view: CommitteeView;
    beforeAll(async () => {
      syncing = createSuiStandIn(COMMITTEE_8, {
        epochState: 'EpochChangeSync',
        previousCommittee: COMMITTEE_7,
      });
      view = await readSuiCommittee({
        client: syncing.client,
        systemObjectId: syncing.systemObjectId,
        stakingObjectId: syncing.stakingPoolId,
        urlScheme: 'http',
      });
    });

    it('exposes the previous committee, including the node that left', () => {
      expect(view.epoch).toBe(8);
      expect(view.epochChangeInProgress).toBe(true);
      expectCommittee(view.committee, COMMITTEE_8);
      expect(view.previous).toBeDefined();
      expectCommittee(view.previous!, COMMITTEE_7);
      expect(view.previous!.nodes.map((n) => n.name)).toContain('node-6');
      expect(view.committee.nodes.map((n) => n.name)).not.toContain('node-6');
    });

    it('sends reads of blobs certified before the epoch to the previous committee', () => {
      expect(committeeForBlob(view, 3)).toBe(view.previous);
      expect(committeeForBlob(view, 7)).toBe(view.previous);
      expect(committeeForBlob(view, undefined)).toBe(view.previous);
      expect(committeeForBlob(view, 8)).toBe(view.committee);
    });

    it('drops the previous committee once the change is done, at the same epoch', async () => {
      const client = new SwitchableClient(syncing);
      const committees = source(client, syncing, { pollIntervalMs: 15 });
      expect((await committees.current()).previous).toBeDefined();
      // Same epoch, only the epoch state moves on: the poll must notice that too.
      client.active = createSuiStandIn(COMMITTEE_8, { previousCommittee: COMMITTEE_7 });
      await vi.waitFor(async () => expect((await committees.current()).epochChangeInProgress).toBe(false));
      const done = await committees.current();
      expect(done.epoch).toBe(8);
      expect(done.previous).toBeUndefined();
      expect(committeeForBlob(done, 7)).toBe(done.committee);
    });
  });

  it('reads from the current committee when no epoch change is under way', async () => {
    const standIn = createSuiStandIn(COMMITTEE_8, { previousCommittee: COMMITTEE_7 });
    const committees = source(standIn.client, standIn);
    const view = await committees.current();
    expect(committeeForBlob(view, 3)).toBe(view.committee);
    expect(committeeForBlob(view, undefined)).toBe(view.committee);
  });

  it('rejects current() after close()', async () => {
    const standIn = createSuiStandIn(COMMITTEE_7);
    const committees = source(standIn.client, standIn);
    await committees.current();
    committees.close();
    await expect(committees.current()).rejects.toThrow(/closed/);
  });
});

describe('static committee source', () => {
  const dir = tempDir('static-committee');
  afterAll(() => dir.remove());

  it('serves a valid committee as it is', async () => {
    const committees = staticCommitteeSource(COMMITTEE_7);
    const view = await committees.current();
    expect(view.epoch).toBe(7);
    expect(view.epochChangeInProgress).toBe(false);
    expectCommittee(view.committee, COMMITTEE_7);
    await committees.refresh();
    expect(await committees.current()).toBe(view);
  });

  it('reads a committee.json file', async () => {
    const path = join(dir.path, 'good.json');
    writeFileSync(path, JSON.stringify(COMMITTEE_8));
    expectCommittee((await (await staticCommitteeSourceFromFile(path)).current()).committee, COMMITTEE_8);
  });

  it('rejects an invalid file, naming the file and the field', async () => {
    const path = join(dir.path, 'bad-url.json');
    const bad = structuredClone(COMMITTEE_7);
    bad.nodes[1]!.url = 'not a url';
    writeFileSync(path, JSON.stringify(bad));
    const error = await staticCommitteeSourceFromFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCommitteeError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/nodes\[1\]\.url/);
  });

  it('rejects a file that is not JSON, or is not there', async () => {
    const path = join(dir.path, 'truncated.json');
    writeFileSync(path, JSON.stringify(COMMITTEE_7).slice(0, 50));
    await expect(readCommitteeFile(path)).rejects.toThrow(/truncated\.json is not JSON/);
    await expect(readCommitteeFile(join(dir.path, 'absent.json'))).rejects.toThrow(
      /cannot read committee file .*absent\.json/,
    );
  });

  it('rejects shards out of range or held twice', () => {
    const outOfRange = structuredClone(COMMITTEE_7);
    outOfRange.nodes[0]!.shards.push(N_SHARDS);
    expect(() => staticCommitteeSource(outOfRange)).toThrow(/node-0 holds shard 100, outside 0\.\.99/);
    const twice = structuredClone(COMMITTEE_7);
    const shard = twice.nodes[0]!.shards[0]!;
    twice.nodes[4]!.shards.push(shard);
    expect(() => staticCommitteeSource(twice)).toThrow(
      new RegExp(`shard ${shard} is held by both node-0 and node-4`),
    );
  });
});
