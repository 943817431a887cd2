// The Sui stand-in is only useful if the official SDK, parsing with its own layouts, sees the committee
// we put in: members, shards, keys, addresses and prices. These tests go through the public
// WalrusClient API wherever it exposes the result, and compare bytes with the SDK's layouts elsewhere.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bcs, type BcsType } from '@mysten/sui/bcs';
import { ObjectError } from '@mysten/sui/client';
import { WalrusClient } from '@mysten/walrus';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSuiStandIn } from '../../src/devnet/sui-standin.ts';
import { CommitteeSchema, type Committee } from '../../src/network/committee.ts';
import {
  Blob,
  BlobAttributes,
  compressedG1,
  innerStateFieldId,
  uncompressedG1,
} from '../../src/network/sui/walrus-objects.ts';
import { base64ToBytes, bytesToBase64, bytesToHex } from '../../src/protocol/base64.ts';
import {
  INTENT_APP_ID_STORAGE,
  INTENT_VERSION,
  IntentType,
  StorageConfirmationMessage,
} from '../../src/protocol/bcs.ts';
import { blobIdRotation, blobIdToU256, formatBlobId, parseBlobId } from '../../src/protocol/blob-id.ts';
import { storageCost } from '../../src/protocol/encoding.ts';

const bls = bls12_381.longSignatures;
const N_SHARDS = 100;
const EPOCH = 7;
// Uneven on purpose, so a member/shard mix-up cannot go unnoticed. Sums to N_SHARDS.
const SHARD_COUNTS = [4, 6, 8, 9, 9, 9, 10, 10, 11, 12, 12];
const PRICES = { storagePricePerUnit: 1_234n, writePricePerUnit: 567n };

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function randomNodeId(): string {
  return `0x${bytesToHex(crypto.getRandomValues(new Uint8Array(32)))}`;
}

function makeCommittee(): { committee: Committee; secretKeys: Uint8Array[] } {
  const shards = shuffled(Array.from({ length: N_SHARDS }, (_, i) => i));
  const secretKeys: Uint8Array[] = [];
  let next = 0;
  const nodes = SHARD_COUNTS.map((count, i) => {
    const { secretKey, publicKey } = bls.keygen();
    secretKeys.push(secretKey);
    next += count;
    return {
      name: `node-${i}`,
      url: `http://127.0.0.1:${9100 + i}`,
      blsPublicKey: bytesToBase64(publicKey.toBytes(true)),
      shards: shards.slice(next - count, next),
      nodeId: randomNodeId(),
    };
  });
  return { committee: CommitteeSchema.parse({ nShards: N_SHARDS, epoch: EPOCH, nodes }), secretKeys };
}

// The SDK does not export its BCS layouts, so load its built files by path (DESIGN §7).
const sdkDist = new URL('.', pathToFileURL(createRequire(import.meta.url).resolve('@mysten/walrus')));
async function sdkLayout(file: string, name: string): Promise<BcsType<unknown, unknown>> {
  const module: Record<string, BcsType<unknown, unknown>> = await import(new URL(file, sdkDist).href);
  const layout = module[name];
  if (!layout) throw new Error(`${file} exports no ${name}`);
  return layout;
}
const u64 = bcs.u64();
async function sdkField(value: BcsType<unknown, unknown>): Promise<BcsType<unknown, unknown>> {
  const module: { Field: (name: typeof u64, value: BcsType<unknown, unknown>) => BcsType<unknown, unknown> } =
    await import(new URL('utils/bcs.mjs', sdkDist).href);
  return module.Field(u64, value);
}

/** The bytes survive a parse and re-serialization with the SDK's layout: same fields, same order, nothing left over. */
function expectSdkRoundTrip(layout: BcsType<unknown, unknown>, bytes: Uint8Array) {
  expect(bytesToHex(layout.serialize(layout.parse(bytes)).toBytes())).toBe(bytesToHex(bytes));
}

describe('Sui stand-in, read by the official Walrus SDK', () => {
  let committee: Committee;
  let secretKeys: Uint8Array[];
  let standIn: ReturnType<typeof createSuiStandIn>;
  let walrus: WalrusClient;

  beforeAll(() => {
    ({ committee, secretKeys } = makeCommittee());
    standIn = createSuiStandIn(committee, PRICES);
    walrus = new WalrusClient({
      packageConfig: { systemObjectId: standIn.systemObjectId, stakingPoolId: standIn.stakingPoolId },
      suiClient: standIn.client,
      storageNodeUrlScheme: 'http',
    });
  });

  async function contentOf(objectId: string): Promise<Uint8Array> {
    const { objects } = await standIn.client.core.getObjects({
      objectIds: [objectId],
      include: { content: true },
    });
    const [object] = objects;
    if (!object || object instanceof Error) throw object ?? new Error('no object');
    return object.content;
  }

  it('systemState() has the committee in node order, its keys and the prices', async () => {
    const state = await walrus.systemState();
    expect(state.committee.n_shards).toBe(N_SHARDS);
    expect(state.committee.epoch).toBe(EPOCH);
    expect(state.committee.members).toHaveLength(committee.nodes.length);
    state.committee.members.forEach((member, i) => {
      const node = committee.nodes[i]!;
      expect(member.node_id).toBe(node.nodeId);
      expect(member.weight).toBe(node.shards.length);
      // Stored uncompressed, as the contracts do; it must still be the node's key.
      expect(member.public_key.bytes).toHaveLength(96);
      expect(bytesToBase64(compressedG1(new Uint8Array(member.public_key.bytes)))).toBe(node.blsPublicKey);
    });
    const expectedAggregate = bls.aggregatePublicKeys(
      committee.nodes.map((n) => base64ToBytes(n.blsPublicKey)),
    );
    expect(bytesToHex(new Uint8Array(state.committee.total_aggregated_key.bytes))).toBe(
      bytesToHex(expectedAggregate.toBytes(true)),
    );
    expect(state.storage_price_per_unit_size).toBe('1234');
    expect(state.write_price_per_unit_size).toBe('567');
  });

  it('stakingState() maps each node ID to exactly its shards, with the epoch change done', async () => {
    const state = await walrus.stakingState();
    expect(state.n_shards).toBe(N_SHARDS);
    expect(state.epoch).toBe(EPOCH);
    expect(state.epoch_state.$kind).toBe('EpochChangeDone');
    const entries = state.committee[0].contents;
    expect(entries.map((e) => e.key)).toEqual(committee.nodes.map((n) => n.nodeId));
    entries.forEach((entry, i) => expect(entry.value).toEqual(committee.nodes[i]!.shards));
  });

  it('follows System.version to the inner state, wherever the version points', async () => {
    const system = await walrus.systemObject();
    const field = await contentOf(innerStateFieldId(standIn.systemObjectId, system.version));
    // The field's name is the version it is keyed by.
    expect(bcs.u64().parse(field.subarray(32, 40))).toBe(system.version);
  });

  it("serves each node's StakingPool with its host:port, name and BLS key", async () => {
    const layout = await sdkLayout('contracts/walrus/staking_pool.mjs', 'StakingPool');
    for (const [i, node] of committee.nodes.entries()) {
      const pool = layout.parse(await contentOf(node.nodeId)) as {
        id: string;
        node_info: {
          name: string;
          node_id: string;
          network_address: string;
          public_key: { bytes: number[] };
        };
      };
      expect(pool.id).toBe(node.nodeId);
      expect(pool.node_info.node_id).toBe(node.nodeId);
      expect(pool.node_info.name).toBe(node.name);
      expect(pool.node_info.network_address).toBe(`127.0.0.1:${9100 + i}`);
      expect(bytesToHex(new Uint8Array(pool.node_info.public_key.bytes))).toBe(
        bytesToHex(uncompressedG1(base64ToBytes(node.blsPublicKey))),
      );
    }
  });

  it("serves bytes that the SDK's layouts consume exactly, field for field", async () => {
    const system = await walrus.systemObject();
    const staking = await walrus.stakingObject();
    const pool = await sdkLayout('contracts/walrus/staking_pool.mjs', 'StakingPool');
    const checks: [BcsType<unknown, unknown>, string][] = [
      [await sdkLayout('contracts/walrus/system.mjs', 'System'), standIn.systemObjectId],
      [await sdkLayout('contracts/walrus/staking.mjs', 'Staking'), standIn.stakingPoolId],
      [
        await sdkField(await sdkLayout('contracts/walrus/system_state_inner.mjs', 'SystemStateInnerV1')),
        innerStateFieldId(standIn.systemObjectId, system.version),
      ],
      [
        await sdkField(await sdkLayout('contracts/walrus/staking_inner.mjs', 'StakingInnerV1')),
        innerStateFieldId(standIn.stakingPoolId, staking.version),
      ],
      ...committee.nodes.map((node): [BcsType<unknown, unknown>, string] => [pool, node.nodeId]),
    ];
    for (const [layout, objectId] of checks) expectSdkRoundTrip(layout, await contentOf(objectId));
  });

  it('storageCost() charges what the prices imply', async () => {
    // 1 byte at n=100: 100·(64·100+32) + 100·(34+67)·2 = 663,400 encoded bytes → 1 unit.
    expect(await walrus.storageCost(1, 3)).toEqual({
      storageCost: 3n * 1234n,
      writeCost: 567n,
      totalCost: 4269n,
    });
    for (const [size, epochs] of [
      [500_000, 1],
      [1_000_000, 5],
      [1_700_000, 53],
    ] as const) {
      const expected = storageCost(size, N_SHARDS, epochs, PRICES);
      expect(expected.units).toBeGreaterThan(1);
      expect(await walrus.storageCost(size, epochs)).toEqual({
        storageCost: expected.storage,
        writeCost: expected.write,
        totalCost: expected.total,
      });
    }
  });

  it('encodeBlob() sends each sliver pair to the node that holds its shard', async () => {
    const { blobId, sliversByNode } = await walrus.encodeBlob(crypto.getRandomValues(new Uint8Array(20_000)));
    const rotation = blobIdRotation(parseBlobId(blobId), N_SHARDS);
    expect(sliversByNode).toHaveLength(committee.nodes.length);
    sliversByNode.forEach(({ primary, secondary }, i) => {
      const shards = committee.nodes[i]!.shards;
      expect(primary.map((s) => s.shardIndex).toSorted((a, b) => a - b)).toEqual(
        shards.toSorted((a, b) => a - b),
      );
      expect(secondary).toHaveLength(shards.length);
      for (const sliver of primary) {
        expect(sliver.shardIndex).toBe((sliver.sliverPairIndex + rotation) % N_SHARDS);
      }
    });
  });

  it('verifies confirmations against member keys by member index, and their aggregate against the committee key', async () => {
    const blobId = formatBlobId(crypto.getRandomValues(new Uint8Array(32)));
    const message = StorageConfirmationMessage.serialize({
      intent: { type: IntentType.blobCertification, version: INTENT_VERSION, app_id: INTENT_APP_ID_STORAGE },
      epoch: EPOCH,
      contents: { blob_id: parseBlobId(blobId), blob_type: { Permanent: null } },
    }).toBytes();
    const signatures = secretKeys.map((key) =>
      bytesToBase64(bls.Signature.toBytes(bls.sign(bls.hash(message), key))),
    );
    const confirm = (signature: string) => ({ serializedMessage: bytesToBase64(message), signature });
    const blobObjectId = randomNodeId();

    const certificate = await walrus.certificateFromConfirmations({
      confirmations: signatures.map(confirm),
      blobId,
      deletable: false,
      blobObjectId,
    });
    expect(certificate.signers).toEqual(committee.nodes.map((_, i) => i));
    const { committee: bls_committee } = await walrus.systemState();
    expect(
      bls.verify(
        certificate.signature,
        bls.hash(message),
        new Uint8Array(bls_committee.total_aggregated_key.bytes),
      ),
    ).toBe(true);

    // Every signature one slot off: each is valid, but not for the member at its index.
    const shifted = signatures.map((_, i) => confirm(signatures[(i + 1) % signatures.length]!));
    await expect(
      walrus.certificateFromConfirmations({ confirmations: shifted, blobId, deletable: false, blobObjectId }),
    ).rejects.toThrow(/invalid confirmations/);
  });

  it('answers an unknown object ID with an ObjectError in its slot, as real transports do', async () => {
    const missing = randomNodeId();
    const { objects } = await standIn.client.core.getObjects({
      objectIds: [standIn.systemObjectId, missing],
      include: { content: true },
    });
    expect(objects[0]).not.toBeInstanceOf(Error);
    expect(objects[1]).toBeInstanceOf(ObjectError);
    expect((objects[1] as ObjectError).reason).toBe('notFound');
    expect(standIn.client.network).toBe('localnet');
  });

  it('rejects transactions instead of pretending to run them', async () => {
    await expect(standIn.client.core.getReferenceGasPrice()).rejects.toThrow(/not supported/);
  });
});

describe('Sui stand-in committee checks', () => {
  it('refuses a committee whose shards do not partition 0..n-1', () => {
    const { committee } = makeCommittee();
    const overlapping = structuredClone(committee);
    overlapping.nodes[1]!.shards.push(committee.nodes[0]!.shards[0]!);
    expect(() => createSuiStandIn(overlapping)).toThrow(/two nodes/);

    const orphaned = structuredClone(committee);
    const dropped = orphaned.nodes[2]!.shards.pop()!;
    expect(() => createSuiStandIn(orphaned)).toThrow(new RegExp(`shard ${dropped} is assigned to no node`));
  });

  it('refuses a node URL that host:port cannot express', () => {
    const { committee } = makeCommittee();
    committee.nodes[3]!.url = 'http://127.0.0.1:9103/prefix';
    expect(() => createSuiStandIn(committee)).toThrow(/host:port/);
  });
});

describe('Walrus object layouts the stand-in does not serve', () => {
  it("Blob and its attributes match the SDK's layouts byte for byte", async () => {
    const blobIdBytes = crypto.getRandomValues(new Uint8Array(32));
    const blob = Blob.serialize({
      id: randomNodeId(),
      registered_epoch: 3,
      blob_id: blobIdToU256(blobIdBytes),
      size: 123_456n,
      encoding_type: 1,
      certified_epoch: 4,
      storage: { id: randomNodeId(), start_epoch: 3, end_epoch: 10, storage_size: 66_034_000n },
      deletable: true,
    }).toBytes();
    const sdkBlob = await sdkLayout('contracts/walrus/blob.mjs', 'Blob');
    expectSdkRoundTrip(sdkBlob, blob);
    const parsed = sdkBlob.parse(blob) as {
      blob_id: string;
      certified_epoch: number;
      storage: { end_epoch: number };
    };
    expect(BigInt(parsed.blob_id)).toBe(blobIdToU256(blobIdBytes));
    expect(parsed.certified_epoch).toBe(4);
    expect(parsed.storage.end_epoch).toBe(10);

    const attributes = BlobAttributes.serialize({
      metadata: { contents: [{ key: 'content-type', value: 'image/png' }] },
    }).toBytes();
    expectSdkRoundTrip(await sdkLayout('contracts/walrus/metadata.mjs', 'Metadata'), attributes);
  });
});
